// Holding the migration lock while work runs: acquire (waiting up to a
// timeout), renew in the background, notice loss, release.
//
// Contract:
// - acquire() returns only once this process holds the lease, or fails with
//   kLockTimeout naming the holder, or kInterrupted if `stop` was raised
//   while waiting.
// - While held, a background thread (with its own connection: a mongoc
//   client is single-threaded) renews the lease every `renew_every`. If a
//   renewal finds the lease no longer ours, or no renewal has succeeded for
//   a whole lease period, lost() becomes true and stays true; the runner
//   checks it before each migration.
// - The destructor stops the thread and releases the lease if still ours.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "mongo/client.h"
#include "mongo/lease_store.h"
#include "mongomigrate/migrator.h"

namespace mongomigrate::runner {

class LeaseKeeper {
 public:
  struct Target {
    std::string uri;
    std::string database;
    std::string lock_collection;
  };

  // `identity` gives host, pid and user; owner and times are filled here.
  static Result<std::unique_ptr<LeaseKeeper>> acquire(mongo::Client& client, Target target,
                                                      LeaseHolder identity, const LockOptions& options,
                                                      const std::function<void(const LeaseHolder&)>& on_wait,
                                                      const std::atomic<int>* stop);
  // Only acquire() can make the key: a LeaseKeeper always holds the lease.
  class Key {
    friend class LeaseKeeper;
    Key() = default;
  };
  LeaseKeeper(Key, mongo::Client& client, Target target, LeaseHolder holder, const LockOptions& options);
  ~LeaseKeeper();
  LeaseKeeper(const LeaseKeeper&) = delete;
  LeaseKeeper& operator=(const LeaseKeeper&) = delete;

  bool lost() const { return lost_.load(); }
  std::string lost_reason() const;
  const LeaseHolder& holder() const { return holder_; }

  // Releases now (the destructor would otherwise); reports failure.
  Result<void> release();

 private:
  void renew_loop();
  void mark_lost(std::string reason);

  mongo::Client& client_;
  Target target_;
  LeaseHolder holder_;
  LockOptions options_;
  std::atomic<bool> lost_{false};
  bool released_ = false;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::string lost_reason_;
  std::thread renewer_;
};

// A new owner id: "<host>:<pid>:<random hex>".
std::string new_owner_id(const std::string& host, std::int64_t pid);

// "user on host (pid N), acquired <time>, expires <time>" for messages.
std::string describe_holder(const LeaseHolder& holder);

}  // namespace mongomigrate::runner
