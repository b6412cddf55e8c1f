// Migrator::Impl: what every operation of the Migrator shares. The
// operations live by concern: migrator_reads.cc (status, validate, history),
// migrator_apply.cc (up, run, down), migrator_recovery.cc (unlock, mark,
// baseline), migrator_lock.cc (the lock session every writing operation runs
// in). They reach the database only through the seams (store/lock_store.h,
// store/log_store.h, store/target.h) and the runner; only migrator.cc knows
// they are MongoDB's.
#pragma once

#include <fmt/format.h>

#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/import_plan.h"
#include "core/log_record.h"
#include "core/planner.h"
#include "core/recovery_plan.h"
#include "mongomigrate/migrator.h"
#include "runner/lease_keeper.h"
#include "runner/runner.h"

namespace mongomigrate {

namespace mongo {
class Client;
}  // namespace mongo

// A writing operation's hold on the lock, for the body of Impl::with_lock.
class LockSession {
 public:
  explicit LockSession(runner::LeaseKeeper& keeper) : keeper_(keeper) {}
  const std::string& owner() const { return keeper_.holder().owner; }
  bool lost() const { return keeper_.lost(); }
  std::string lost_reason() const { return keeper_.lost_reason(); }
  // Why the lease is no longer ours, or nullopt if it still is: one read of
  // the lock (none once the renewer has found it lost).
  Result<std::optional<std::string>> why_lost();
  // kLockLost ("stopped before <before>: the migration lock was lost (why)")
  // unless the lease is still ours.
  Result<void> still_ours(const std::string& before);
  // A write refused because its record changed (kRefused) while we held the
  // lock: that happens only once the lease is lost, so it becomes kLockLost,
  // saying why; any other error, or a lease still ours, is returned as is.
  Error explain_refusal(Error refusal);
  // why_lost() as kLockLost (saying why), read on the renewal thread's
  // connection while the caller goes on (runner::LeaseCheck).
  std::future<Result<void>> check_async();

 private:
  runner::LeaseKeeper& keeper_;
};

// What a Migrator works through: the seams, and how the lease's renewer
// opens a lock store of its own.
// (Shared: tests keep the in-memory stores across Migrators.)
struct Seams {
  std::shared_ptr<store::LogStore> log;
  std::shared_ptr<store::LockStore> lock;
  std::shared_ptr<store::Target> target;
  runner::LeaseKeeper::StoreOpener open_lock;
  // The event sender's own connection (runner/event_sender.h); may be empty:
  // events are then written in line.
  runner::EventSender::StoreOpener open_events;
  // Refuses a server that breaks the model (FerretDB 1.x); may be empty.
  std::function<Result<void>()> check_server;
  // Another tool's records, read for `import` (mongo/foreign_log.h); may be
  // empty: import is then unavailable.
  std::function<Result<std::vector<core::MigrateMongoRecord>>(const std::string&)> read_migrate_mongo;
  std::function<Result<std::vector<core::GolangMigrateRecord>>(const std::string&)> read_golang_migrate;
  // Who holds that tool's own lock (ForeignLogReader::lock_holder); empty
  // with the two above.
  std::function<Result<std::optional<std::string>>(ImportSource, const std::string&)> foreign_lock_holder;
  // The largest command the server accepts (its maxBsonObjectSize); may be
  // empty: no limit beyond the parser's.
  std::function<Result<std::size_t>()> max_command_bytes;
};

// `result` once the runner's events in flight are written: a failure of
// the audit trail is said, added to the run's own failure if it has one.
template <class T>
Result<T> with_events_finished(runner::Runner& runner, Result<T> result) {
  auto events = runner.finish_events();
  if (events) return result;
  if (result) return std::unexpected(events.error());
  result.error().message += "; " + events.error().message;
  return result;
}

struct Migrator::Impl {
  MigratorOptions options;
  // The MongoDB connection the seams use; none when they were given (tests
  // on in-memory stores).
  std::shared_ptr<mongo::Client> client;
  Seams seams;
  std::string redacted_uri;
  std::string database;

  // Opens another connection to the same database (the lease renewer's, the
  // event sender's); empty: a new Client from the options' URI.
  using Connector = std::function<Result<mongo::Client>()>;
  // The MongoDB stores on `c`.
  Impl(MigratorOptions opts, mongo::Client c, Connector connect = {});
  Impl(MigratorOptions opts, Seams given);

  store::LogStore& log() { return *seams.log; }
  store::LockStore& lock() { return *seams.lock; }
  Result<void> check_server() { return seams.check_server ? seams.check_server() : Result<void>(); }

  // The directory's JSON migrations and the program's compiled-in ones;
  // kBadInput if the directory holds an invalid entry (a writing operation
  // runs nothing then).
  Result<core::Catalog> catalog() const;
  // The same, keeping the invalid entries beside the catalog (what the
  // reading operations show).
  struct Scan {
    core::Catalog catalog;
    std::vector<core::InvalidMigration> invalid;
  };
  Result<Scan> scan() const;
  // Checks a name given on the command line and finds its migration
  // (resolve() among the catalog).
  Result<const core::Migration*> lookup(const core::Catalog& catalog, std::string_view name) const;
  // The exact name a typed one (with or without its extension) means among
  // the catalog and, if given, the log's records; kBadInput when it is not a
  // valid name, names nothing, or matches more than one.
  Result<std::string> resolve(std::string_view typed, const core::Catalog& catalog,
                              const std::vector<core::LogRecord>* records) const;

  // What the lock says about live runners, by the lock's clock.
  struct LockView {
    core::RunnerState state;
    std::optional<LeaseHolder> holder;
    std::vector<std::string> unknown;  // documents of an unknown shape
  };
  Result<LockView> lock_view();

  struct CatalogAndLog {
    core::Catalog catalog;
    std::vector<core::LogRecord> records;
    std::optional<LockView> lock;  // with_lock: read just before the log
    std::vector<core::InvalidMigration> invalid;  // keep_invalid only
  };
  // The catalog and the log (the files are read on a second thread while
  // the log query is in flight). `with_lock`: the lock is read first, then
  // the log, so a `running` record is judged against a lease at least as
  // old as itself. `keep_invalid`: invalid entries are listed, not an error.
  Result<CatalogAndLog> catalog_and_log(bool with_lock, bool keep_invalid = false);

  // Takes the lease for `by` (waiting up to the lock timeout), runs `body`
  // under it and releases it; a body's error is returned as it is (the lease
  // is released all the same). A release that fails after a body that
  // finished is a warning (options.on_warning), not an error: the work is
  // done and recorded, and the lease expires by itself, so the caller gets
  // the body's result and its outcome's exit code.
  template <class T>
  Result<T> with_lock(const std::string& by, const std::function<Result<T>(LockSession&)>& body) {
    auto keeper = take_lock(by);
    if (!keeper) return std::unexpected(keeper.error());
    LockSession session(**keeper);
    Result<T> result = body(session);
    if (!result) return result;
    if (auto released = (*keeper)->release(); !released) warn_lease_left(released.error());
    return result;
  }
  // Tells options.on_warning that the lease could not be released.
  void warn_lease_left(const Error& error) const;

  // `background_events`: a run of many migrations (`up`, `down`) writes its events
  // on a connection of its own while the next migration runs.
  runner::Runner make_runner(const std::string& actor, LockSession& session, runner::RunnerHooks hooks,
                             bool background_events = false);

  // up: applies plan.to_apply in order with `runner` under `session`,
  // adding a step to `report` for each; stops at a failure, a lost lease or
  // a stop request. A migration with no record is claimed with the outcome
  // of the one before it (runner::Runner::apply's `next`).
  Result<void> apply_in_order(runner::Runner& runner, LockSession& session, const core::UpPlan& plan,
                              const std::vector<core::LogRecord>& records, const RunOptions& options,
                              RunReport& report);

  bool stop_requested() const { return options.stop && options.stop->load() != 0; }
  Error interrupted(const std::string& what) const;
  // After a step: a stop request ends the run here.
  std::optional<Error> stop_after(const StepReport& step) const;

  // Stops a run at `name` because the lease is no longer ours, with a
  // "stopped" event. `started`: the runner's error says how far `name` got
  // (claimed, or run without its outcome recorded); else it was not claimed.
  Error lease_lost(const std::string& name, const std::string& why, const std::string& by,
                   std::size_t applied_in_run, bool started);

  HistoryEvent make_event(const std::string& name, const char* action, const std::string& by,
                          const std::string& reason, const std::string& checksum = "",
                          const std::string& error = "") const;
  // down: plans (core::plan_down, names resolved here) and reverts, newest
  // first, under one lease (migrator_revert.cc).
  Result<RunReport> revert_planned(core::DownRequest request, const RevertOptions& how);

  Result<void> record_event(const std::string& name, const char* action, const std::string& by,
                            const std::string& reason, const std::string& checksum = "",
                            const std::string& error = "");
  // baseline's writes under the lock (migrator_recovery.cc).
  Result<std::vector<std::string>> write_baseline(const std::vector<core::BaselineStep>& steps, LockSession& session,
                                                  const BaselineOptions& options);
  // kBadInput naming the file and command if one of `migrations`' `up`
  // (`down`) commands would act on another database than this one
  // (mongo::other_database_problem) or is larger than the server accepts:
  // checked before anything is written, so it never fails half-way or
  // reads as a lost server mid-migration.
  Result<void> check_commands(const std::vector<const core::Migration*>& migrations, bool down);
  // "<name> is <status> (by <who>)" as the log says now, for messages;
  // "unknown (<why>)" if it cannot be read.
  std::string describe_record(const std::string& name);
  // The log as read now, refused (kRefused) while it holds a name twice.
  Result<std::vector<core::LogRecord>> load_unique_log();

 private:
  Result<std::unique_ptr<runner::LeaseKeeper>> take_lock(const std::string& by);
};

// A dry run's step: `commands` as JSON, each as it would be sent to
// `database`'s server (a rename as admin runs it, with full namespaces); a
// command that would be refused before it is sent is shown as written, with
// a warning.
StepReport planned_step(const core::Migration& m, const std::vector<core::Command>& commands,
                        const std::string& database);

// kUsage unless the lease and renewal interval are positive, the renewal
// shorter than the lease, the timeout not negative, and the lease and the
// timeout within their maxima (core/duration.h).
Result<void> check_lock_options(const LockOptions& lock);

Error refused(std::string message);
Error bad_input(std::string message);
// kBadInput when `typed` cannot be a migration name (core::name_problem),
// checked before anything is read.
Result<void> check_name(std::string_view typed);
// The record named `name` in `records`, if any.
std::optional<core::LogRecord> record_named(const std::vector<core::LogRecord>& records, const std::string& name);

}  // namespace mongomigrate
