// The operations that apply migrations: up (run_pending) and run (reverts
// are in migrator_revert.cc).
// Each plans from a read of the log, takes the lock (migrator_lock.cc),
// plans again from a fresh read under it, and hands each migration to the
// runner, which claims it, runs it and records it.
#include <fmt/format.h>

#include <algorithm>

#include "core/names.h"
#include "core/recovery_plan.h"
#include "migrator_impl.h"
#include "mongo/admin_command.h"
#include "mongo/value_bson.h"
#include "source/json_migration.h"

namespace mongomigrate {
namespace {

// Statuses that forbid claiming a migration. `up` never touches a failed or
// interrupted (running) one; `run` may re-run those (it holds the lock, so a
// `running` record is one left by a runner that is gone).
const std::vector<std::string> kUpRefuses = {core::kStatusApplied, core::kStatusRunning, core::kStatusFailed};
const std::vector<std::string> kRunRefuses = {core::kStatusApplied};

runner::RunnerHooks hooks_of(const RunOptions& o) {
  return {.on_progress = o.on_progress, .on_batch = o.on_batch, .on_log = o.on_log, .restart = o.restart};
}

std::vector<std::string> names_of(const std::vector<const core::Migration*>& migrations) {
  std::vector<std::string> names;
  for (const core::Migration* m : migrations) names.push_back(m->name);
  return names;
}

// Strict order: nothing runs while a migration to apply sorts before the
// newest applied one.
Result<void> check_order(const core::UpPlan& plan, const RunOptions& options) {
  if (!options.strict_order || plan.out_of_order.empty()) return {};
  std::vector<std::string> names = names_of(plan.out_of_order);
  for (std::string& n : names) n = core::printable(n);
  return std::unexpected(refused(fmt::format(
      "strict order: {} pending migration{} sort{} before the newest applied one: {}; nothing was applied (apply {} "
      "on purpose with `run <name>`, or turn strict order off)",
      names.size(), names.size() == 1 ? "" : "s", names.size() == 1 ? "s" : "", fmt::join(names, ", "),
      names.size() == 1 ? "it" : "them")));
}

}  // namespace

StepReport planned_step(const core::Migration& m, const std::vector<core::Command>& commands,
                        const std::string& database) {
  StepReport step;
  step.name = m.name;
  step.outcome = StepOutcome::kPlanned;
  for (const core::Command& c : commands) {
    bson_t doc;
    if (database.empty() || !bson_init_static(&doc, c.bson.data(), c.bson.size())) {
      step.commands.push_back(source::command_json(c));
      continue;
    }
    auto admin = mongo::admin_form(&doc, database);
    if (admin && *admin) {
      step.commands.push_back(mongo::to_document((*admin)->get()).json());
      continue;
    }
    // A rename admin_form() refuses never gets here: check_commands()
    // refused the plan first.
    step.commands.push_back(source::command_json(c));
  }
  return step;
}

Result<void> Migrator::Impl::apply_in_order(runner::Runner& runner, LockSession& session, const core::UpPlan& plan,
                                            const std::vector<core::LogRecord>& records, const RunOptions& options,
                                            RunReport& report) {
  for (std::size_t i = 0; i < plan.to_apply.size(); ++i) {
    const core::Migration* m = plan.to_apply[i];
    if (session.lost()) {
      return std::unexpected(lease_lost(m->name, session.lost_reason(), options.applied_by, report.steps.size(), false));
    }
    if (stop_requested()) return std::unexpected(interrupted("stopped before " + m->name));
    const core::Migration* next = i + 1 < plan.to_apply.size() ? plan.to_apply[i + 1] : nullptr;
    if (next && record_named(records, next->name)) next = nullptr;  // a record to claim as read: on its own
    auto step = runner.apply(*m, kUpRefuses, record_named(records, m->name), next);
    if (!step && step.error().kind == ErrorKind::kLockLost) {
      return std::unexpected(lease_lost(m->name, step.error().message, options.applied_by, report.steps.size(), true));
    }
    if (!step) return std::unexpected(step.error());
    report.steps.push_back(std::move(*step));
    if (report.steps.back().outcome == StepOutcome::kApplied &&
        std::ranges::find(plan.out_of_order, m) != plan.out_of_order.end()) {
      report.out_of_order.push_back(m->name);
    }
    if (auto stop = stop_after(report.steps.back())) return std::unexpected(*stop);
    if (report.steps.back().outcome == StepOutcome::kFailed) {
      // Stopped by this failure, not by an earlier blocker.
      report.blocked_by.reset();
      report.blocked_reason.clear();
      break;
    }
  }
  return {};
}

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
  std::string last;  // `up --to`
  if (!options.to.empty()) {
    auto to = impl_->resolve(options.to, catalog, nullptr);
    if (!to) return std::unexpected(to.error());
    last = std::move(*to);
  }
  core::RunnerState state = options.dry_run ? loaded->lock->state : core::RunnerState{};
  core::UpPlan plan = core::plan_up(catalog, loaded->records, state, last);
  if (auto order = check_order(plan, options); !order) return std::unexpected(order.error());

  if (auto sizes = impl_->check_commands(plan.to_apply, /*down=*/false); !sizes) {
    return std::unexpected(sizes.error());
  }

  RunReport report;
  report.dry_run = options.dry_run;
  report.out_of_order = names_of(plan.out_of_order);
  report.blocked_by = plan.blocked_by;
  report.blocked_reason = plan.blocked_reason;
  if (options.dry_run) {
    if (plan.blocked_by && plan.blocked_status == MigrationStatus::kRunning) {
      report.running_elsewhere = plan.blocked_by;
      report.blocked_by.reset();
      report.blocked_reason.clear();
    }
    for (const core::Migration* m : plan.to_apply) report.steps.push_back(planned_step(*m, m->up, impl_->database));
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
    // Plan again from a fresh read: another runner may have applied some of
    // them while we waited.
    auto records = impl_->log().load();
    if (!records) return std::unexpected(records.error());
    plan = core::plan_up(catalog, *records, {.live_lease = true, .lease_owner = session.owner()}, last);
    if (auto order = check_order(plan, options); !order) return std::unexpected(order.error());
    // The plan may have grown while we waited (a live runner's migration
    // settled): what is new is checked before anything is claimed.
    if (auto sizes = impl_->check_commands(plan.to_apply, /*down=*/false); !sizes) {
      return std::unexpected(sizes.error());
    }
    if (auto r = impl_->log().ensure_indexes(); !r) return std::unexpected(r.error());
    report.out_of_order.clear();  // from here: the ones applied
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
    auto applied = impl_->apply_in_order(runner, session, plan, *records, options, report);
    // A claim written with the last outcome, of a migration not started.
    if (auto back = runner.give_back_held_claim(); !back) {
      if (applied) return std::unexpected(back.error());
      applied.error().message += "; " + back.error().message;
    }
    if (auto done = with_events_finished(runner, std::move(applied)); !done) return std::unexpected(done.error());
    return report;
  });
}

Result<RunReport> Migrator::run(std::string_view name, const RunOptions& options) {
  auto catalog = impl_->catalog();
  if (!catalog) return std::unexpected(catalog.error());
  auto m = impl_->lookup(*catalog, name);
  if (!m) return std::unexpected(m.error());
  // The record, unless it forbids a run (applied, or a status nobody knows).
  auto read_record = [&]() -> Result<std::optional<core::LogRecord>> {
    if (auto server = impl_->check_server(); !server) return std::unexpected(server.error());
    auto record = impl_->log().find((*m)->name);
    if (!record) return record;
    if (*record && (*record)->status == core::kStatusApplied) {
      return std::unexpected(refused(fmt::format("{} is already applied; revert it first with `down {}`",
                                                 (*m)->name, (*m)->name)));
    }
    if (*record && core::status_of(&**record, {}) == MigrationStatus::kUnknown) {
      return std::unexpected(refused(fmt::format("cannot run {}: {}", (*m)->name,
                                                 core::unknown_status_reason((*m)->name, (*record)->status))));
    }
    return record;
  };
  if (auto r = read_record(); !r) return std::unexpected(r.error());
  if (auto sizes = impl_->check_commands({*m}, /*down=*/false); !sizes) return std::unexpected(sizes.error());

  RunReport report;
  report.dry_run = options.dry_run;
  if (options.dry_run) {
    report.steps.push_back(planned_step(**m, (*m)->up, impl_->database));
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

}  // namespace mongomigrate
