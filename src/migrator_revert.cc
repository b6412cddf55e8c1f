// The reverting operations: down <name> (revert), down (revert_last), down
// --to (revert_after). Each plans from a read of the lock and the log
// (core::plan_down), takes the lock once for the whole sequence, plans again
// from a fresh read under it, and hands each migration, newest first, to the
// runner, which claims it, runs its `down` and records it (DESIGN.md §3, §5).
#include <fmt/format.h>

#include "core/names.h"
#include "core/recovery_plan.h"
#include "migrator_impl.h"

namespace mongomigrate {
namespace {

runner::RunnerHooks hooks_of(const RevertOptions& o) {
  return {.on_progress = o.on_progress, .on_batch = o.on_batch, .on_log = o.on_log};
}

}  // namespace

Result<RunReport> Migrator::Impl::revert_planned(core::DownRequest request, const RevertOptions& how) {
  Impl& impl = *this;
  request.directory = options.directory;  // the Migrator's options
  // The lock, then the log, as every reader: a `running` record of a live
  // runner is not judged interrupted before its lease is waited for.
  auto loaded = impl.catalog_and_log(/*with_lock=*/true);
  if (!loaded) return std::unexpected(loaded.error());
  const core::Catalog& catalog = loaded->catalog;
  // A log that holds a name twice cannot be planned from, as for `up`: both
  // records would be planned, and the data reverted twice.
  if (auto duplicates = core::find_duplicates(loaded->records); !duplicates.empty()) {
    return std::unexpected(refused(core::duplicates_problem(duplicates, options.collection)));
  }
  if (request.kind != core::DownRequest::Kind::kLast) {
    auto name = impl.resolve(request.name, catalog, &loaded->records);
    if (!name) return std::unexpected(name.error());
    request.name = std::move(*name);
  }
  core::DownPlan plan = core::plan_down(catalog, loaded->records, loaded->lock->state, request);
  if (plan.refusal) return std::unexpected(*plan.refusal);

  if (auto sizes = impl.check_commands(plan.to_revert, /*down=*/true); !sizes) {
    return std::unexpected(sizes.error());
  }

  RunReport report;
  report.dry_run = how.dry_run;
  report.reverts = true;
  if (how.dry_run) {
    for (const core::Migration* m : plan.to_revert) {
      report.steps.push_back(planned_step(*m, m->down ? *m->down : std::vector<core::Command>{}, database));
    }
    return report;
  }
  if (plan.to_revert.empty()) return report;

  // The lease was found lost before `name` was claimed, or by the runner (its
  // check after the claim, or a fenced outcome write that matched nothing:
  // then say what the log holds now): recorded as a "stopped" event, as `up`
  // records it.
  auto lease_lost = [&](const std::string& name, const std::string& why, bool by_runner) {
    (void)record_event(name, "stopped", how.reverted_by, "lease lost: " + why);
    std::string message =
        by_runner ? fmt::format("{}; the log now says {}", why, impl.describe_record(name))
                  : fmt::format("stopped before reverting {}: the migration lock was lost ({})", name, why);
    if (!report.steps.empty()) message += fmt::format("; {} migration(s) reverted in this run", report.steps.size());
    return Error{ErrorKind::kLockLost, std::move(message)};
  };
  return impl.with_lock<RunReport>(how.reverted_by, [&](LockSession& session) -> Result<RunReport> {
    // Changed while we waited?
    if (auto server = impl.check_server(); !server) return std::unexpected(server.error());
    auto records = impl.load_unique_log();
    if (!records) return std::unexpected(records.error());
    plan = core::plan_down(catalog, *records, {.live_lease = true, .lease_owner = session.owner()}, request);
    if (plan.refusal) return std::unexpected(*plan.refusal);
    if (plan.to_revert.empty()) return report;
    // Newer migrations may have been applied while we waited (`down --count`).
    if (auto sizes = impl.check_commands(plan.to_revert, /*down=*/true); !sizes) {
      return std::unexpected(sizes.error());
    }
    if (auto r = session.still_ours("reverting " + plan.to_revert.front()->name); !r) {
      return std::unexpected(r.error());
    }
    runner::Runner runner = impl.make_runner(how.reverted_by, session, hooks_of(how), /*background_events=*/true);
    auto revert_each = [&]() -> Result<RunReport> {
      for (const core::Migration* m : plan.to_revert) {
        if (session.lost()) {
          return std::unexpected(lease_lost(m->name, session.lost_reason(), false));
        }
        if (impl.stop_requested()) return std::unexpected(impl.interrupted("stopped before reverting " + m->name));
        auto step = runner.revert(*m, *record_named(*records, m->name));
        if (!step && step.error().kind == ErrorKind::kLockLost) {
          return std::unexpected(lease_lost(m->name, step.error().message, true));
        }
        if (!step) return std::unexpected(step.error());
        report.steps.push_back(std::move(*step));
        if (impl.stop_requested() && report.steps.back().outcome == StepOutcome::kFailed) {
          return std::unexpected(impl.interrupted(m->name + "'s down was stopped; it stays recorded as running "
                                                  "(interrupted, being reverted)"));
        }
        if (auto stop = impl.stop_after(report.steps.back())) return std::unexpected(*stop);
        if (report.steps.back().outcome == StepOutcome::kFailed) break;  // the first failure ends the sequence
      }
      return report;
    };
    return with_events_finished(runner, revert_each());
  });
}

Result<RunReport> Migrator::revert(std::string_view name, const RevertOptions& options) {
  if (auto valid = check_name(name); !valid) return std::unexpected(valid.error());
  return impl_->revert_planned(
      {.kind = core::DownRequest::Kind::kOne, .name = std::string(name), .force = options.force}, options);
}

Result<RunReport> Migrator::revert_last(int count, const RevertOptions& options) {
  if (count < 1) {
    return std::unexpected(Error{ErrorKind::kUsage, fmt::format("--count must be 1 or more, not {}", count)});
  }
  return impl_->revert_planned({.kind = core::DownRequest::Kind::kLast, .count = count}, options);
}

Result<RunReport> Migrator::revert_after(std::string_view name, const RevertOptions& options) {
  if (auto valid = check_name(name); !valid) return std::unexpected(valid.error());
  return impl_->revert_planned({.kind = core::DownRequest::Kind::kAfter, .name = std::string(name)}, options);
}

}  // namespace mongomigrate
