// One suite every LockStore passes (store/lock_store.h's contract), as
// golang-migrate's database/testing does for its drivers: the MongoDB store
// against the real server (integration/lock_store_test.cc) and the in-memory
// one (unit/memory_stores_test.cc) run the same checks.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "store/lock_store.h"

namespace mongomigrate::testing {

struct LockStoreHarness {
  // A new connection to the same lock (each racing thread takes its own).
  std::function<std::unique_ptr<store::LockStore>()> open;
  // Writes a lease document of a shape the store did not write.
  std::function<void()> write_unknown_shape;
  // Writes a document of a shape the store did not write, under another
  // `_id` than the lease's.
  std::function<void()> write_stray;
  // Lets `ms` pass on the lock's clock (a sleep for a real server).
  std::function<void(TimestampMs ms)> wait;
};

// Each check uses gtest assertions; call them from a TEST with a fresh lock.
void check_acquire_and_held(LockStoreHarness& h);
void check_takeover_of_an_expired_lease(LockStoreHarness& h);
void check_renew_of_a_lease_taken_over_is_lost(LockStoreHarness& h);
void check_release_by_a_non_owner_does_nothing(LockStoreHarness& h);
void check_clear_ends_only_the_lease_it_was_shown(LockStoreHarness& h);
void check_unknown_shape_blocks_until_cleared(LockStoreHarness& h);
void check_a_stray_document_is_reported_and_blocks_nothing(LockStoreHarness& h);
void check_exactly_one_of_many_racing_runners_wins(LockStoreHarness& h);

}  // namespace mongomigrate::testing
