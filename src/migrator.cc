#include "mongomigrate/migrator.h"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <future>
#include <optional>
#include <system_error>
#include <unordered_set>

#include <fmt/format.h>

#include "core/names.h"
#include "core/planner.h"
#include "mongo/client.h"
#include "mongo/tracking_store.h"
#include "core/time_format.h"
#include "mongo/lease_store.h"
#include "runner/journal_writer.h"
#include "runner/lease_keeper.h"
#include "runner/runner.h"
#include "source/compiled_source.h"
#include "source/directory_source.h"
#include "source/json_migration.h"

namespace mongomigrate {

int exit_code(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kMigrationFailed:
    case ErrorKind::kRefused: return 1;
    case ErrorKind::kUsage:
    case ErrorKind::kBadInput: return 2;
    case ErrorKind::kDatabase: return 3;
    case ErrorKind::kLockTimeout:
    case ErrorKind::kLockLost: return 4;
    case ErrorKind::kInterrupted: return 130;
  }
  return 1;
}

const char* to_string(MigrationStatus status) {
  switch (status) {
    case MigrationStatus::kPending: return "pending";
    case MigrationStatus::kApplied: return "applied";
    case MigrationStatus::kFailed: return "failed";
    case MigrationStatus::kReverted: return "reverted";
    case MigrationStatus::kRunning: return "running";
    case MigrationStatus::kInterrupted: return "interrupted";
  }
  return "unknown";
}

const char* to_string(StepOutcome outcome) {
  switch (outcome) {
    case StepOutcome::kPlanned: return "planned";
    case StepOutcome::kApplied: return "applied";
    case StepOutcome::kFailed: return "failed";
    case StepOutcome::kReverted: return "reverted";
  }
  return "unknown";
}

bool RunReport::ok() const {
  if (blocked_by) return false;
  for (const StepReport& s : steps) {
    if (s.outcome == StepOutcome::kFailed) return false;
  }
  return true;
}

std::string default_actor() {
  std::string user;
  if (const char* env = std::getenv("USER"); env && *env) {
    user = env;
  } else if (const passwd* pw = getpwuid(getuid()); pw && pw->pw_name) {
    user = pw->pw_name;  // cron jobs and containers often have no $USER
  } else {
    user = "uid" + std::to_string(getuid());
  }
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return fmt::format("{}@{}", user, host[0] ? host : "unknown-host");
}

const char* version() { return MONGOMIGRATE_VERSION; }

std::optional<MarkAs> parse_mark_as(std::string_view word) {
  if (word == "applied") return MarkAs::kApplied;
  if (word == "pending") return MarkAs::kPending;
  if (word == "reverted") return MarkAs::kReverted;
  return std::nullopt;
}

namespace {

// Statuses that forbid marking a migration running. `up` never touches a
// failed or interrupted (running) one; `run` may re-run those (it holds the
// lock, so a `running` record is one left by a runner that is gone).
const std::vector<std::string> kUpRefuses = {core::kStatusApplied, core::kStatusRunning, core::kStatusFailed};
const std::vector<std::string> kRunRefuses = {core::kStatusApplied};

StepReport planned_step(const core::Migration& m, const std::vector<core::Command>& commands) {
  StepReport step;
  step.name = m.name;
  step.outcome = StepOutcome::kPlanned;
  for (const core::Command& c : commands) step.commands.push_back(source::command_json(c));
  return step;
}

Error refused(std::string message) { return Error{ErrorKind::kRefused, std::move(message)}; }
Error bad_input(std::string message) { return Error{ErrorKind::kBadInput, std::move(message)}; }

const char* mark_word(MarkAs as) {
  switch (as) {
    case MarkAs::kApplied: return core::kStatusApplied;
    case MarkAs::kPending: return core::kStatusPending;
    case MarkAs::kReverted: return core::kStatusReverted;
  }
  return core::kStatusPending;
}

}  // namespace

struct Migrator::Impl {
  MigratorOptions options;
  mongo::Client client;
  mongo::TrackingStore store;
  mongo::LeaseStore leases;

  Impl(MigratorOptions opts, mongo::Client c)
      : options(std::move(opts)),
        client(std::move(c)),
        store(client, options.collection),
        leases(client, options.collection + "_lock") {}

  // The directory's JSON migrations and the program's compiled-in ones.
  Result<core::Catalog> catalog() const {
    auto files = source::load_directory(options.directory);
    if (!files) return files;
    auto compiled = source::load_compiled(compiled_migrations());
    if (!compiled) return compiled;
    return source::merge_catalogs(std::move(*files), std::move(*compiled));
  }

  // What the lock collection says about live runners, by the server clock,
  // and the run journal on it (see core/journal.h).
  struct LockView {
    core::RunnerState state;
    std::optional<LeaseHolder> holder;
    std::int64_t epoch = 0;  // see mongo::LockState
    core::Journal journal;
  };
  Result<LockView> lock_view() {
    auto lock = leases.read();
    if (!lock) return std::unexpected(lock.error());
    LockView view;
    view.epoch = lock->epoch;
    view.journal = std::move(lock->journal);
    if (lock->holder) {
      auto now = client.server_now();
      if (!now) return std::unexpected(now.error());
      view.state.live_lease = lock->holder->expires_at > *now;
      view.state.lease_owner = lock->holder->owner;
      view.holder = std::move(lock->holder);
    }
    return view;
  }

  struct LogAndLock {
    std::vector<core::LogRecord> records;  // the lock's journal merged in
    LockView lock;
    // False if a record judged interrupted may still be a live runner's: the
    // lease changed hands during each of kAttempts reads.
    bool settled = true;
  };
  // The log as every reader must see it. The lock is read first, so that
  // claims moved into the log meanwhile show there and never vanish between
  // the two reads (core/journal.h). A `running` record that this lock read
  // calls interrupted may be a runner's that took the lease just after it:
  // the lock's epoch is read again, and if the lease changed hands meanwhile,
  // both are read again. So a runner starting between two reads is not taken
  // for one that died.
  Result<LogAndLock> log_and_lock() {
    constexpr int kAttempts = 5;
    for (int attempt = 1;; ++attempt) {
      auto view = lock_view();
      if (!view) return std::unexpected(view.error());
      auto records = store.load();
      if (!records) return std::unexpected(records.error());
      LogAndLock read{core::merge_journal(std::move(*records), view->journal), std::move(*view)};
      bool some_interrupted = std::ranges::any_of(read.records, [&](const core::LogRecord& r) {
        return core::status_of(&r, read.lock.state) == MigrationStatus::kInterrupted;
      });
      if (!some_interrupted) return read;
      auto epoch = leases.latest_epoch();
      if (!epoch) return std::unexpected(epoch.error());
      if (*epoch == read.lock.epoch) return read;
      if (attempt == kAttempts) {
        read.settled = false;
        return read;
      }
    }
  }

  struct CatalogAndLog {
    core::Catalog catalog;
    std::vector<core::LogRecord> records;
    std::optional<LockView> lock;  // with_lock: as log_and_lock() read it
  };
  // The catalog and the log. The directory is read on a second thread while
  // the log query is in flight: the two are independent, and with a large
  // log the server takes longer to answer than the files take to read. A
  // problem with the files is reported first, as when they were read first.
  // `with_lock`: the log as log_and_lock() reads it, with the lock.
  Result<CatalogAndLog> catalog_and_log(bool with_lock = false) {
    std::future<Result<core::Catalog>> files;
    try {
      files = std::async(std::launch::async, [this] { return catalog(); });
    } catch (const std::system_error&) {
      // No thread to be had: read the files here, after the log.
    }
    std::optional<LockView> lock;
    Result<std::vector<core::LogRecord>> records;
    if (auto server = client.check_server(); !server) {
      records = std::unexpected(server.error());
    } else if (with_lock) {
      auto read = log_and_lock();
      if (read) {
        records = std::move(read->records);
        lock = std::move(read->lock);
      } else {
        records = std::unexpected(read.error());
      }
    } else {
      records = store.load();
    }
    auto loaded = files.valid() ? files.get() : catalog();
    if (!loaded) return std::unexpected(loaded.error());
    if (!records) return std::unexpected(records.error());
    return CatalogAndLog{std::move(*loaded), std::move(*records), std::move(lock)};
  }

  bool stop_requested() const { return options.stop && options.stop->load() != 0; }

  Error interrupted(const std::string& what) const {
    return Error{ErrorKind::kInterrupted,
                 fmt::format("interrupted by signal {}: {}", options.stop ? options.stop->load() : 0, what)};
  }

  // Checks a name given on the command line and finds its migration.
  Result<const core::Migration*> lookup(const core::Catalog& catalog, std::string_view name) const {
    if (std::string problem = core::name_problem(name); !problem.empty()) {
      return std::unexpected(bad_input(fmt::format("invalid migration name \"{}\": {}", name, problem)));
    }
    const core::Migration* m = core::find_migration(catalog, name);
    if (m == nullptr) {
      return std::unexpected(bad_input(fmt::format("no migration named \"{}\" in {}", name, options.directory)));
    }
    return m;
  }

  // The record of `name` as it is once the lock's journal is in the log.
  Result<std::optional<core::LogRecord>> find_record(const std::string& name) {
    if (auto server = client.check_server(); !server) return std::unexpected(server.error());
    auto lock = leases.read();  // first: see catalog_and_log()
    if (!lock) return std::unexpected(lock.error());
    auto record = store.find(name);
    if (!record) return record;
    std::vector<core::LogRecord> one;
    if (*record) one.push_back(**record);
    for (core::LogRecord& r : core::merge_journal(std::move(one), lock->journal)) {
      if (r.name == name) return std::optional<core::LogRecord>(std::move(r));
    }
    return record;
  }

  // Takes the lease. Claims left by a runner that is gone (core/journal.h)
  // are moved into the log first, so everything done under the lock reads a
  // complete log.
  Result<std::unique_ptr<runner::LeaseKeeper>> take_lock(const std::string& by) {
    if (auto server = client.check_server(); !server) return std::unexpected(server.error());
    runner::RunnerIdentity me = runner::RunnerIdentity::current(by);
    LeaseHolder identity{.owner = "", .host = me.host, .pid = me.pid, .user = me.actor};
    auto lease = runner::LeaseKeeper::acquire(
        client, {.uri = options.uri, .database = client.database(), .lock_collection = leases.collection()},
        std::move(identity), options.lock, options.on_lock_wait, options.stop);
    if (!lease) return lease;
    auto lock = leases.read();
    if (!lock) return std::unexpected(lock.error());
    // Still ours after that read (a pause since the lease was taken may have
    // let another runner take it over): then no one else's claim was made
    // after it was taken, so the claims read are left behind by the gone.
    if (auto ours = still_ours(**lease, "taking over the claims left behind"); !ours) {
      return std::unexpected(ours.error());
    }
    if (auto r = runner::recover_claims(store, leases, lock->journal); !r) return std::unexpected(r.error());
    return lease;
  }

  // Before a write (revert, mark, baseline): the lease must still be ours.
  // It narrows the window to a pause between this read and the write; a read
  // after the write closes it where the write marks a migration started
  // (claims of `up` and `run`, the `running` mark of `down`), not for `mark`
  // and `baseline` (README, "Not yet").
  Result<void> still_ours(const runner::LeaseKeeper& lease, const std::string& before) {
    std::string why;
    if (lease.lost()) {
      why = lease.lost_reason();
    } else {
      auto ours = leases.holds(lease.holder());
      if (!ours) return std::unexpected(ours.error());
      if (*ours) return {};
      why = "taken over or cleared by another process";
    }
    return std::unexpected(
        Error{ErrorKind::kLockLost, fmt::format("stopped before {}: the migration lock was lost ({})", before, why)});
  }

  runner::Runner make_runner(const std::string& actor, const runner::LeaseKeeper& lease, runner::RunnerHooks hooks,
                             runner::JournalWriter* journal = nullptr) {
    hooks.stop = options.stop;
    return runner::Runner(client, store, runner::RunnerIdentity::current(actor), lease.holder().owner,
                          std::move(hooks), journal);
  }

  // Stops a run before `name` because the lease is no longer ours. What the
  // run did goes into the log before it says it stopped.
  Error lease_lost(const std::string& name, const std::string& why, runner::JournalWriter& journal,
                   const std::string& by, std::size_t applied_in_run) {
    auto moved = journal.flush();
    (void)record_event(name, "stopped", by, "lease lost: " + why);
    return Error{ErrorKind::kLockLost,
                 fmt::format("stopped before {}: the migration lock was lost ({}); {} migration(s) applied in this "
                             "run{}",
                             name, why, applied_in_run,
                             moved ? "" : "; recording them in the log failed too: " + moved.error().message)};
  }

  static runner::RunnerHooks hooks_of(const RunOptions& o) {
    return {.on_progress = o.on_progress, .on_batch = o.on_batch, .on_log = o.on_log, .restart = o.restart};
  }
  static runner::RunnerHooks hooks_of(const RevertOptions& o) {
    return {.on_progress = o.on_progress, .on_batch = o.on_batch, .on_log = o.on_log};
  }

  Result<void> record_event(const std::string& name, const char* action, const std::string& by,
                            const std::string& reason, const std::string& checksum = "",
                            const std::string& error = "") {
    runner::RunnerIdentity me = runner::RunnerIdentity::current(by);
    HistoryEvent event{.name = name, .action = action, .at = core::now_ms(), .by = me.actor,
                       .duration_ms = std::nullopt, .error = error, .checksum = checksum, .host = me.host,
                       .pid = me.pid, .reason = reason};
    return store.append_event(event);
  }

  // After a step: a stop request ends the run here.
  std::optional<Error> stop_after(const StepReport& step) const {
    if (!stop_requested()) return std::nullopt;
    return interrupted(step.outcome == StepOutcome::kFailed ? step.name + " was stopped and recorded as failed"
                                                            : "stopped after " + step.name);
  }
};

Migrator::Migrator(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Migrator::Migrator(Migrator&&) noexcept = default;
Migrator& Migrator::operator=(Migrator&&) noexcept = default;
Migrator::~Migrator() = default;

Result<Migrator> Migrator::open(MigratorOptions options) {
  if (options.lock.lease.count() <= 0 || options.lock.renew_every.count() <= 0 ||
      options.lock.renew_every >= options.lock.lease || options.lock.timeout.count() < 0) {
    return std::unexpected(Error{ErrorKind::kUsage,
                                 "lock settings: the lease and the renewal interval must be positive and the "
                                 "renewal interval shorter than the lease"});
  }
  auto client = mongo::Client::open(options.uri, options.database);
  if (!client) return std::unexpected(client.error());
  // Before connecting: names the server cannot hold (issue 15, item 7).
  if (std::string problem = core::tracking_namespace_problem(client->database(), options.collection);
      !problem.empty()) {
    return std::unexpected(Error{ErrorKind::kUsage, std::move(problem)});
  }
  // Fail early on a missing directory, before any server round trip.
  if (auto dir = source::check_directory(options.directory); !dir) return std::unexpected(dir.error());
  return Migrator(std::make_unique<Impl>(std::move(options), std::move(*client)));
}

const std::string& Migrator::redacted_uri() const { return impl_->client.redacted_uri(); }
const std::string& Migrator::database() const { return impl_->client.database(); }

Result<RunReport> Migrator::run_pending(const RunOptions& options) {
  // A plan to show must see what a runner has journaled but not yet moved.
  auto loaded = impl_->catalog_and_log(/*with_lock=*/options.dry_run);
  if (!loaded) return std::unexpected(loaded.error());
  const core::Catalog* catalog = &loaded->catalog;
  core::RunnerState state;
  bool settled = true;
  if (options.dry_run) {
    state = loaded->lock->state;
  } else if (std::ranges::any_of(loaded->records,
                                  [](const core::LogRecord& r) { return r.status == core::kStatusRunning; })) {
    // A `running` record: is its runner alive? Judged as every reader judges
    // it. Without one, the log alone decides whether to take the lock: the
    // journal's claims could only take migrations off the plan, and the plan
    // is made again under the lock. So a no-op deploy reads no lock.
    auto read = impl_->log_and_lock();
    if (!read) return std::unexpected(read.error());
    loaded->records = std::move(read->records);
    state = read->lock.state;
    settled = read->settled;
  }
  core::UpPlan plan = core::plan_up(*catalog, loaded->records, state);

  RunReport report;
  report.dry_run = options.dry_run;
  report.blocked_by = plan.blocked_by;
  report.blocked_reason = plan.blocked_reason;
  if (options.dry_run) {
    if (plan.blocked_by && plan.blocked_status == MigrationStatus::kRunning) {
      report.running_elsewhere = plan.blocked_by;
      report.blocked_by.reset();
      report.blocked_reason.clear();
    }
    for (const core::Migration* m : plan.to_apply) report.steps.push_back(planned_step(*m, m->up));
    return report;
  }
  // Nothing to do, or only a failed/interrupted migration in the way: say
  // so without touching the lock. A live runner in the way: wait for it.
  // (An interrupted record judged while the lease kept changing hands may
  // be a live runner's: wait for the lock, and plan again under it.)
  bool blocked_by_live_runner =
      plan.blocked_by && (plan.blocked_status == MigrationStatus::kRunning ||
                          (!settled && plan.blocked_status == MigrationStatus::kInterrupted));
  if (plan.to_apply.empty() && !blocked_by_live_runner) return report;

  auto lease = impl_->take_lock(options.applied_by);
  if (!lease) return std::unexpected(lease.error());
  if (auto r = impl_->store.ensure_indexes(); !r) return std::unexpected(r.error());

  // Under the lock, plan again from a fresh read: another runner may have
  // applied some of them while we waited.
  auto records = impl_->store.load();
  if (!records) return std::unexpected(records.error());
  plan = core::plan_up(*catalog, *records, {.live_lease = true, .lease_owner = (*lease)->holder().owner});
  report.blocked_by = plan.blocked_by;
  report.blocked_reason = plan.blocked_reason;

  std::unordered_set<std::string_view> recorded;
  for (const core::LogRecord& r : *records) recorded.insert(r.name);
  runner::JournalWriter journal(impl_->store, impl_->leases, (*lease)->holder());
  runner::Runner runner = impl_->make_runner(options.applied_by, **lease, Impl::hooks_of(options), &journal);
  for (const core::Migration* m : plan.to_apply) {
    if ((*lease)->lost()) {
      return std::unexpected(
          impl_->lease_lost(m->name, (*lease)->lost_reason(), journal, options.applied_by, report.steps.size()));
    }
    if (impl_->stop_requested()) return std::unexpected(impl_->interrupted("stopped before " + m->name));
    auto step = runner.apply(*m, kUpRefuses, recorded.contains(m->name));
    if (!step && step.error().kind == ErrorKind::kLockLost) {  // found by its claim
      return std::unexpected(
          impl_->lease_lost(m->name, step.error().message, journal, options.applied_by, report.steps.size()));
    }
    if (!step) return std::unexpected(step.error());
    report.steps.push_back(std::move(*step));
    if (auto stop = impl_->stop_after(report.steps.back())) return std::unexpected(*stop);
    if (report.steps.back().outcome == StepOutcome::kFailed) {
      // Stopped by this failure, not by an earlier blocker.
      report.blocked_by.reset();
      report.blocked_reason.clear();
      break;
    }
  }
  if (auto moved = journal.flush(); !moved) return std::unexpected(moved.error());
  if (auto released = (*lease)->release(); !released) return std::unexpected(released.error());
  return report;
}

Result<RunReport> Migrator::run(std::string_view name, const RunOptions& options) {
  auto catalog = impl_->catalog();
  if (!catalog) return std::unexpected(catalog.error());
  auto m = impl_->lookup(*catalog, name);
  if (!m) return std::unexpected(m.error());
  bool has_record = false;
  auto refuse_if_applied = [&]() -> Result<void> {
    auto record = impl_->find_record((*m)->name);
    if (!record) return std::unexpected(record.error());
    if (*record && (*record)->status == core::kStatusApplied) {
      return std::unexpected(refused(fmt::format("{} is already applied; revert it first with `down {}`",
                                                 (*m)->name, (*m)->name)));
    }
    has_record = record->has_value();
    return {};
  };
  if (auto r = refuse_if_applied(); !r) return std::unexpected(r.error());

  RunReport report;
  report.dry_run = options.dry_run;
  if (options.dry_run) {
    report.steps.push_back(planned_step(**m, (*m)->up));
    return report;
  }
  auto lease = impl_->take_lock(options.applied_by);
  if (!lease) return std::unexpected(lease.error());
  if (auto r = impl_->store.ensure_indexes(); !r) return std::unexpected(r.error());
  if (auto r = refuse_if_applied(); !r) return std::unexpected(r.error());  // applied while we waited?
  runner::JournalWriter journal(impl_->store, impl_->leases, (*lease)->holder());
  runner::Runner runner = impl_->make_runner(options.applied_by, **lease, Impl::hooks_of(options), &journal);
  auto step = runner.apply(**m, kRunRefuses, has_record);
  if (!step && step.error().kind == ErrorKind::kLockLost) {
    return std::unexpected(impl_->lease_lost((*m)->name, step.error().message, journal, options.applied_by, 0));
  }
  if (!step) return std::unexpected(step.error());
  report.steps.push_back(std::move(*step));
  if (auto moved = journal.flush(); !moved) return std::unexpected(moved.error());
  if (auto stop = impl_->stop_after(report.steps.back())) return std::unexpected(*stop);
  if (auto released = (*lease)->release(); !released) return std::unexpected(released.error());
  return report;
}

Result<RunReport> Migrator::revert(std::string_view name, const RevertOptions& options) {
  if (std::string problem = core::name_problem(name); !problem.empty()) {
    return std::unexpected(bad_input(fmt::format("invalid migration name \"{}\": {}", name, problem)));
  }
  auto catalog = impl_->catalog();
  if (!catalog) return std::unexpected(catalog.error());
  const core::Migration* m = core::find_migration(*catalog, name);
  auto check = [&]() -> Result<void> {
    auto record = impl_->find_record(std::string(name));
    if (!record) return std::unexpected(record.error());
    if (m == nullptr) {
      if (*record) {
        return std::unexpected(bad_input(fmt::format("cannot revert {}: its file is missing from {}, so its "
                                                     "\"down\" is unknown",
                                                     name, impl_->options.directory)));
      }
      return std::unexpected(impl_->lookup(*catalog, name).error());
    }
    std::string status = *record ? (*record)->status : core::kStatusPending;
    // A revert that was interrupted may be finished: its `down` is what was
    // running. (Checked again once the lease is ours: until then, it may be
    // a live runner's, and taking the lease waits for it.)
    bool interrupted_revert = status == core::kStatusRunning && (*record)->reverting;
    if (status != core::kStatusApplied && !interrupted_revert) {
      std::string what = status == core::kStatusRunning ? "running or interrupted (see `status`)" : status;
      return std::unexpected(refused(fmt::format("cannot revert {}: it is {}, not applied", m->name, what)));
    }
    if (!m->reversible()) {
      return std::unexpected(
          refused(fmt::format("cannot revert {}: it is irreversible (it has no \"down\")", m->name)));
    }
    return {};
  };
  if (auto r = check(); !r) return std::unexpected(r.error());
  auto lease = impl_->take_lock(options.reverted_by);
  if (!lease) return std::unexpected(lease.error());
  if (auto r = check(); !r) return std::unexpected(r.error());  // changed while we waited?
  if (auto r = impl_->still_ours(**lease, "reverting " + m->name); !r) return std::unexpected(r.error());
  // No claims: the journal only checks the lease after the record is marked.
  runner::JournalWriter journal(impl_->store, impl_->leases, (*lease)->holder());
  runner::Runner runner = impl_->make_runner(options.reverted_by, **lease, Impl::hooks_of(options), &journal);
  auto step = runner.revert(*m);
  if (!step && step.error().kind == ErrorKind::kLockLost) {  // found by the read after its mark
    (void)impl_->record_event(m->name, "stopped", options.reverted_by, "lease lost: " + step.error().message);
    return std::unexpected(Error{ErrorKind::kLockLost, fmt::format("stopped before reverting {}: the migration lock "
                                                                   "was lost ({})",
                                                                   m->name, step.error().message)});
  }
  if (!step) return std::unexpected(step.error());
  RunReport report;
  report.steps.push_back(std::move(*step));
  if (impl_->stop_requested() && report.steps.back().outcome == StepOutcome::kFailed) {
    return std::unexpected(impl_->interrupted(m->name + "'s down was stopped; it stays recorded as running "
                                              "(interrupted, being reverted)"));
  }
  if (auto stop = impl_->stop_after(report.steps.back())) return std::unexpected(*stop);
  if (auto released = (*lease)->release(); !released) return std::unexpected(released.error());
  return report;
}

Result<StatusReport> Migrator::status() {
  auto loaded = impl_->catalog_and_log(/*with_lock=*/true);
  if (!loaded) return std::unexpected(loaded.error());
  StatusReport report = core::build_status(loaded->catalog, loaded->records, loaded->lock->state);
  report.lock = std::move(loaded->lock->holder);
  report.lock_live = loaded->lock->state.live_lease;
  return report;
}

Result<ValidateReport> Migrator::validate() {
  auto report = status();
  if (!report) return std::unexpected(report.error());
  return core::build_validation(*report);
}

Result<std::vector<HistoryEvent>> Migrator::history(const HistoryOptions& options) {
  if (options.limit <= 0) {
    return std::unexpected(Error{ErrorKind::kUsage, fmt::format("--limit must be a positive number, not {}", options.limit)});
  }
  if (auto server = impl_->client.check_server(); !server) return std::unexpected(server.error());
  auto lock = impl_->leases.read();  // first: see catalog_and_log()
  if (!lock) return std::unexpected(lock.error());
  auto events = impl_->store.history(options.limit);
  if (!events) return events;
  return core::merge_events(std::move(*events), lock->journal, options.limit);
}

Result<UnlockReport> Migrator::unlock(const UnlockOptions& options) {
  if (auto server = impl_->client.check_server(); !server) return std::unexpected(server.error());
  UnlockReport report;
  auto view = impl_->lock_view();
  if (!view) return std::unexpected(view.error());
  const std::optional<LeaseHolder>& lock = view->holder;
  report.holder = lock;
  report.was_live = view->state.live_lease;
  if (!lock) {
    // Claims with no lease (released, or deleted by hand): nothing runs them.
    if (auto r = runner::recover_claims(impl_->store, impl_->leases, view->journal); !r) {
      return std::unexpected(r.error());
    }
    return report;
  }
  if (report.was_live && !options.force) {
    return std::unexpected(refused(fmt::format(
        "the migration lock is live, held by {}; if that runner is really gone, pass --force",
        runner::describe_holder(*lock))));
  }
  // What the runner journaled goes into the log before its lease goes.
  if (auto r = runner::recover_claims(impl_->store, impl_->leases, view->journal); !r) {
    return std::unexpected(r.error());
  }
  auto cleared = impl_->leases.clear(*lock);
  if (!cleared) return std::unexpected(cleared.error());
  if (!*cleared) {
    return std::unexpected(refused("the migration lock changed while unlocking (another runner took it); look again"));
  }
  report.cleared = true;
  std::string reason = options.reason.empty() ? fmt::format("cleared the lease of {}", runner::describe_holder(*lock))
                                              : options.reason;
  if (auto r = impl_->record_event("", "unlocked", options.by, reason); !r) return std::unexpected(r.error());
  return report;
}

Result<MarkReport> Migrator::mark(std::string_view name, MarkAs as, const RecoveryOptions& options) {
  if (std::string problem = core::name_problem(name); !problem.empty()) {
    return std::unexpected(bad_input(fmt::format("invalid migration name \"{}\": {}", name, problem)));
  }
  auto catalog = impl_->catalog();
  if (!catalog) return std::unexpected(catalog.error());
  const core::Migration* m = core::find_migration(*catalog, name);
  std::string key(name);
  if (auto server = impl_->client.check_server(); !server) return std::unexpected(server.error());
  auto record = impl_->store.find(key);
  if (!record) return std::unexpected(record.error());
  if (m == nullptr && !*record) return std::unexpected(impl_->lookup(*catalog, name).error());
  if (as == MarkAs::kApplied && m == nullptr) {
    return std::unexpected(bad_input(fmt::format(
        "cannot mark {} applied: its file is missing from {}, so there is no checksum to record", name,
        impl_->options.directory)));
  }
  auto lease = impl_->take_lock(options.by);
  if (!lease) return std::unexpected(lease.error());
  if (auto r = impl_->store.ensure_indexes(); !r) return std::unexpected(r.error());
  record = impl_->store.find(key);  // as it is now that we hold the lock
  if (!record) return std::unexpected(record.error());
  MarkReport report{.name = key, .previous_status = *record ? (*record)->status : "", .status = mark_word(as)};
  runner::RunnerIdentity me = runner::RunnerIdentity::current(options.by);
  if (auto r = impl_->still_ours(**lease, "marking " + key + " " + report.status); !r) {
    return std::unexpected(r.error());
  }
  if (auto r = impl_->store.set_status(key, m, report.status, me.actor, core::now_ms()); !r) {
    return std::unexpected(r.error());
  }
  if (auto r = impl_->record_event(key, as == MarkAs::kApplied    ? "marked_applied"
                                        : as == MarkAs::kPending ? "marked_pending"
                                                                 : "marked_reverted",
                                   options.by, options.reason, m ? m->checksum : "");
      !r) {
    return std::unexpected(r.error());
  }
  if (auto released = (*lease)->release(); !released) return std::unexpected(released.error());
  return report;
}

Result<std::vector<std::string>> Migrator::baseline(std::string_view name, const RecoveryOptions& options) {
  auto catalog = impl_->catalog();
  if (!catalog) return std::unexpected(catalog.error());
  auto target = impl_->lookup(*catalog, name);
  if (!target) return std::unexpected(target.error());
  auto lease = impl_->take_lock(options.by);
  if (!lease) return std::unexpected(lease.error());
  if (auto r = impl_->store.ensure_indexes(); !r) return std::unexpected(r.error());
  auto records = impl_->store.load();
  if (!records) return std::unexpected(records.error());
  std::unordered_set<std::string_view> applied;
  for (const core::LogRecord& r : *records) {
    if (r.status == core::kStatusApplied) applied.insert(r.name);
  }
  std::vector<std::string> marked;
  runner::RunnerIdentity me = runner::RunnerIdentity::current(options.by);
  for (const core::Migration& m : *catalog) {
    if (core::runs_before((*target)->name, m.name)) break;  // past the target
    if (applied.contains(m.name)) continue;
    if (auto r = impl_->still_ours(**lease, "marking " + m.name + " applied"); !r) return std::unexpected(r.error());
    if (auto r = impl_->store.set_status(m.name, &m, core::kStatusApplied, me.actor, core::now_ms()); !r) {
      return std::unexpected(r.error());
    }
    if (auto r = impl_->record_event(m.name, "baselined", options.by, options.reason, m.checksum); !r) {
      return std::unexpected(r.error());
    }
    marked.push_back(m.name);
  }
  if (auto released = (*lease)->release(); !released) return std::unexpected(released.error());
  return marked;
}

}  // namespace mongomigrate
