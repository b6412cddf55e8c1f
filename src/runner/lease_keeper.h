// Holding the migration lock while work runs: acquire (waiting up to a
// timeout), renew in the background, notice loss, release.
//
// Contract:
// - acquire() returns only once this process holds the lease, or fails with
//   kLockTimeout naming the holder (or a lock document of an unknown shape),
//   kInterrupted if `stop` was raised while waiting, or the store's kDatabase.
// - While held, a background thread (with a lock store of its own, from
//   `open_store`: a mongoc client is single-threaded) renews the lease every
//   `renew_every`. If a renewal finds the lease no longer ours, or no renewal
//   has succeeded for a whole lease period, lost() becomes true and stays
//   true; the runner checks it before each migration.
// - check_held() asks the same thread for one read of the lock, so that a
//   runner can check its lease while its own connection claims a migration.
//   Its future is always fulfilled: once the lease is lost or the thread
//   has ended, with false.
// - The destructor stops the thread and releases the lease if still ours.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "mongomigrate/options.h"
#include "store/lock_store.h"

namespace mongomigrate::runner {

class LeaseKeeper {
 public:
  // Opens the lock store the renewal thread uses.
  using StoreOpener = std::function<Result<std::unique_ptr<store::LockStore>>()>;

  // Waits for the lease in `store` (which must outlive the keeper: it also
  // releases it). `identity` gives host, pid and user; owner and times are
  // filled here. `on_wait` is told the holder once, if it has to wait.
  static Result<std::unique_ptr<LeaseKeeper>> acquire(store::LockStore& store, StoreOpener open_store,
                                                      LeaseHolder identity, const LockOptions& options,
                                                      const std::function<void(const LeaseHolder&)>& on_wait,
                                                      const std::atomic<int>* stop);
  // Only acquire() can make the key: a LeaseKeeper always holds the lease.
  class Key {
    friend class LeaseKeeper;
    Key() = default;
  };
  // `asked_at`: when the server's time that holder.acquired_at holds was
  // asked for, on this process's steady clock: the lease period without a
  // renewal after which the lease is taken for lost counts from there.
  LeaseKeeper(Key, store::LockStore& store, StoreOpener open_store, LeaseHolder holder, const LockOptions& options,
              std::chrono::steady_clock::time_point asked_at);
  ~LeaseKeeper();
  LeaseKeeper(const LeaseKeeper&) = delete;
  LeaseKeeper& operator=(const LeaseKeeper&) = delete;

  bool lost() const { return lost_.load(); }
  std::string lost_reason() const;
  const LeaseHolder& holder() const { return holder_; }

  // Whether the lease is still ours: lost() is false and the store says so
  // (one read), for a check right before acting on the lease.
  Result<bool> still_held();
  // The same, read by the renewal thread on its own connection.
  std::future<Result<bool>> check_held();

  // Releases now (the destructor would otherwise); reports failure.
  Result<void> release();

 private:
  void renew_loop();
  // One renewal on `store`; false once the lease is lost.
  bool renew_once(store::LockStore& store, std::chrono::steady_clock::time_point& last_renewed);
  // Answers the checks asked so far (under mutex_): with one read of the
  // lock, or with `held` when there is no store to read.
  void answer_checks(store::LockStore* store, std::unique_lock<std::mutex>& lock);
  void mark_lost(std::string reason);

  store::LockStore& store_;
  StoreOpener open_store_;
  LeaseHolder holder_;
  LockOptions options_;
  std::chrono::steady_clock::time_point acquired_asked_at_;
  std::atomic<bool> lost_{false};
  bool released_ = false;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool thread_ended_ = false;  // no more checks will be answered by it
  std::vector<std::promise<Result<bool>>> checks_;  // asked, not yet answered
  std::string lost_reason_;
  std::thread renewer_;
};

// A new owner id: "<host>:<pid>:<random hex>".
std::string new_owner_id(const std::string& host, std::int64_t pid);

// "user on host (pid N), acquired <time>, expires <time>" for messages.
// (The pid of a lease this tool did not write may be 0.)
std::string describe_holder(const LeaseHolder& holder);

}  // namespace mongomigrate::runner
