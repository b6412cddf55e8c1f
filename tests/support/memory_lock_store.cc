#include "support/memory_lock_store.h"

namespace mongomigrate::testing {
namespace {

Error unreachable() { return Error{ErrorKind::kDatabase, "the in-memory lock is unreachable (test)"}; }

}  // namespace

void MemoryLock::advance(TimestampMs ms) {
  std::lock_guard lock(mutex_);
  now_ += ms;
}

void MemoryLock::set_unknown_lease(std::string document) {
  std::lock_guard lock(mutex_);
  lease_.reset();
  unknown_lease_ = std::move(document);
}

void MemoryLock::add_stray(std::string document) {
  std::lock_guard lock(mutex_);
  strays_.push_back(std::move(document));
}

std::optional<LeaseHolder> MemoryLock::holder() const {
  std::lock_guard lock(mutex_);
  return lease_;
}

void MemoryLock::set_unreachable(bool unreachable) {
  std::lock_guard lock(mutex_);
  unreachable_ = unreachable;
}

void MemoryLock::set_release_refused(bool refused) {
  std::lock_guard lock(mutex_);
  release_refused_ = refused;
}

int MemoryLock::lost_renewals() const {
  std::lock_guard lock(mutex_);
  return lost_renewals_;
}

Result<bool> MemoryLockStore::try_acquire(const LeaseHolder& holder) {
  std::lock_guard lock(lock_->mutex_);
  if (lock_->unreachable_) return std::unexpected(unreachable());
  // As the MongoDB store: a lease document of an unknown shape blocks (one
  // under another `_id` does not); a live lease holds; an expired one is
  // taken over.
  if (lock_->unknown_lease_) return false;
  if (lock_->lease_ && !(lock_->lease_->expires_at < holder.acquired_at)) return false;
  lock_->lease_ = holder;
  return true;
}

Result<bool> MemoryLockStore::renew(const LeaseHolder& holder, TimestampMs expires_at) {
  std::lock_guard lock(lock_->mutex_);
  if (lock_->unreachable_) return std::unexpected(unreachable());
  if (!lock_->lease_ || lock_->lease_->owner != holder.owner) {
    ++lock_->lost_renewals_;
    return false;
  }
  lock_->lease_->expires_at = expires_at;
  return true;
}

Result<bool> MemoryLockStore::holds(const LeaseHolder& holder) {
  std::lock_guard lock(lock_->mutex_);
  if (lock_->unreachable_) return std::unexpected(unreachable());
  return lock_->lease_ && lock_->lease_->owner == holder.owner;
}

Result<void> MemoryLockStore::release(const LeaseHolder& holder) {
  std::lock_guard lock(lock_->mutex_);
  if (lock_->unreachable_) return std::unexpected(unreachable());
  if (lock_->release_refused_) {
    return std::unexpected(Error{ErrorKind::kDatabase, "the in-memory lock refuses the release (test)"});
  }
  if (lock_->lease_ && lock_->lease_->owner == holder.owner) lock_->lease_.reset();
  return {};
}

Result<store::LockState> MemoryLockStore::read() {
  std::lock_guard lock(lock_->mutex_);
  if (lock_->unreachable_) return std::unexpected(unreachable());
  store::LockState state{.holder = lock_->lease_, .unknown = lock_->strays_};
  if (lock_->unknown_lease_) state.unknown.insert(state.unknown.begin(), *lock_->unknown_lease_);
  return state;
}

Result<bool> MemoryLockStore::clear(const LeaseHolder& expected) {
  std::lock_guard lock(lock_->mutex_);
  if (lock_->unreachable_) return std::unexpected(unreachable());
  if (!lock_->lease_ || lock_->lease_->owner != expected.owner || lock_->lease_->expires_at != expected.expires_at) {
    return false;
  }
  lock_->lease_.reset();
  return true;
}

Result<void> MemoryLockStore::clear_unknown() {
  std::lock_guard lock(lock_->mutex_);
  if (lock_->unreachable_) return std::unexpected(unreachable());
  lock_->unknown_lease_.reset();
  lock_->strays_.clear();
  return {};
}

Result<TimestampMs> MemoryLockStore::now() {
  std::lock_guard lock(lock_->mutex_);
  if (lock_->unreachable_) return std::unexpected(unreachable());
  return lock_->now_;
}

}  // namespace mongomigrate::testing
