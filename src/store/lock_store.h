// The seam to the migration lock: one lease, held by at most one runner at a
// time, measured by one clock (the server's). The MongoDB implementation is
// mongo/lock_store.h; tests/support has an in-memory one.
//
// Contract, for every implementation:
// - At most one holder: try_acquire() succeeds for one caller only while the
//   lease is free or expired, however many race for it; a live lease (one
//   whose expiresAt is not before the caller's acquired_at) is never taken.
// - A lease changes hands only by try_acquire() (free or expired), release()
//   by its holder or clear(). renew(), holds() and release() act on the lease
//   only while it is still the caller's (same owner id): a runner that was
//   taken over renews, and releases, nothing.
// - now() is the clock the lease is measured by; callers pass its readings
//   as acquired_at / expires_at.
// - Reads (read(), holds(), now()) never write anything.
// - Errors: kDatabase when the store cannot be reached or refuses the
//   operation; no other kind. "Held by someone else" and "no longer yours"
//   are values (false), not errors.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "mongomigrate/error.h"
#include "mongomigrate/report.h"

namespace mongomigrate::store {

// What the lock holds.
struct LockState {
  // The lease, if one is held (live or expired: compare expires_at with now()).
  std::optional<LeaseHolder> holder;
  // Documents found where the lease lives that are not a lease this tool
  // writes (hand-made, or left by another tool or version), each described
  // for a person (JSON). A lease document of an unknown shape is never
  // taken over: only clear_unknown() removes it (`unlock --force`).
  std::vector<std::string> unknown;
};

class LockStore {
 public:
  virtual ~LockStore() = default;

  // True if `holder` (owner id, identity, acquired_at = now(), expires_at)
  // now holds the lease: it was free, or held by a lease that expired before
  // holder.acquired_at (taken over). False if it is held by a live lease or
  // blocked by a lease document of an unknown shape.
  virtual Result<bool> try_acquire(const LeaseHolder& holder) = 0;
  // Extends `holder`'s lease to `expires_at`; false if the lease is no longer
  // `holder`'s (taken over, cleared), and then nothing is written.
  virtual Result<bool> renew(const LeaseHolder& holder, TimestampMs expires_at) = 0;
  // Whether the lease is still `holder`'s (same owner id).
  virtual Result<bool> holds(const LeaseHolder& holder) = 0;
  // Ends `holder`'s lease; does nothing if it is no longer `holder`'s.
  virtual Result<void> release(const LeaseHolder& holder) = 0;
  // The lease and any documents of an unknown shape, in one read.
  virtual Result<LockState> read() = 0;
  // Ends the lease whoever holds it, if it is still exactly `expected` (same
  // owner id and expires_at): `unlock`. False if it changed hands or was
  // renewed meanwhile: a lease read as expired and then renewed is live
  // again, and is not cleared as expired.
  virtual Result<bool> clear(const LeaseHolder& expected) = 0;
  // Deletes the documents of an unknown shape (`unlock --force`), each only
  // as it was read: kRefused when one went or changed in between (then a
  // lease taken meanwhile under its `_id` stays).
  virtual Result<void> clear_unknown() = 0;
  // The lease clock now, in ms since the Unix epoch.
  virtual Result<TimestampMs> now() = 0;
};

}  // namespace mongomigrate::store
