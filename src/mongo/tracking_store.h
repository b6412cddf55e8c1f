// The tracking log (`<collection>`) and its audit trail (`<collection>_events`).
//
// Contract:
// - Reads never create anything (status, validate, history, dry runs).
// - ensure_indexes() creates the unique {name: 1} index named "name_1" (as
//   Mongoose names it) and accepts any existing unique index on {name: 1}.
// - begin() is the single gate to running a migration: it succeeds only if
//   the record is absent or in a status the caller allows; a concurrent
//   runner that got there first makes it fail with kRefused (the unique index
//   turns the race into a duplicate-key error).
// - finish_*() only change a record that is still `running`/`applied` as
//   expected, so an outcome never overwrites someone else's.
// - begin() inserts the record when the caller saw none: on FerretDB v1 an
//   insert costs the same at any log size, while every update or delete
//   costs time proportional to the collection (docs/benchmarks.md). The
//   record gets an ObjectId chosen here and its outcome is written by that
//   `_id` (and `status: running`, which keeps the guard above atomic; FerretDB
//   pushes down only a filter of `_id` alone, so the outcome still grows with
//   the log there). That is why `up` runs new JSON migrations through the run
//   journal instead (core/journal.h, runner/journal_writer.h), whose moves
//   into the log are the insert_journaled*() and note_running() below.
// Field names, types and status words are the seed's (DESIGN.md §3).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/journal.h"
#include "core/log_record.h"
#include "core/migration.h"
#include "mongo/client.h"
#include "mongomigrate/report.h"
#include "mongomigrate/value.h"

namespace mongomigrate::mongo {

// Which record an outcome goes to: by `_id` when begin() inserted it, else
// by name.
struct RecordKey {
  std::string name;
  std::optional<bson_oid_t> id;
};

class TrackingStore {
 public:
  TrackingStore(Client& client, std::string collection);

  const std::string& collection() const { return collection_; }
  std::string events_collection() const { return collection_ + "_events"; }

  // Every record, one query.
  Result<std::vector<core::LogRecord>> load();
  // The record named `name`, if any.
  Result<std::optional<core::LogRecord>> find(const std::string& name);

  Result<void> ensure_indexes();

  // Marks `migration` running for `by`, unless its record's status is one of
  // `refuse_statuses` (then kRefused).
  // `lock_owner` (the lease owner) is recorded so that a `running` record
  // can be told apart from one left by a runner that is gone.
  // `expect_absent`: the caller's last read found no record, so begin()
  // inserts one (one cheap write); if a record appeared meanwhile it falls
  // back to the conditional update, so the outcome is the same either way.
  Result<RecordKey> begin(const core::Migration& migration, const std::string& by,
                          const std::vector<std::string>& refuse_statuses, const std::string& lock_owner,
                          bool expect_absent);
  Result<void> finish_applied(const core::Migration& migration, const RecordKey& key, const std::string& by,
                              TimestampMs applied_at, std::int64_t duration_ms);
  Result<void> finish_failed(const core::Migration& migration, const RecordKey& key, const std::string& error,
                             std::int64_t duration_ms);
  // Before a `down` runs: the applied record (or one left `running` by a
  // revert that was interrupted or failed) becomes `running`, `reverting`,
  // under `lock_owner`, so a crash leaves evidence; kRefused if it is neither.
  Result<void> begin_revert(const core::Migration& migration, const std::string& lock_owner);
  // The outcome of a revert begun by `lock_owner`; kRefused if the record is
  // no longer that runner's.
  Result<void> finish_reverted(const core::Migration& migration, const std::string& by, TimestampMs reverted_at,
                               const std::string& lock_owner);
  // A failed `down` (a command failed, or a signal stopped it): it may have
  // half run, so the record stays `running`, `reverting`, with the error and
  // no runner: interrupted, until `down` finishes it or `run` applies it.
  Result<void> note_revert_failed(const core::Migration& migration, const std::string& error,
                                  const std::string& lock_owner);

  // Sets `name`'s status by hand (mark, baseline): creates the record if
  // needed. For applied, `migration` gives version and checksum.
  Result<void> set_status(const std::string& name, const core::Migration* migration, const std::string& status,
                          const std::string& by, TimestampMs at);

  // metadata.<key> = value on `name`'s record (batch totals, checkpoints).
  Result<void> set_metadata(const std::string& name, const std::string& key, const Value& value);
  // metadata.checkpoint of `name`'s record, if any.
  Result<std::optional<Document>> load_checkpoint(const std::string& name);

  Result<void> append_event(const HistoryEvent& event);

  // The run journal's part (core/journal.h), all by insert, each safe to
  // repeat:
  // Moves journaled records into the log with their ObjectIds. Where the log
  // has a record of that name already, a `running` one (evidence recovered
  // while the migration ran) takes the journaled outcome, and any other is
  // kept: it is the log's own, newer word (or this very record, moved before).
  Result<void> insert_journaled(const std::vector<core::JournaledRecord>& records);
  // Inserts journaled events; one moved before is skipped.
  Result<void> insert_journaled_events(const std::vector<core::JournaledEvent>& events);
  // Crash evidence of a journaled migration with no known outcome: a
  // `running` record under `lock_owner`, unless the log has one of that name.
  Result<void> note_running(const core::LogRecord& running, const std::string& lock_owner);
  // Newest first.
  Result<std::vector<HistoryEvent>> history(int limit);

 private:
  Result<void> update(const bson_t* filter, const bson_t* update, bool upsert,
                      const char* context);
  // The conditional upsert of begin() for a record that may exist.
  Result<RecordKey> begin_by_name(const core::Migration& migration, const std::string& by,
                                  const std::vector<std::string>& refuse_statuses, const std::string& lock_owner);
  // Inserts the `running` record; kRefused with `duplicate` set if one exists.
  Result<RecordKey> begin_by_insert(const core::Migration& migration, const std::string& by,
                                    const std::string& lock_owner, bool& duplicate);

  Client& client_;
  std::string collection_;
  WriteConcernPtr write_concern_;
};

}  // namespace mongomigrate::mongo
