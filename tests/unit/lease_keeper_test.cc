// LeaseKeeper::check_held(): the lease check a runner makes on the renewal
// thread's connection while its own connection claims a migration.
#include "runner/lease_keeper.h"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>

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

}  // namespace
}  // namespace mongomigrate::testing
