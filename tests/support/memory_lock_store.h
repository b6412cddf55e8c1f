// An in-memory LockStore (store/lock_store.h) for tests without a server.
// Every MemoryLockStore made from the same MemoryLock shares its lease, as
// connections to one database do; the clock is the test's to move.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "store/lock_store.h"

namespace mongomigrate::testing {

// The lock itself: the lease, documents of an unknown shape, and a clock.
class MemoryLock {
 public:
  // The clock starts at `now` and moves only when told.
  explicit MemoryLock(TimestampMs now = 1'700'000'000'000) : now_(now) {}

  void advance(TimestampMs ms);
  // A lease document of an unknown shape, where the lease lives (in
  // MongoDB: `_id` "lease"): it takes the lease's place and blocks taking it.
  void set_unknown_lease(std::string document);
  // A document of an unknown shape under another `_id`: reported by read(),
  // removed by clear_unknown(), in nobody's way.
  void add_stray(std::string document);
  std::optional<LeaseHolder> holder() const;
  // When set, every call fails with kDatabase (a server that went away).
  void set_unreachable(bool unreachable);
  // When set, release() fails with kDatabase and leaves the lease in place
  // (a server that refuses the delete); every other call works.
  void set_release_refused(bool refused);
  // How many renewals found the lease no longer theirs (and so lost it).
  int lost_renewals() const;

 private:
  friend class MemoryLockStore;
  mutable std::mutex mutex_;
  TimestampMs now_;
  std::optional<LeaseHolder> lease_;
  std::optional<std::string> unknown_lease_;  // never beside lease_: one `_id`
  std::vector<std::string> strays_;
  bool unreachable_ = false;
  bool release_refused_ = false;
  int lost_renewals_ = 0;
};

class MemoryLockStore final : public store::LockStore {
 public:
  explicit MemoryLockStore(std::shared_ptr<MemoryLock> lock) : lock_(std::move(lock)) {}

  Result<bool> try_acquire(const LeaseHolder& holder) override;
  Result<bool> renew(const LeaseHolder& holder, TimestampMs expires_at) override;
  Result<bool> holds(const LeaseHolder& holder) override;
  Result<void> release(const LeaseHolder& holder) override;
  Result<store::LockState> read() override;
  Result<bool> clear(const LeaseHolder& expected) override;
  Result<void> clear_unknown() override;
  Result<TimestampMs> now() override;

 private:
  std::shared_ptr<MemoryLock> lock_;
};

}  // namespace mongomigrate::testing
