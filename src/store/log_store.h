// The seam to the tracking log (`<collection>`, one record per migration)
// and its audit trail (`<collection>_events`). The MongoDB implementation is
// mongo/log_store.h; tests/support has an in-memory one.
//
// How a runner writes a migration's record (DESIGN.md §3), at most three
// writes per migration:
// 1. A claim: before the migration's first command, its record says
//    `running` under the runner's owner id (lockOwner). claim() inserts the
//    record, or updates the one the runner read under its lease, only if that
//    record is still as read: so of two runners only one claims a migration
//    (the unique index on `name` refuses the second insert), and a runner
//    paused past its lease cannot claim a record its successor changed.
// 2. The outcome, filtered by the claimed record's `_id` and the owner id
//    (fencing): if the record is no longer this runner's, nothing is written
//    and the call fails with kLockLost.
// 3. One event.
// `up` writes one migration's outcome and the next one's claim together
// (finish_applied_and_claim_run): still two writes, in one round trip.
// `mark` and `baseline` write a status by the same claim (one write: the
// status is the outcome). `baseline` inserts the records of migrations that
// have none many at a time (insert_applied): the unique index on `name` is
// the claim, so a name another runner holds by now is never recorded applied.
//
// Contract, for every implementation:
// - Reads (load, find, history, load_checkpoint) never create anything.
// - Errors: kDatabase when the store cannot be reached or fails; kRefused
//   when a claim finds the record not as expected (another runner got there
//   first, or its status forbids it); kLockLost when a fenced write finds the
//   record no longer the caller's.
// - A claim (claim_run, claim_revert, the claim of
//   finish_applied_and_claim_run) whose write fails but may have landed all
//   the same (no reply; a write concern error: applied, not confirmed) is
//   given back as release_claim() does before its kDatabase error returns,
//   so a migration that never started is not left `running`; the message
//   says whether giving it back worked.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/log_record.h"
#include "core/migration.h"
#include "mongomigrate/error.h"
#include "mongomigrate/report.h"
#include "mongomigrate/value.h"

namespace mongomigrate::store {

// A record a runner claimed: the one its fenced writes go to.
struct Claim {
  std::string name;
  std::string id;     // the record's `_id` (ObjectId, hex; empty: found by name)
  std::string owner;  // the runner's lease owner id, the record's lockOwner
};

// What a claim writes into the record.
struct ClaimRequest {
  // The record as read under the lease (nullopt: there was none, so the
  // claim inserts one). The claim succeeds only if it is still so: same
  // `_id`, status, lockOwner and revision (which every write but a give-back
  // changes, so a record rewritten to look as it was is not taken for it).
  std::optional<core::LogRecord> seen;
  std::string owner;  // the claimer's lease owner id
  std::string by;     // appliedBy (up, run)
};

class LogStore {
 public:
  virtual ~LogStore() = default;

  // kBadInput if the collection holds another tool's records (migrate-mongo's
  // changelog, golang-migrate's schema_migrations: documents with no `name`
  // but their fields), naming the `import` command to use; so a log pointed
  // at one is refused before anything is written. load(), find(),
  // history() and ensure_indexes() check it first; taking the lock does too. A store that
  // cannot hold such documents (in memory) has nothing to check.
  virtual Result<void> check_ours() { return {}; }

  // Every record, one query.
  virtual Result<std::vector<core::LogRecord>> load() = 0;
  // The record named `name`, if any.
  virtual Result<std::optional<core::LogRecord>> find(const std::string& name) = 0;
  // The unique index on {name: 1} ("name_1"); an existing unique index on
  // {name: 1} under another name is accepted. A log that holds a name more
  // than once (written before the index existed) is kRefused, naming each
  // such record (core::duplicates_problem), and no index is created.
  virtual Result<void> ensure_indexes() = 0;

  // `up`/`run`: the record becomes `running` (version, checksum, appliedBy
  // from `migration` and `request.by`; not reverting) under request.owner.
  // With request.seen empty, a record found `running` under request.owner
  // already (an earlier claim of the caller's that landed late) is that
  // claim, not a refusal.
  virtual Result<Claim> claim_run(const core::Migration& migration, const ClaimRequest& request) = 0;
  virtual Result<void> finish_applied(const core::Migration& migration, const Claim& claim, const std::string& by,
                                      TimestampMs applied_at, std::int64_t duration_ms) = 0;
  virtual Result<void> finish_failed(const core::Migration& migration, const Claim& claim, const std::string& error,
                                     std::int64_t duration_ms) = 0;
  // finish_applied() of `migration`, then claim_run() of `next`, a migration
  // with no record (next_request.seen is empty), as one write where the
  // store can: `up` records each migration's outcome and claims the next in
  // one round trip. In that order, and the first failure stops it: if the
  // outcome's fence fails nothing is written (kLockLost, as finish_applied);
  // otherwise the outcome is written and the inner result is the claim's,
  // as claim_run() gives it (kRefused: another runner got there first).
  // The default makes the two calls. (The MongoDB store, which sends both in
  // one command, writes a record deleted by hand meanwhile anew, applied,
  // with its name and version, rather than nothing: the migration did run.)
  virtual Result<Result<Claim>> finish_applied_and_claim_run(const core::Migration& migration, const Claim& claim,
                                                             const std::string& by, TimestampMs applied_at,
                                                             std::int64_t duration_ms, const core::Migration& next,
                                                             const ClaimRequest& next_request) {
    if (auto finished = finish_applied(migration, claim, by, applied_at, duration_ms); !finished) {
      return std::unexpected(finished.error());
    }
    return claim_run(next, next_request);
  }

  // `down`: the record (applied, or a revert left `running`) becomes
  // `running`, reverting, under request.owner; an old error and (C++
  // migrations) batch checkpoint are cleared. request.seen must be set.
  virtual Result<Claim> claim_revert(const core::Migration& migration, const ClaimRequest& request) = 0;
  virtual Result<void> finish_reverted(const core::Migration& migration, const Claim& claim, const std::string& by,
                                       TimestampMs reverted_at) = 0;
  // A `down` that failed or was stopped may have half run: the record stays
  // `running`, reverting, with the error and no lockOwner (interrupted).
  virtual Result<void> note_revert_failed(const core::Migration& migration, const Claim& claim,
                                          const std::string& error) = 0;

  // Gives back a claim whose migration was not started (the lease was found
  // lost right after it): the record is as `request.seen` was (deleted if the
  // claim inserted it), if it is still `claim`'s (else kLockLost). Restores
  // the fields a claim writes (status, version, checksum, appliedBy, error,
  // lockOwner, reverting, revision), not a batch checkpoint a revert's claim
  // cleared.
  virtual Result<void> release_claim(const Claim& claim, const ClaimRequest& request) = 0;

  // `mark`, `baseline`: sets `name`'s status (applied: with `migration`'s
  // version and checksum, and appliedAt/appliedBy = at/request.by unless the
  // record was applied already; pending: without appliedAt, appliedBy,
  // duration, checksum, revertedAt, revertedBy; reverted: revertedAt/
  // revertedBy = at/request.by), by a claim as above, in one write. Any
  // status clears a batch checkpoint: the next run starts over, as after a
  // finished run or a revert.
  virtual Result<void> set_status(const std::string& name, const core::Migration* migration,
                                  const std::string& status, TimestampMs at, const ClaimRequest& request) = 0;

  // `baseline`: new records, `applied` as set_status() writes them (at,
  // `by`), for migrations that have none, in order and in one write. A name
  // that has a record by now (another runner's claim: the unique index
  // refuses it) stops the write there, with no error. `written`: how many
  // records landed, from the first (each is owed its event, error or not);
  // `error` (kDatabase): why the write failed, after those; when it may have
  // landed further than the reply says (no reply), `written` counts only
  // what the reply confirmed.
  struct InsertedApplied {
    std::size_t written = 0;
    std::optional<Error> error;
  };
  virtual InsertedApplied insert_applied(std::span<const core::Migration* const> migrations, TimestampMs at,
                                         const std::string& by) = 0;

  // metadata.<key> = value on the claimed record (batch totals, checkpoints);
  // a null checkpoint is none (load_checkpoint finds nothing).
  virtual Result<void> set_metadata(const Claim& claim, const std::string& key, const Value& value) = 0;
  // metadata.checkpoint of `name`'s record, if it is a document.
  virtual Result<std::optional<Document>> load_checkpoint(const std::string& name) = 0;

  virtual Result<void> append_event(const HistoryEvent& event) = 0;
  // Events in one write, in order.
  virtual Result<void> append_events(std::span<const HistoryEvent> events) = 0;
  // Newest first, at most `limit`.
  virtual Result<std::vector<HistoryEvent>> history(int limit) = 0;
};

}  // namespace mongomigrate::store
