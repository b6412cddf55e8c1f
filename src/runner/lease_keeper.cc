#include "runner/lease_keeper.h"

#include <algorithm>
#include <chrono>
#include <random>

#include <fmt/format.h>

#include "core/time_format.h"

namespace mongomigrate::runner {

std::string new_owner_id(const std::string& host, std::int64_t pid) {
  std::random_device random;
  return fmt::format("{}:{}:{:08x}{:08x}", host, pid, random(), random());
}

std::string describe_holder(const LeaseHolder& h) {
  return fmt::format("{} on {} (pid {}), acquired {}, expires {}", h.user.empty() ? "unknown" : h.user, h.host,
                     h.pid, core::iso8601(h.acquired_at), core::iso8601(h.expires_at));
}

namespace {

// `from + d`, with `d` at most a century: an over-long timeout or lease
// (a library caller's; the CLI refuses them) means "a long time", and must
// never overflow the clock into a time already past (a wait given up at
// once, a renewal sent in a loop).
std::chrono::steady_clock::time_point after(std::chrono::steady_clock::time_point from,
                                            std::chrono::milliseconds d) {
  constexpr std::chrono::milliseconds kCentury = std::chrono::hours(24 * 365 * 100);
  return from + std::clamp(d, std::chrono::milliseconds(0), kCentury);
}

}  // namespace

Result<std::unique_ptr<LeaseKeeper>> LeaseKeeper::acquire(store::LockStore& store, StoreOpener open_store,
                                                          LeaseHolder identity, const LockOptions& options,
                                                          const std::function<void(const LeaseHolder&)>& on_wait,
                                                          const std::atomic<int>* stop) {
  identity.owner = new_owner_id(identity.host, identity.pid);
  auto deadline = after(std::chrono::steady_clock::now(), options.timeout);
  bool told = false;
  std::optional<LeaseHolder> last_seen;
  bool unknown_shape = false;
  while (true) {
    auto asked_at = std::chrono::steady_clock::now();
    auto now = store.now();
    if (!now) return std::unexpected(now.error());
    identity.acquired_at = *now;
    identity.expires_at = *now + options.lease.count();
    auto taken = store.try_acquire(identity);
    if (!taken) return std::unexpected(taken.error());
    if (*taken) {
      return std::make_unique<LeaseKeeper>(Key{}, store, std::move(open_store), std::move(identity), options,
                                           asked_at);
    }
    auto lock = store.read();
    if (!lock) return std::unexpected(lock.error());
    if (lock->holder) last_seen = lock->holder;
    unknown_shape = !lock->holder && !lock->unknown.empty();
    if (!told && lock->holder && on_wait) {
      on_wait(*lock->holder);
      told = true;
    }
    if (stop && stop->load()) {
      return std::unexpected(Error{ErrorKind::kInterrupted, "interrupted while waiting for the migration lock"});
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return std::unexpected(Error{
          ErrorKind::kLockTimeout,
          // A document of an unknown shape never expires, and plain `unlock`
          // refuses it: only `unlock --force` clears it.
          unknown_shape
              ? fmt::format("the migration lock is held by a lock document of an unknown shape; gave up after {} s "
                            "(--lock-timeout); it never expires: `unlock` shows it, and if no other tool or version "
                            "uses it, `unlock --force` deletes it",
                            std::chrono::duration_cast<std::chrono::seconds>(options.timeout).count())
              : fmt::format("the migration lock is held by {}; gave up after {} s (--lock-timeout); if that runner "
                            "is gone, wait for the lease to expire or run `unlock`",
                            last_seen ? describe_holder(*last_seen) : std::string("another runner"),
                            std::chrono::duration_cast<std::chrono::seconds>(options.timeout).count())});
    }
    std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(
        options.poll, std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now() + std::chrono::milliseconds(1))));
  }
}

LeaseKeeper::LeaseKeeper(Key, store::LockStore& store, StoreOpener open_store, LeaseHolder holder,
                         const LockOptions& options, std::chrono::steady_clock::time_point asked_at)
    : store_(store),
      open_store_(std::move(open_store)),
      holder_(std::move(holder)),
      options_(options),
      acquired_asked_at_(asked_at) {
  renewer_ = std::thread([this] { renew_loop(); });
}

LeaseKeeper::~LeaseKeeper() { (void)release(); }

std::string LeaseKeeper::lost_reason() const {
  std::lock_guard lock(mutex_);
  return lost_reason_;
}

void LeaseKeeper::mark_lost(std::string reason) {
  std::lock_guard lock(mutex_);
  if (lost_.load()) return;
  lost_reason_ = std::move(reason);
  lost_.store(true);
}

bool LeaseKeeper::renew_once(store::LockStore& store, std::chrono::steady_clock::time_point& last_renewed) {
  std::string failure;
  // The new expiry counts from the server's time, read first: so does the
  // lease period without a renewal that makes the lease lost here.
  auto attempted = std::chrono::steady_clock::now();
  auto now = store.now();
  if (now) {
    auto renewed = store.renew(holder_, *now + options_.lease.count());
    if (renewed && *renewed) {
      last_renewed = attempted;
    } else if (renewed) {
      mark_lost("the lease was taken over or cleared by another process");
    } else {
      failure = renewed.error().message;
    }
  } else {
    failure = now.error().message;
  }
  if (!failure.empty() && std::chrono::steady_clock::now() - last_renewed >= options_.lease) {
    mark_lost("the lease could not be renewed within its duration: " + failure);
  }
  return !lost_.load();
}

void LeaseKeeper::answer_checks(store::LockStore* store, std::unique_lock<std::mutex>& lock) {
  while (!checks_.empty()) {
    std::vector<std::promise<Result<bool>>> asked = std::move(checks_);
    checks_.clear();
    lock.unlock();
    Result<bool> held = false;
    if (store != nullptr && !lost_.load()) held = store->holds(holder_);
    for (auto& check : asked) check.set_value(held);
    lock.lock();
  }
}

void LeaseKeeper::renew_loop() {
  // Our own store: the caller's is busy running migrations.
  auto opened = open_store_();
  std::unique_lock lock(mutex_);
  if (!opened) {
    lock.unlock();
    mark_lost("cannot open a connection to renew the lease: " + opened.error().message);
    lock.lock();
  } else {
    store::LockStore& store = **opened;
    // The lease runs from the server time read before it was taken, not
    // from now: taking it may have waited on a slow majority write.
    auto last_renewed = acquired_asked_at_;
    auto next_renewal = after(last_renewed, options_.renew_every);
    while (!stopping_ && !lost_.load()) {
      wake_.wait_until(lock, next_renewal, [this] { return stopping_ || !checks_.empty(); });
      if (stopping_) break;
      answer_checks(&store, lock);
      if (std::chrono::steady_clock::now() < next_renewal) continue;
      lock.unlock();
      bool held = renew_once(store, last_renewed);
      lock.lock();
      if (!held) break;
      next_renewal = after(std::chrono::steady_clock::now(), options_.renew_every);
    }
  }
  // Checks asked from now on are answered by check_held() itself.
  thread_ended_ = true;
  answer_checks(nullptr, lock);
}

Result<void> LeaseKeeper::release() {
  {
    std::lock_guard lock(mutex_);
    if (released_) return {};
    released_ = true;
    stopping_ = true;
  }
  wake_.notify_all();
  if (renewer_.joinable()) renewer_.join();
  return store_.release(holder_);
}

Result<bool> LeaseKeeper::still_held() {
  if (lost()) return false;
  return store_.holds(holder_);
}

std::future<Result<bool>> LeaseKeeper::check_held() {
  std::promise<Result<bool>> check;
  std::future<Result<bool>> answer = check.get_future();
  {
    std::lock_guard lock(mutex_);
    if (!thread_ended_ && !lost_.load()) {
      checks_.push_back(std::move(check));
      wake_.notify_all();
      return answer;
    }
  }
  check.set_value(false);
  return answer;
}

}  // namespace mongomigrate::runner
