// The MongoDB lock store (mongo/lock_store.h) against the real server: the
// conformance suite every LockStore passes (support/lock_store_conformance.h),
// and what the lock collection holds.
#include "mongo/lock_store.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "support/integration.h"
#include "support/lock_docs.h"
#include "support/lock_store_conformance.h"

namespace mongomigrate::testing {
namespace {

class LockStoreTest : public IntegrationTest {
 protected:
  LockStoreHarness harness() {
    return LockStoreHarness{
        .open =
            [this] {
              auto store = mongo::open_lock_store(uri(), db(), kLockCollection);
              if (!store) throw std::runtime_error(store.error().message);
              return std::move(*store);
            },
        .write_unknown_shape =
            [this] { probe().insert(kLockCollection, R"({"_id": "lease", "lockedBy": "a tool of old", "expiresAt": {"$date": "2020-01-01T00:00:00Z"}})"); },
        .write_stray = [this] { probe().insert(kLockCollection, R"({"_id": 1, "note": "left by hand"})"); },
        .wait = [](TimestampMs ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }};
  }
};

TEST_F(LockStoreTest, AcquireAndHeld) {
  LockStoreHarness h = harness();
  check_acquire_and_held(h);
}

TEST_F(LockStoreTest, TakeoverOfAnExpiredLease) {
  LockStoreHarness h = harness();
  check_takeover_of_an_expired_lease(h);
}

TEST_F(LockStoreTest, RenewOfALeaseTakenOverIsLost) {
  LockStoreHarness h = harness();
  check_renew_of_a_lease_taken_over_is_lost(h);
}

TEST_F(LockStoreTest, ReleaseByANonOwnerDoesNothing) {
  LockStoreHarness h = harness();
  check_release_by_a_non_owner_does_nothing(h);
}

TEST_F(LockStoreTest, ClearEndsOnlyTheLeaseItWasShown) {
  LockStoreHarness h = harness();
  check_clear_ends_only_the_lease_it_was_shown(h);
}

TEST_F(LockStoreTest, UnknownShapeBlocksUntilCleared) {
  LockStoreHarness h = harness();
  check_unknown_shape_blocks_until_cleared(h);
}

TEST_F(LockStoreTest, AStrayDocumentIsReportedAndBlocksNothing) {
  LockStoreHarness h = harness();
  check_a_stray_document_is_reported_and_blocks_nothing(h);
}

TEST_F(LockStoreTest, ExactlyOneOfManyRacingRunnersWins) {
  LockStoreHarness h = harness();
  check_exactly_one_of_many_racing_runners_wins(h);
}

// The lock is one document, and nothing is left once it is released.
TEST_F(LockStoreTest, TheLeaseIsOneDocumentGoneOnRelease) {
  auto store = mongo::open_lock_store(uri(), db(), kLockCollection);
  ASSERT_TRUE(store) << store.error().message;
  auto now = (*store)->now();
  ASSERT_TRUE(now) << now.error().message;
  LeaseHolder lease{.owner = "me:1:ab", .host = "here", .pid = 7, .user = "ci", .acquired_at = *now,
                    .expires_at = *now + 60'000};
  ASSERT_TRUE(*(*store)->try_acquire(lease));
  EXPECT_EQ(probe().count(kLockCollection), 1);
  EXPECT_EQ(lease_field(probe(), "owner"), "me:1:ab");
  EXPECT_EQ(lease_field(probe(), "user"), "ci");
  ASSERT_TRUE(*(*store)->renew(lease, *now + 120'000));
  EXPECT_EQ(probe().count(kLockCollection), 1) << "a renewal updates the one document";
  ASSERT_TRUE((*store)->release(lease));
  EXPECT_EQ(lock_leftovers(probe()), 0);
}

// Any other document in the lock collection (an older version's lease
// epochs, say) is reported, and does not stop this version's lease.
TEST_F(LockStoreTest, OtherDocumentsAreReportedAndClearedOnlyByClearUnknown) {
  probe().insert(kLockCollection, R"({"_id": "lease:000000000007", "epoch": 7, "owner": "old"})");
  auto store = mongo::open_lock_store(uri(), db(), kLockCollection);
  ASSERT_TRUE(store) << store.error().message;
  auto state = (*store)->read();
  ASSERT_TRUE(state) << state.error().message;
  EXPECT_FALSE(state->holder.has_value());
  ASSERT_EQ(state->unknown.size(), 1u);
  EXPECT_NE(state->unknown[0].find("lease:000000000007"), std::string::npos) << state->unknown[0];
  ASSERT_TRUE((*store)->clear_unknown());
  EXPECT_EQ(lock_leftovers(probe()), 0);
}

}  // namespace
}  // namespace mongomigrate::testing
