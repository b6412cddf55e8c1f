// The embeddable migration registry: the same operations as the CLI.
//
//   auto migrator = mongomigrate::Migrator::open({.uri = "...", .directory = "migrations"});
//   if (!migrator) { report(migrator.error()); }
//   auto report = migrator->run_pending({.applied_by = "deploy"});
//
// A Migrator re-reads the migration directory and the tracking log on every
// call, so it always acts on what is there now. It is not thread-safe; use one
// per thread. Errors are values (Result<T>); a migration that fails is reported
// in the RunReport, not as an Error.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mongomigrate/error.h"
#include "mongomigrate/import.h"
#include "mongomigrate/options.h"
#include "mongomigrate/report.h"

namespace mongomigrate {

struct MigratorOptions {
  std::string uri = "mongodb://localhost:27017";
  std::string database;  // empty: take it from the URI's path
  std::string directory = "migrations";
  std::string collection = "migrationlogs";
  LockOptions lock;
  // Called once when a writing operation has to wait for the lock.
  std::function<void(const LeaseHolder&)> on_lock_wait;
  // Called once, with one sentence, when no server answers and the driver
  // waits for one (up to the URI's serverSelectionTimeoutMS, 30 s by
  // default: a wrong host or port, a server down). Not for an election
  // (every member answers) nor a member down while the primary answers. It
  // runs inside the operation that waits (in a fan-out, once for the whole
  // run, on a thread of the connection pool): it must not use the Migrator.
  // Exceptions it throws are dropped.
  std::function<void(const std::string&)> on_server_wait;
  // Called with one sentence when an operation that succeeded left
  // something behind that needs no action: the lease could not be released
  // after the work was done and recorded (it expires by itself after
  // lock.lease). The operation still returns its result. Unset: not told.
  // Exceptions it throws are dropped. In a fan-out it is called from the
  // database's worker thread, with "<database>: " before the sentence.
  std::function<void(const std::string&)> on_warning;
  // Raised (non-zero, e.g. a signal number) to ask a writing operation to
  // stop: the current command finishes, the migration it belongs to is
  // recorded failed ("interrupted by signal N") unless it had completed, the
  // lease is released, and the call returns kInterrupted. Not owned.
  const std::atomic<int>* stop = nullptr;
};

struct RunOptions {
  bool dry_run = false;
  std::string applied_by;  // empty: "$USER@hostname"
  ProgressCallback on_progress;
  // C++ migrations: a batch run that failed or was interrupted continues
  // after its last completed batch, unless `restart` is set.
  bool restart = false;
  std::function<void(const BatchProgress&)> on_batch;
  std::function<void(std::string_view)> on_log;  // Context::log lines
  // run_pending: refuse (kRefused, before anything is written) when a
  // migration to apply sorts before the newest applied one, instead of
  // applying it out of order (RunReport::out_of_order).
  bool strict_order = false;
  // run_pending: apply only up to and including this migration (`up --to`).
  std::string to;
};

struct RevertOptions {
  // Print the plan (each migration's `down` commands), take no lock, write nothing.
  bool dry_run = false;
  // revert(name): revert it even though later migrations are applied.
  bool force = false;
  std::string reverted_by;  // empty: "$USER@hostname"
  ProgressCallback on_progress;
  std::function<void(const BatchProgress&)> on_batch;
  std::function<void(std::string_view)> on_log;
};

struct HistoryOptions {
  int limit = 20;
};

// Who does a recovery operation and why; both are recorded in its event.
struct RecoveryOptions {
  std::string by;  // empty: "$USER@hostname"
  std::string reason;
};

struct BaselineOptions {
  std::string by;  // empty: "$USER@hostname"
  std::string reason;
  // Also record applied the migrations up to the target whose record says
  // they are not (failed, interrupted, reverted, pending): the operator has
  // checked that the database holds them. An interrupted revert is never
  // recorded applied, with or without this.
  bool include_unfinished = false;
};

struct UnlockOptions {
  bool force = false;  // clear a live (unexpired) lease too
  std::string by;
  std::string reason;
};

struct UnlockReport {
  std::optional<LeaseHolder> holder;  // the lease found, if any
  bool was_live = false;              // unexpired when found
  // Documents in the lock collection of a shape this version does not write
  // (as JSON): reported, and deleted only with `force`.
  std::vector<std::string> unknown;
  bool cleared = false;
};

// The statuses `mark` can set.
enum class MarkAs { kApplied, kPending, kReverted };
// "applied" -> kApplied, ...; nullopt for any other word.
std::optional<MarkAs> parse_mark_as(std::string_view word);

struct MarkReport {
  std::string name;
  std::string previous_status;  // "" when there was no record; "unknown" for a record with no status word
  std::string status;           // as now recorded
};

class Migrator {
 public:
  // Checks the options (URI syntax, a database name, the directory exists);
  // does not contact the server yet.
  static Result<Migrator> open(MigratorOptions options);

  Migrator(Migrator&&) noexcept;
  Migrator& operator=(Migrator&&) noexcept;
  ~Migrator();

  // Applies, in order, every migration not applied; stops at the first
  // failure and never runs or passes a failed or interrupted one.
  Result<RunReport> run_pending(const RunOptions& options = {});
  // Applies one migration now, whatever its place in the order; refuses an
  // applied one. Failed and interrupted ones may be re-run this way.
  Result<RunReport> run(std::string_view name, const RunOptions& options = {});
  // Runs the migration's `down` and marks it reverted; refuses one that is
  // not applied or has no `down`, and one under later applied migrations
  // unless `options.force` (the refusal lists them). Finishes a revert that
  // was interrupted.
  Result<RunReport> revert(std::string_view name, const RevertOptions& options = {});
  // Reverts the newest `count` (>= 1) applied migrations, newest first,
  // under one lease; stops at the first failure. Fewer when fewer are applied.
  Result<RunReport> revert_last(int count = 1, const RevertOptions& options = {});
  // Reverts every applied migration after `name`, newest first, under one
  // lease; stops at the first failure. `name` itself is kept, applied or not
  // (it must be a migration of the directory or the log).
  Result<RunReport> revert_after(std::string_view name, const RevertOptions& options = {});
  // (Every name here is accepted with or without its extension: `001-x` for
  // `001-x.json`; a stem that matches two migrations is kBadInput.)

  Result<StatusReport> status();
  Result<ValidateReport> validate();
  // Events newest first.
  Result<std::vector<HistoryEvent>> history(const HistoryOptions& options = {});
  // Entries of the migration directory that are not valid migrations, each
  // with its one-line error (what status and validate show as `invalid`).
  // Reads the directory only.
  Result<std::vector<InvalidEntry>> invalid_migrations() const;

  // Shows the lock and clears it if expired; a live one, or lock documents of
  // an unknown shape, only with `force` (else kRefused). Recorded as an
  // "unlocked" event when cleared.
  Result<UnlockReport> unlock(const UnlockOptions& options = {});
  // Sets a migration's recorded status without running anything, after a
  // hand repair. Marking applied records the file's current checksum (the
  // file must exist); over an applied record it keeps when and by whom it
  // was applied, and the event's reason names the checksum replaced.
  // Marking pending clears what the record says of a run; with no record
  // it writes nothing (previous_status ""). Marking reverted a migration
  // with no record is kRefused. Takes the lock; recorded as a "marked" event.
  Result<MarkReport> mark(std::string_view name, MarkAs as, const RecoveryOptions& options = {});
  // Adopts an existing database: marks every migration up to and including
  // `name` applied without running it. Takes the lock; one "baselined" event
  // per migration marked. Returns the names marked. Refuses (kRefused,
  // naming them, nothing written) while a migration up to `name` has a
  // record that is not applied, unless options.include_unfinished; always
  // while one's revert was interrupted. Writes in batches, checking the lease
  // and MigratorOptions::stop between them (kInterrupted: what was written
  // stays, each record with its event).
  Result<std::vector<std::string>> baseline(std::string_view name, const BaselineOptions& options = {});
  // Takes over a database migrate-mongo or golang-migrate ran: each
  // migration they applied is recorded applied (by a claim, like baseline;
  // appliedBy "import from <tool>", one "imported" event each), reading
  // their collection and never writing it. Migrations already in the log
  // are left as they are, so a second import changes nothing. Takes the lock
  // unless there is nothing to record or it is a dry run (which writes
  // nothing). Refusals (exit 2) are in core/import_plan.h.
  Result<ImportReport> import_from(ImportSource source, const ImportOptions& options = {});

  // The URI with its password replaced by "*****", safe to print.
  const std::string& redacted_uri() const;
  const std::string& database() const;

 private:
  // Builds a Migrator on in-memory stores, for tests of the orchestrator
  // without a server (tests/support/memory_migrator.h).
  friend struct MigratorTesting;
  // Builds each database's Migrator on connections from its pool.
  friend class FanOut;
  struct Impl;
  explicit Migrator(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// The library's version string, e.g. "0.1.0" (semantic versioning).
const char* version();

// The git commit the library was built from ("61a85fc1b2c3", with "-dirty"
// when the tree had uncommitted changes), or "" when it was built outside a
// git checkout of its own (a source tarball) and none was given at configure
// time (-DMONGOMIGRATE_COMMIT).
const char* build_commit();

// Whether the MongoDB driver's own log lines (libmongoc's warnings and
// messages) are written to stderr; off by default (the CLI's --verbose).
// Process-wide: it applies to every Migrator.
void set_driver_log(bool enabled);

}  // namespace mongomigrate
