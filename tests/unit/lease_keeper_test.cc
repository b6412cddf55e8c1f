// LeaseKeeper::check_held(): the lease check a runner makes on the renewal
// thread's connection while its own connection claims a migration.
#include "runner/lease_keeper.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

#include "support/memory_lock_store.h"

namespace mongomigrate::testing {
namespace {

using namespace std::chrono_literals;

// Renewals far apart, so that only the checks read the lock.
constexpr LockOptions kSlowRenewal{.lease = 10s, .renew_every = 1h, .timeout = 1s, .poll = 10ms};

struct Held {
  std::shared_ptr<MemoryLock> lock = std::make_shared<MemoryLock>();
  MemoryLockStore store{lock};
  std::unique_ptr<runner::LeaseKeeper> keeper;

  explicit Held(runner::LeaseKeeper::StoreOpener open = {}) {
    if (!open) {
      open = [lock = lock]() -> Result<std::unique_ptr<store::LockStore>> {
        return std::make_unique<MemoryLockStore>(lock);
      };
    }
    auto taken = runner::LeaseKeeper::acquire(store, std::move(open), {.host = "h", .pid = 1, .user = "u"},
                                              kSlowRenewal, {}, nullptr);
    EXPECT_TRUE(taken.has_value()) << taken.error().message;
    if (taken) keeper = std::move(*taken);
  }
};

TEST(LeaseKeeperCheck, SaysHeldWhileTheLeaseIsOurs) {
  Held held;
  ASSERT_TRUE(held.keeper);
  for (int i = 0; i < 3; ++i) {
    auto answer = held.keeper->check_held().get();
    ASSERT_TRUE(answer.has_value()) << answer.error().message;
    EXPECT_TRUE(*answer);
  }
}

TEST(LeaseKeeperCheck, SaysNotHeldOnceAnotherRunnerTookTheLeaseOver) {
  Held held;
  ASSERT_TRUE(held.keeper);
  held.lock->advance(11'000);  // past the lease, never renewed
  MemoryLockStore thief(held.lock);
  auto now = thief.now();
  ASSERT_TRUE(now.has_value());
  auto taken = thief.try_acquire({.owner = "thief", .host = "t", .pid = 2, .user = "t", .acquired_at = *now,
                                  .expires_at = *now + 10'000});
  ASSERT_TRUE(taken.has_value() && *taken) << "the expired lease is taken over";

  auto answer = held.keeper->check_held().get();
  ASSERT_TRUE(answer.has_value()) << answer.error().message;
  EXPECT_FALSE(*answer);
}

TEST(LeaseKeeperCheck, ReportsAnUnreachableStoreAsAnError) {
  Held held;
  ASSERT_TRUE(held.keeper);
  held.lock->set_unreachable(true);
  auto answer = held.keeper->check_held().get();
  ASSERT_FALSE(answer.has_value());
  EXPECT_EQ(answer.error().kind, ErrorKind::kDatabase);
  held.lock->set_unreachable(false);
}

TEST(LeaseKeeperCheck, AnswersNotHeldOnceReleased) {
  Held held;
  ASSERT_TRUE(held.keeper);
  ASSERT_TRUE(held.keeper->release().has_value());
  auto answer = held.keeper->check_held().get();  // the renewal thread is gone: still answered
  ASSERT_TRUE(answer.has_value());
  EXPECT_FALSE(*answer);
}

TEST(LeaseKeeperCheck, AnswersNotHeldWhenTheRenewalThreadCannotConnect) {
  Held held([]() -> Result<std::unique_ptr<store::LockStore>> {
    return std::unexpected(Error{ErrorKind::kDatabase, "no connection"});
  });
  ASSERT_TRUE(held.keeper);
  auto answer = held.keeper->check_held().get();
  ASSERT_TRUE(answer.has_value());
  EXPECT_FALSE(*answer);
  EXPECT_TRUE(held.keeper->lost());
  EXPECT_NE(held.keeper->lost_reason().find("no connection"), std::string::npos) << held.keeper->lost_reason();
}

// A MemoryLockStore that counts its renewals.
class CountingStore final : public store::LockStore {
 public:
  CountingStore(std::shared_ptr<MemoryLock> lock, std::shared_ptr<std::atomic<int>> renewals)
      : store_(std::move(lock)), renewals_(std::move(renewals)) {}
  Result<bool> try_acquire(const LeaseHolder& holder) override { return store_.try_acquire(holder); }
  Result<bool> renew(const LeaseHolder& holder, TimestampMs expires_at) override {
    ++*renewals_;
    return store_.renew(holder, expires_at);
  }
  Result<bool> holds(const LeaseHolder& holder) override { return store_.holds(holder); }
  Result<void> release(const LeaseHolder& holder) override { return store_.release(holder); }
  Result<store::LockState> read() override { return store_.read(); }
  Result<bool> clear(const LeaseHolder& expected) override { return store_.clear(expected); }
  Result<void> clear_unknown() override { return store_.clear_unknown(); }
  Result<TimestampMs> now() override { return store_.now(); }

 private:
  MemoryLockStore store_;
  std::shared_ptr<std::atomic<int>> renewals_;
};

// Durations whose steady_clock sum overflows (3,000,000 h is 1.08e19 ns).
constexpr std::chrono::milliseconds kHuge = std::chrono::hours(3'000'000);

TEST(LeaseKeeperDeadlines, AHugeTimeoutWaitsInsteadOfGivingUpAtOnce) {
  // The deadline overflowed into the past: `up --lock-timeout 3000000h`
  // against a held lock gave up in 18 ms.
  Held held;
  ASSERT_TRUE(held.keeper);
  MemoryLockStore other(held.lock);
  std::atomic<int> stop{0};
  std::thread stopper([&stop] {
    std::this_thread::sleep_for(300ms);
    stop = 2;
  });
  auto started = std::chrono::steady_clock::now();
  LockOptions options{.lease = 10s, .renew_every = 1h, .timeout = kHuge, .poll = 10ms};
  auto taken = runner::LeaseKeeper::acquire(other, {}, {.host = "h2", .pid = 2, .user = "u2"}, options, {}, &stop);
  stopper.join();
  ASSERT_FALSE(taken.has_value());
  EXPECT_EQ(taken.error().kind, ErrorKind::kInterrupted) << taken.error().message;
  EXPECT_GE(std::chrono::steady_clock::now() - started, 250ms);
}

TEST(LeaseKeeperDeadlines, AHugeRenewalIntervalDoesNotRenewInALoop) {
  // The next renewal overflowed into the past: `--lock-lease 9000000h`
  // sent about 1,000 renewals a second.
  auto lock = std::make_shared<MemoryLock>();
  auto renewals = std::make_shared<std::atomic<int>>(0);
  MemoryLockStore store(lock);
  LockOptions options{.lease = 3 * kHuge, .renew_every = kHuge, .timeout = 1s, .poll = 10ms};
  auto taken = runner::LeaseKeeper::acquire(
      store,
      [lock, renewals]() -> Result<std::unique_ptr<store::LockStore>> {
        return std::make_unique<CountingStore>(lock, renewals);
      },
      {.host = "h", .pid = 1, .user = "u"}, options, {}, nullptr);
  ASSERT_TRUE(taken.has_value()) << taken.error().message;
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(renewals->load(), 0);
  EXPECT_TRUE((*taken)->release().has_value());
}

}  // namespace
}  // namespace mongomigrate::testing
