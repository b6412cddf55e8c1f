// The operations that run migrations: up (run_pending), run, down (revert).
// Each plans from a read of the log, takes the lock (migrator_lock.cc),
// plans again from a fresh read under it, and hands each migration to the
// runner, which claims it, runs it and records it.
#include <fmt/format.h>

#include <algorithm>

#include "core/names.h"
#include "core/recovery_plan.h"
#include "migrator_impl.h"
#include "source/json_migration.h"

namespace mongomigrate {
namespace {

// Statuses that forbid claiming a migration. `up` never touches a failed or
// interrupted (running) one; `run` may re-run those (it holds the lock, so a
// `running` record is one left by a runner that is gone).
const std::vector<std::string> kUpRefuses = {core::kStatusApplied, core::kStatusRunning, core::kStatusFailed};
const std::vector<std::string> kRunRefuses = {core::kStatusApplied};

StepReport planned_step(const core::Migration& m, const std::vector<core::Command>& commands) {
  StepReport step;
  step.name = m.name;
  step.outcome = StepOutcome::kPlanned;
  for (const core::Command& c : commands) step.commands.push_back(source::command_json(c));
  return step;
}

runner::RunnerHooks hooks_of(const RunOptions& o) {
  return {.on_progress = o.on_progress, .on_batch = o.on_batch, .on_log = o.on_log, .restart = o.restart};
}
runner::RunnerHooks hooks_of(const RevertOptions& o) {
  return {.on_progress = o.on_progress, .on_batch = o.on_batch, .on_log = o.on_log};
}

}  // namespace

Result<RunReport> Migrator::run_pending(const RunOptions& options) {
  // A dry run reads as every reader does (the lock, then the log), to tell
  // a live runner's migration from an interrupted one. A real run reads the
  // log alone: whatever a `running` record is, it plans again under the lock.
  auto loaded = impl_->catalog_and_log(/*with_lock=*/options.dry_run);
  if (!loaded) return std::unexpected(loaded.error());
  const core::Catalog& catalog = loaded->catalog;
  // A log that holds a name twice (written before its unique index) cannot
  // be planned from: which record is true is for a person to decide.
  if (auto duplicates = core::find_duplicates(loaded->records); !duplicates.empty()) {
    return std::unexpected(refused(core::duplicates_problem(duplicates, impl_->options.collection)));
  }
  core::RunnerState state = options.dry_run ? loaded->lock->state : core::RunnerState{};
  core::UpPlan plan = core::plan_up(catalog, loaded->records, state);

  if (auto sizes = impl_->check_command_sizes(plan.to_apply, /*down=*/false); !sizes) {
    return std::unexpected(sizes.error());
  }

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
  // Nothing to do, or a failed migration in the way: say so without
  // touching the lock. A `running` one in the way may be a live runner's
  // (any record a runner claims carries its owner id): wait for the lock and
  // judge it under it. One without an owner id (a failed revert, a record
  // written by hand) is interrupted whatever the lock says.
  bool maybe_live = false;
  if (plan.blocked_by && (plan.blocked_status == MigrationStatus::kRunning ||
                          plan.blocked_status == MigrationStatus::kInterrupted)) {
    auto blocking = record_named(loaded->records, *plan.blocked_by);
    maybe_live = blocking && !blocking->lock_owner.empty();
  }
  if (plan.to_apply.empty() && !maybe_live) return report;

  return impl_->with_lock<RunReport>(options.applied_by, [&](LockSession& session) -> Result<RunReport> {
    if (auto r = impl_->log().ensure_indexes(); !r) return std::unexpected(r.error());
    // Plan again from a fresh read: another runner may have applied some of
    // them while we waited.
    auto records = impl_->log().load();
    if (!records) return std::unexpected(records.error());
    plan = core::plan_up(catalog, *records, {.live_lease = true, .lease_owner = session.owner()});
    report.blocked_by = plan.blocked_by;
    report.blocked_reason = plan.blocked_reason;

    runner::RunnerHooks hooks = hooks_of(options);
    if (options.on_progress) {
      // Where the run is: the step in flight is the next after those reported.
      hooks.on_progress = [&options, &report, total = plan.to_apply.size()](const ProgressEvent& event) {
        options.on_progress(ProgressEvent{event.kind, event.step, report.steps.size() + 1, total});
      };
    }
    runner::Runner runner = impl_->make_runner(options.applied_by, session, std::move(hooks), /*background_events=*/true);
    for (const core::Migration* m : plan.to_apply) {
      if (session.lost()) {
        return std::unexpected(
            impl_->lease_lost(m->name, session.lost_reason(), options.applied_by, report.steps.size(), false));
      }
      if (impl_->stop_requested()) return std::unexpected(impl_->interrupted("stopped before " + m->name));
      auto step = runner.apply(*m, kUpRefuses, record_named(*records, m->name));
      if (!step && step.error().kind == ErrorKind::kLockLost) {
        return std::unexpected(
            impl_->lease_lost(m->name, step.error().message, options.applied_by, report.steps.size(), true));
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
    if (auto events = runner.finish_events(); !events) return std::unexpected(events.error());
    return report;
  });
}

Result<RunReport> Migrator::run(std::string_view name, const RunOptions& options) {
  auto catalog = impl_->catalog();
  if (!catalog) return std::unexpected(catalog.error());
  auto m = impl_->lookup(*catalog, name);
  if (!m) return std::unexpected(m.error());
  // The record, unless it forbids a run (applied).
  auto read_record = [&]() -> Result<std::optional<core::LogRecord>> {
    if (auto server = impl_->check_server(); !server) return std::unexpected(server.error());
    auto record = impl_->log().find((*m)->name);
    if (!record) return record;
    if (*record && (*record)->status == core::kStatusApplied) {
      return std::unexpected(refused(fmt::format("{} is already applied; revert it first with `down {}`",
                                                 (*m)->name, (*m)->name)));
    }
    return record;
  };
  if (auto r = read_record(); !r) return std::unexpected(r.error());
  if (auto sizes = impl_->check_command_sizes({*m}, /*down=*/false); !sizes) return std::unexpected(sizes.error());

  RunReport report;
  report.dry_run = options.dry_run;
  if (options.dry_run) {
    report.steps.push_back(planned_step(**m, (*m)->up));
    return report;
  }
  // Before the lock: a log that holds a name twice is refused with nothing written.
  if (auto r = impl_->log().ensure_indexes(); !r) return std::unexpected(r.error());
  return impl_->with_lock<RunReport>(options.applied_by, [&](LockSession& session) -> Result<RunReport> {
    auto record = read_record();  // applied while we waited?
    if (!record) return std::unexpected(record.error());
    runner::Runner runner = impl_->make_runner(options.applied_by, session, hooks_of(options));
    auto step = runner.apply(**m, kRunRefuses, *record);
    if (!step && step.error().kind == ErrorKind::kLockLost) {
      return std::unexpected(impl_->lease_lost((*m)->name, step.error().message, options.applied_by, 0, true));
    }
    if (!step) return std::unexpected(step.error());
    report.steps.push_back(std::move(*step));
    if (auto stop = impl_->stop_after(report.steps.back())) return std::unexpected(*stop);
    return report;
  });
}

Result<RunReport> Migrator::revert(std::string_view name, const RevertOptions& options) {
  if (std::string problem = core::name_problem(name); !problem.empty()) {
    return std::unexpected(bad_input(fmt::format("invalid migration name \"{}\": {}", name, problem)));
  }
  auto catalog = impl_->catalog();
  if (!catalog) return std::unexpected(catalog.error());
  const core::Migration* m = core::find_migration(*catalog, name);
  // The record, if it may be reverted: applied, or a revert left running.
  auto check = [&]() -> Result<core::LogRecord> {
    if (auto server = impl_->check_server(); !server) return std::unexpected(server.error());
    auto record = impl_->log().find(std::string(name));
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
    return **record;
  };
  if (auto r = check(); !r) return std::unexpected(r.error());
  if (auto sizes = impl_->check_command_sizes({m}, /*down=*/true); !sizes) return std::unexpected(sizes.error());
  return impl_->with_lock<RunReport>(options.reverted_by, [&](LockSession& session) -> Result<RunReport> {
    auto seen = check();  // changed while we waited?
    if (!seen) return std::unexpected(seen.error());
    if (auto r = session.still_ours("reverting " + m->name); !r) return std::unexpected(r.error());
    runner::Runner runner = impl_->make_runner(options.reverted_by, session, hooks_of(options));
    auto step = runner.revert(*m, *seen);
    if (!step && step.error().kind == ErrorKind::kLockLost) {
      // Found by the check after its claim, or by a fenced outcome write
      // that matched nothing: either way, say what the log holds now.
      (void)impl_->record_event(m->name, "stopped", options.reverted_by, "lease lost: " + step.error().message);
      return std::unexpected(Error{ErrorKind::kLockLost, fmt::format("{}; the log now says {}", step.error().message,
                                                                     impl_->describe_record(m->name))});
    }
    if (!step) return std::unexpected(step.error());
    RunReport report;
    report.steps.push_back(std::move(*step));
    if (impl_->stop_requested() && report.steps.back().outcome == StepOutcome::kFailed) {
      return std::unexpected(impl_->interrupted(m->name + "'s down was stopped; it stays recorded as running "
                                                "(interrupted, being reverted)"));
    }
    if (auto stop = impl_->stop_after(report.steps.back())) return std::unexpected(*stop);
    return report;
  });
}

}  // namespace mongomigrate
