#include "mongomigrate/migrator.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <optional>

#include <fmt/format.h>

#include "core/names.h"
#include "core/planner.h"
#include "mongo/client.h"
#include "mongo/tracking_store.h"
#include "runner/runner.h"
#include "source/directory_source.h"

namespace mongomigrate {

int exit_code(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kMigrationFailed:
    case ErrorKind::kRefused: return 1;
    case ErrorKind::kUsage:
    case ErrorKind::kBadInput: return 2;
    case ErrorKind::kDatabase: return 3;
    case ErrorKind::kLockTimeout: return 4;
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

namespace {

// Statuses that forbid marking a migration running. `up` never touches a
// failed or interrupted (running) one; `run` may re-run those.
const std::vector<std::string> kUpRefuses = {core::kStatusApplied, core::kStatusRunning, core::kStatusFailed};
const std::vector<std::string> kRunRefuses = {core::kStatusApplied};

StepReport planned_step(const core::Migration& m, const std::vector<core::Command>& commands) {
  StepReport step;
  step.name = m.name;
  step.outcome = StepOutcome::kPlanned;
  for (const core::Command& c : commands) step.commands.push_back(c.json);
  return step;
}

Error refused(std::string message) { return Error{ErrorKind::kRefused, std::move(message)}; }

}  // namespace

struct Migrator::Impl {
  MigratorOptions options;
  mongo::Client client;
  mongo::TrackingStore store;

  Impl(MigratorOptions opts, mongo::Client c)
      : options(std::move(opts)), client(std::move(c)), store(client, options.collection) {}

  Result<core::Catalog> catalog() const { return source::load_directory(options.directory); }

  // Checks a name given on the command line and finds its migration.
  Result<const core::Migration*> lookup(const core::Catalog& catalog, std::string_view name) const {
    if (std::string problem = core::name_problem(name); !problem.empty()) {
      return std::unexpected(Error{ErrorKind::kBadInput, fmt::format("invalid migration name \"{}\": {}", name, problem)});
    }
    const core::Migration* m = core::find_migration(catalog, name);
    if (m == nullptr) {
      return std::unexpected(Error{ErrorKind::kBadInput,
                                   fmt::format("no migration named \"{}\" in {}", name, options.directory)});
    }
    return m;
  }

  runner::Runner make_runner(const std::string& actor, const ProgressCallback& progress) {
    return runner::Runner(client, store, runner::RunnerIdentity::current(actor), progress);
  }
};

Migrator::Migrator(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Migrator::Migrator(Migrator&&) noexcept = default;
Migrator& Migrator::operator=(Migrator&&) noexcept = default;
Migrator::~Migrator() = default;

Result<Migrator> Migrator::open(MigratorOptions options) {
  if (std::string problem = core::name_problem(options.collection); !problem.empty() ||
      options.collection.find('$') != std::string::npos) {
    return std::unexpected(Error{ErrorKind::kUsage,
                                 fmt::format("invalid collection name \"{}\"", options.collection)});
  }
  auto client = mongo::Client::open(options.uri, options.database);
  if (!client) return std::unexpected(client.error());
  // Fail early on a missing directory, before any server round trip.
  if (auto dir = source::check_directory(options.directory); !dir) return std::unexpected(dir.error());
  return Migrator(std::make_unique<Impl>(std::move(options), std::move(*client)));
}

const std::string& Migrator::redacted_uri() const { return impl_->client.redacted_uri(); }
const std::string& Migrator::database() const { return impl_->client.database(); }

Result<RunReport> Migrator::run_pending(const RunOptions& options) {
  auto catalog = impl_->catalog();
  if (!catalog) return std::unexpected(catalog.error());
  auto records = impl_->store.load();
  if (!records) return std::unexpected(records.error());
  core::UpPlan plan = core::plan_up(*catalog, *records, core::RunnerState{});

  RunReport report;
  report.dry_run = options.dry_run;
  report.blocked_by = plan.blocked_by;
  report.blocked_reason = plan.blocked_reason;
  if (options.dry_run) {
    for (const core::Migration* m : plan.to_apply) report.steps.push_back(planned_step(*m, m->up));
    return report;
  }
  if (plan.to_apply.empty()) return report;  // nothing to do: no writes at all

  if (auto r = impl_->store.ensure_indexes(); !r) return std::unexpected(r.error());
  runner::Runner runner = impl_->make_runner(options.applied_by, options.on_progress);
  for (const core::Migration* m : plan.to_apply) {
    auto step = runner.apply(*m, kUpRefuses);
    if (!step) return std::unexpected(step.error());
    report.steps.push_back(std::move(*step));
    if (report.steps.back().outcome == StepOutcome::kFailed) {
      // Stopped by this failure, not by an earlier blocker.
      report.blocked_by.reset();
      report.blocked_reason.clear();
      break;
    }
  }
  return report;
}

Result<RunReport> Migrator::run(std::string_view name, const RunOptions& options) {
  auto catalog = impl_->catalog();
  if (!catalog) return std::unexpected(catalog.error());
  auto m = impl_->lookup(*catalog, name);
  if (!m) return std::unexpected(m.error());
  auto record = impl_->store.find((*m)->name);
  if (!record) return std::unexpected(record.error());
  if (core::status_of(record->has_value() ? &**record : nullptr, core::RunnerState{}) ==
      MigrationStatus::kApplied) {
    return std::unexpected(refused(fmt::format("{} is already applied; revert it first with `down {}`",
                                               (*m)->name, (*m)->name)));
  }

  RunReport report;
  report.dry_run = options.dry_run;
  if (options.dry_run) {
    report.steps.push_back(planned_step(**m, (*m)->up));
    return report;
  }
  if (auto r = impl_->store.ensure_indexes(); !r) return std::unexpected(r.error());
  runner::Runner runner = impl_->make_runner(options.applied_by, options.on_progress);
  auto step = runner.apply(**m, kRunRefuses);
  if (!step) return std::unexpected(step.error());
  report.steps.push_back(std::move(*step));
  return report;
}

Result<RunReport> Migrator::revert(std::string_view name, const RevertOptions& options) {
  if (std::string problem = core::name_problem(name); !problem.empty()) {
    return std::unexpected(Error{ErrorKind::kBadInput, fmt::format("invalid migration name \"{}\": {}", name, problem)});
  }
  auto catalog = impl_->catalog();
  if (!catalog) return std::unexpected(catalog.error());
  auto record = impl_->store.find(std::string(name));
  if (!record) return std::unexpected(record.error());
  const core::Migration* m = core::find_migration(*catalog, name);
  if (m == nullptr) {
    if (record->has_value()) {
      return std::unexpected(Error{ErrorKind::kBadInput,
                                   fmt::format("cannot revert {}: its file is missing from {}, so its "
                                               "\"down\" is unknown", name, impl_->options.directory)});
    }
    return std::unexpected(impl_->lookup(*catalog, name).error());
  }
  MigrationStatus status = core::status_of(record->has_value() ? &**record : nullptr, core::RunnerState{});
  if (status != MigrationStatus::kApplied) {
    return std::unexpected(refused(fmt::format("cannot revert {}: it is {}, not applied", m->name, to_string(status))));
  }
  if (!m->down) {
    return std::unexpected(refused(fmt::format("cannot revert {}: it is irreversible (its file has no \"down\")", m->name)));
  }
  runner::Runner runner = impl_->make_runner(options.reverted_by, options.on_progress);
  auto step = runner.revert(*m);
  if (!step) return std::unexpected(step.error());
  RunReport report;
  report.steps.push_back(std::move(*step));
  return report;
}

Result<StatusReport> Migrator::status() {
  auto catalog = impl_->catalog();
  if (!catalog) return std::unexpected(catalog.error());
  auto records = impl_->store.load();
  if (!records) return std::unexpected(records.error());
  return core::build_status(*catalog, *records, core::RunnerState{});
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
  return impl_->store.history(options.limit);
}

}  // namespace mongomigrate
