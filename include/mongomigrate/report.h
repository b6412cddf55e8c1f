// Plain value types returned by the Migrator: what the tracking log says,
// what a run did, what validation found. No database types leak through here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mongomigrate {

// Milliseconds since the Unix epoch, UTC (the resolution of a BSON date).
using TimestampMs = std::int64_t;

// The state of one migration as reported to users. kInterrupted is a record
// left `running` by a runner that is gone (a crash); it blocks `up` like kFailed.
// kInvalid is a directory entry that is not a valid migration (its file does
// not parse, its name is not valid, or it is not a file): shown by the
// reading operations, refused by the writing ones. kUnknown is a record
// whose status is none of the five words this tool and the seed write (a
// hand edit: "Applied", "done", none at all): whether it ran is unknown, so
// it blocks `up` and `run` like kFailed until `mark` sets a status.
enum class MigrationStatus { kPending, kApplied, kFailed, kReverted, kRunning, kInterrupted, kInvalid, kUnknown };

// The status word used in output and JSON ("pending", "applied", ...).
const char* to_string(MigrationStatus status);

struct MigrationState {
  std::string name;
  std::string version;
  std::string description;
  MigrationStatus status = MigrationStatus::kPending;
  bool has_file = true;   // false: in the log but no file in the directory
  bool modified = false;  // applied, and the file's checksum differs from the recorded one
  std::string checksum;           // of the file now (empty when missing)
  std::string recorded_checksum;  // as written in the log when applied
  std::optional<TimestampMs> applied_at;
  std::optional<TimestampMs> reverted_at;
  std::optional<std::int64_t> duration_ms;
  std::string applied_by;
  std::string reverted_by;
  std::string error;  // of the last failure; for kInvalid, why the entry is not a migration
  std::string recorded_status;  // kUnknown: the status word in the log, as it is ("" for none)
  // Running or interrupted while its `down` ran (a revert), not its `up`.
  bool reverting = false;
  // Not applied (pending or reverted), with a file, and sorting before the
  // newest applied migration: `up` would apply it out of order.
  bool out_of_order = false;
};

struct StatusSummary {
  int total = 0;
  int applied = 0;
  int pending = 0;
  int failed = 0;
  int reverted = 0;
  int running = 0;
  int interrupted = 0;
  int invalid = 0;
  int unknown = 0;
};

// The runner holding (or last holding) the migration lock, from
// `<collection>_lock`. Times are the server's clock.
struct LeaseHolder {
  std::string owner;  // unique per runner process
  std::string host;
  std::int64_t pid = 0;
  std::string user;  // --by of that runner
  TimestampMs acquired_at = 0;
  TimestampMs expires_at = 0;
};

// Every migration known from the directory or the log, in run order (missing
// ones, known only from the log, are merged into the same byte-wise order).
struct StatusReport {
  StatusSummary summary;
  std::vector<MigrationState> migrations;
  std::vector<std::string> modified;  // names
  std::vector<std::string> missing;   // names
  // Names the log holds more than once (a log written before its unique
  // index): each is shown once above, from its first record; `log_problem`
  // says which records they are and how to resolve it. Writing commands
  // refuse such a log.
  std::vector<std::string> duplicated;
  std::string log_problem;
  std::vector<std::string> out_of_order;  // names (see MigrationState::out_of_order)
  // The lock document, if any, and whether it was live (unexpired).
  std::optional<LeaseHolder> lock;
  bool lock_live = false;
};

// A directory entry that is not a valid migration and why (one line).
struct InvalidEntry {
  std::string name;
  std::string error;
};

struct ValidationIssues {
  std::vector<std::string> modified;     // applied, file changed since
  std::vector<std::string> missing;      // applied, file gone
  std::vector<std::string> interrupted;  // left running by a runner that is gone
  std::vector<std::string> duplicated;   // more than one record in the log
  std::vector<std::string> failed;       // their last run failed
  std::vector<std::string> unknown;      // a record whose status word is unknown (MigrationStatus::kUnknown)
  std::vector<InvalidEntry> invalid;     // directory entries that are not valid migrations
};

struct ValidateReport {
  bool valid = true;
  ValidationIssues issues;
};

// One audit event from the `<collection>_events` collection.
struct HistoryEvent {
  std::string name;
  std::string action;  // applied, failed, reverted, revert_failed, ...
  TimestampMs at = 0;
  std::string by;
  std::optional<std::int64_t> duration_ms;
  std::string error;
  std::string checksum;
  std::string host;
  std::int64_t pid = 0;
  std::string reason;  // recovery operations: why (--reason)
};

// Progress of a C++ migration's batch helper, reported after each batch.
struct BatchProgress {
  std::string migration;
  std::int64_t done = 0;   // documents scanned so far (including a resumed run's earlier ones)
  std::int64_t total = 0;  // matching documents when the batch run started
  std::int64_t batches = 0;
  std::int64_t elapsed_ms = 0;  // in this run
  bool resumed = false;
};

// What happened (or, in a dry run, would happen) to one migration.
enum class StepOutcome { kPlanned, kApplied, kFailed, kReverted };
const char* to_string(StepOutcome outcome);

struct StepReport {
  std::string name;
  StepOutcome outcome = StepOutcome::kPlanned;
  std::int64_t duration_ms = 0;
  std::string error;                  // when kFailed
  std::vector<std::string> commands;  // JSON text of each command (dry run)
  std::vector<std::string> warnings;  // e.g. reverting with an empty `down`
};

// The result of run_pending / run / revert / revert_last / revert_after. A failed migration is an outcome,
// not an Error: `ok()` is false and `steps.back()` says why.
struct RunReport {
  bool dry_run = false;
  // Set by the revert calls: the steps revert (a dry run's would revert).
  bool reverts = false;
  std::vector<StepReport> steps;
  // Set when `up` stopped in front of a failed or interrupted migration.
  std::optional<std::string> blocked_by;
  std::string blocked_reason;
  // Dry run only: a migration another live runner is applying now. The plan
  // stops in front of it; `up` would wait for that runner, so this is not a
  // block (ok() stays true).
  std::optional<std::string> running_elsewhere;
  // `up`: the migrations it applied (or, dry run, would apply) although they
  // sort before the newest applied one.
  std::vector<std::string> out_of_order;

  bool ok() const;
};

}  // namespace mongomigrate
