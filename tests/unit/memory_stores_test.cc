// The in-memory stores of tests/support pass the same conformance suite as
// the MongoDB ones, so tests that use them test what the real stores do.
#include <gtest/gtest.h>

#include "support/lock_store_conformance.h"
#include "support/log_store_conformance.h"
#include "support/memory_lock_store.h"
#include "support/memory_migrator.h"

namespace mongomigrate::testing {
namespace {

class MemoryLockStoreTest : public ::testing::Test {
 protected:
  LockStoreHarness harness() {
    return LockStoreHarness{
        .open = [this] { return std::make_unique<MemoryLockStore>(lock_); },
        .write_unknown_shape =
            [this] {
              lock_->set_unknown_lease(
                  R"({"_id": "lease", "lockedBy": "a tool of old", "expiresAt": {"$date": "2020-01-01T00:00:00Z"}})");
            },
        .write_stray = [this] { lock_->add_stray(R"({"_id": 1, "note": "left by hand"})"); },
        .wait = [this](TimestampMs ms) { lock_->advance(ms); }};
  }
  std::shared_ptr<MemoryLock> lock_ = std::make_shared<MemoryLock>();
};

TEST_F(MemoryLockStoreTest, AcquireAndHeld) {
  LockStoreHarness h = harness();
  check_acquire_and_held(h);
}

TEST_F(MemoryLockStoreTest, TakeoverOfAnExpiredLease) {
  LockStoreHarness h = harness();
  check_takeover_of_an_expired_lease(h);
}

TEST_F(MemoryLockStoreTest, RenewOfALeaseTakenOverIsLost) {
  LockStoreHarness h = harness();
  check_renew_of_a_lease_taken_over_is_lost(h);
}

TEST_F(MemoryLockStoreTest, ReleaseByANonOwnerDoesNothing) {
  LockStoreHarness h = harness();
  check_release_by_a_non_owner_does_nothing(h);
}

TEST_F(MemoryLockStoreTest, ClearEndsOnlyTheLeaseItWasShown) {
  LockStoreHarness h = harness();
  check_clear_ends_only_the_lease_it_was_shown(h);
}

TEST_F(MemoryLockStoreTest, UnknownShapeBlocksUntilCleared) {
  LockStoreHarness h = harness();
  check_unknown_shape_blocks_until_cleared(h);
}

TEST_F(MemoryLockStoreTest, AStrayDocumentIsReportedAndBlocksNothing) {
  LockStoreHarness h = harness();
  check_a_stray_document_is_reported_and_blocks_nothing(h);
}

TEST_F(MemoryLockStoreTest, ExactlyOneOfManyRacingRunnersWins) {
  LockStoreHarness h = harness();
  check_exactly_one_of_many_racing_runners_wins(h);
}

// The log store's contract, on the in-memory log the orchestrator tests use.
class MemoryLogStoreTest : public ::testing::TestWithParam<LogStoreCheck> {};

TEST_P(MemoryLogStoreTest, Follows) {
  MemoryLogStore log;
  ASSERT_TRUE(log.ensure_indexes());
  LogStoreHarness h{.store = &log, .put = [&log](const core::LogRecord& r) { log.put(r); }};
  GetParam().check(h);
}

INSTANTIATE_TEST_SUITE_P(Contract, MemoryLogStoreTest, ::testing::ValuesIn(log_store_checks()),
                         log_store_check_name);

}  // namespace
}  // namespace mongomigrate::testing
