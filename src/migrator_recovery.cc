// The recovery operations: unlock, mark, baseline. `mark` and `baseline`
// write under the lock, each record by a claim of the record as read under
// it (store/log_store.h), or, for `baseline`'s records that do not exist
// yet, by inserts that the unique index on `name` lets through only while no
// other runner has recorded that name: a runner paused past its lease writes
// nothing over what its successor recorded.
#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>

#include "core/names.h"
#include "core/recovery_plan.h"
#include "core/time_format.h"
#include "migrator_impl.h"

namespace mongomigrate {
namespace {

const char* mark_word(MarkAs as) {
  switch (as) {
    case MarkAs::kApplied: return core::kStatusApplied;
    case MarkAs::kPending: return core::kStatusPending;
    case MarkAs::kReverted: return core::kStatusReverted;
  }
  return core::kStatusPending;
}

const char* mark_action(MarkAs as) {
  switch (as) {
    case MarkAs::kApplied: return "marked_applied";
    case MarkAs::kPending: return "marked_pending";
    case MarkAs::kReverted: return "marked_reverted";
  }
  return "marked_pending";
}

}  // namespace

Result<UnlockReport> Migrator::unlock(const UnlockOptions& options) {
  if (auto server = impl_->check_server(); !server) return std::unexpected(server.error());
  UnlockReport report;
  auto view = impl_->lock_view();
  if (!view) return std::unexpected(view.error());
  report.holder = view->holder;
  report.was_live = view->state.live_lease;
  report.unknown = view->unknown;
  // A document this tool did not write may be another tool's or version's
  // lock: it is shown, and deleted only when the user says so.
  if (!view->unknown.empty() && !options.force) {
    return std::unexpected(refused(fmt::format(
        "the migration lock collection holds {} document(s) of an unknown shape, not written by this version of "
        "mongo-migrate: {}; if no other tool or version uses them, pass --force to delete them",
        view->unknown.size(), fmt::join(view->unknown, ", "))));
  }
  if (view->holder && report.was_live && !options.force) {
    return std::unexpected(refused(fmt::format(
        "the migration lock is live, held by {}; if that runner is really gone, pass --force",
        runner::describe_holder(*view->holder))));
  }
  std::string reason = options.reason;
  if (view->holder) {
    auto cleared = impl_->lock().clear(*view->holder);
    if (!cleared) return std::unexpected(cleared.error());
    if (!*cleared) {
      return std::unexpected(
          refused("the migration lock changed while unlocking (another runner took it); look again"));
    }
    if (reason.empty()) reason = fmt::format("cleared the lease of {}", runner::describe_holder(*view->holder));
  }
  if (!view->unknown.empty()) {
    if (auto r = impl_->lock().clear_unknown(); !r) return std::unexpected(r.error());
    if (reason.empty()) reason = fmt::format("deleted {} lock document(s) of an unknown shape", view->unknown.size());
  }
  if (!view->holder && view->unknown.empty()) return report;
  report.cleared = true;
  if (auto r = impl_->record_event("", "unlocked", options.by, reason); !r) return std::unexpected(r.error());
  return report;
}

Result<MarkReport> Migrator::mark(std::string_view name, MarkAs as, const RecoveryOptions& options) {
  if (auto valid = check_name(name); !valid) return std::unexpected(valid.error());
  auto catalog = impl_->catalog();
  if (!catalog) return std::unexpected(catalog.error());
  if (auto server = impl_->check_server(); !server) return std::unexpected(server.error());
  // The whole log: a name typed without its extension may be a record's
  // whose file is gone.
  auto records = impl_->log().load();
  if (!records) return std::unexpected(records.error());
  auto resolved = impl_->resolve(name, *catalog, &*records);
  if (!resolved) return std::unexpected(resolved.error());
  const std::string& key = *resolved;
  const core::Migration* m = core::find_migration(*catalog, key);
  if (as == MarkAs::kApplied && m == nullptr) {
    return std::unexpected(bad_input(fmt::format(
        "cannot mark {} applied: its file is missing from {}, so there is no checksum to record", key,
        impl_->options.directory)));
  }
  // A record says what ran: none is there to mark reverted, and none is
  // pending already. Judged from the log before anything is written (a
  // refusal or a no-op creates no collection and takes no lock), and again
  // under the lock.
  auto without_record = [&](MarkReport report) -> Result<MarkReport> {
    if (as == MarkAs::kReverted) {
      return std::unexpected(refused(fmt::format("cannot mark {} reverted: it has no record, so it never ran", key)));
    }
    return report;  // pending already
  };
  const bool has_record = std::ranges::any_of(*records, [&](const core::LogRecord& r) { return r.name == key; });
  if (!has_record && as != MarkAs::kApplied) {
    return without_record(MarkReport{.name = key, .previous_status = "", .status = mark_word(as)});
  }
  // Before the lock: a log that holds a name twice is refused with nothing written.
  if (auto r = impl_->log().ensure_indexes(); !r) return std::unexpected(r.error());
  return impl_->with_lock<MarkReport>(options.by, [&](LockSession& session) -> Result<MarkReport> {
    auto seen = impl_->log().find(key);  // as it is now that we hold the lock
    if (!seen) return std::unexpected(seen.error());
    // A record with no status word is "unknown" (as status shows it); ""
    // is for no record.
    std::string previous = !*seen ? "" : (*seen)->status.empty() ? "unknown" : (*seen)->status;
    MarkReport report{.name = key, .previous_status = previous, .status = mark_word(as)};
    if (!*seen && as != MarkAs::kApplied) return without_record(std::move(report));
    if (auto r = session.still_ours("marking " + key + " " + report.status); !r) return std::unexpected(r.error());
    runner::RunnerIdentity me = runner::RunnerIdentity::current(options.by);
    if (auto r = impl_->log().set_status(key, m, report.status, core::now_ms(),
                                         {.seen = *seen, .owner = session.owner(), .by = me.actor});
        !r) {
      return std::unexpected(session.explain_refusal(r.error()));
    }
    // Accepting a modified file: the checksum it replaces stays in the event.
    std::string reason = options.reason;
    if (as == MarkAs::kApplied && *seen && (*seen)->status == core::kStatusApplied && m &&
        (*seen)->checksum != m->checksum) {
      std::string replaced = fmt::format("replaced the recorded checksum {}", (*seen)->checksum.empty()
                                                                                   ? std::string("(none)")
                                                                                   : (*seen)->checksum);
      reason = reason.empty() ? replaced : reason + "; " + replaced;
    }
    if (auto r = impl_->record_event(key, mark_action(as), options.by, reason, m ? m->checksum : ""); !r) {
      return std::unexpected(r.error());
    }
    return report;
  });
}

Result<std::vector<std::string>> Migrator::baseline(std::string_view name, const BaselineOptions& options) {
  auto catalog = impl_->catalog();
  if (!catalog) return std::unexpected(catalog.error());
  auto target = impl_->lookup(*catalog, name);
  if (!target) return std::unexpected(target.error());
  // Judged from the log before the lock (a refusal writes nothing, not even
  // the lock), and again under it: the log may change while we wait. Before
  // the lock, a live runner's `running` record is not judged (its outcome is
  // not known yet); under it, every other runner's is interrupted.
  auto plan_now = [&](const core::RunnerState& runners) -> Result<core::BaselinePlan> {
    auto records = impl_->load_unique_log();
    if (!records) return std::unexpected(records.error());
    core::BaselinePlan plan =
        core::plan_baseline(*catalog, *records, (*target)->name, options.include_unfinished, runners);
    if (!plan.refusal.empty()) return std::unexpected(refused(plan.refusal));
    return plan;
  };
  if (auto server = impl_->check_server(); !server) return std::unexpected(server.error());
  auto view = impl_->lock_view();  // the lock, then the log, as every reader
  if (!view) return std::unexpected(view.error());
  auto first = plan_now(view->state);
  if (!first) return std::unexpected(first.error());
  using Marked = std::vector<std::string>;
  if (first->steps.empty() && first->running_elsewhere.empty()) return Marked{};
  if (auto r = impl_->log().ensure_indexes(); !r) return std::unexpected(r.error());
  return impl_->with_lock<Marked>(options.by, [&](LockSession& session) -> Result<Marked> {
    auto plan = plan_now({.live_lease = true, .lease_owner = session.owner()});
    if (!plan) return std::unexpected(plan.error());
    // --include-unfinished records a record applied only as the operator
    // was shown it: one that changed while we waited (a live runner's that
    // failed meanwhile) is looked at again first.
    for (const core::BaselineStep& step : plan->steps) {
      if (!step.seen) continue;
      bool as_shown = std::ranges::any_of(first->steps, [&](const core::BaselineStep& before) {
        return before.migration->name == step.migration->name && before.seen &&
               before.seen->status == step.seen->status;
      });
      if (!as_shown) {
        return std::unexpected(refused(fmt::format(
            "{}'s record changed while baseline waited for the lock (it is {} now); look at it, then baseline "
            "again; nothing was recorded",
            step.migration->name, step.seen->status == core::kStatusRunning ? "interrupted" : step.seen->status)));
      }
    }
    return impl_->write_baseline(plan->steps, session, options);
  });
}

Result<std::vector<std::string>> Migrator::Impl::write_baseline(const std::vector<core::BaselineStep>& steps,
                                                                LockSession& session,
                                                                const BaselineOptions& options) {
  // Records without one are inserted many at a time (the unique index on
  // `name` is their claim); a record that exists is claimed as read, one
  // write each. Between two writes: the lease, and a stop request.
  constexpr std::size_t kBatch = 500;
  std::vector<std::string> marked;
  runner::RunnerIdentity me = runner::RunnerIdentity::current(options.by);
  auto stopped_here = [&](const std::string& next) {
    if (!marked.empty() && marked.size() == steps.size()) {
      return fmt::format("stopped after baselining all {} migrations (up to {}), each recorded applied with its "
                         "event: nothing is left to do",
                         marked.size(), marked.back());
    }
    return marked.empty() ? fmt::format("stopped before baselining {}; nothing was recorded", next)
                          : fmt::format("stopped after baselining {} of {} migrations (up to {}), each recorded "
                                        "applied with its event; the rest are not recorded: run baseline again to "
                                        "finish",
                                        marked.size(), steps.size(), marked.back());
  };
  auto failed_after_some = [&](Error e) {
    e.message += fmt::format("; {} migration(s) baselined", marked.size());
    return std::unexpected(std::move(e));
  };
  for (std::size_t i = 0; i < steps.size();) {
    const core::Migration& next = *steps[i].migration;
    if (stop_requested()) return std::unexpected(interrupted(stopped_here(next.name)));
    if (auto r = session.still_ours("baselining " + next.name); !r) return failed_after_some(r.error());
    TimestampMs at = core::now_ms();
    std::vector<const core::Migration*> batch;
    std::string taken;
    store::LogStore::InsertedApplied inserted;
    if (steps[i].seen) {
      if (auto r = log().set_status(next.name, &next, core::kStatusApplied, at,
                                    {.seen = steps[i].seen, .owner = session.owner(), .by = me.actor});
          !r) {
        return failed_after_some(session.explain_refusal(r.error()));
      }
      batch.push_back(&next);
      ++i;
    } else {
      for (; i < steps.size() && !steps[i].seen && batch.size() < kBatch; ++i) batch.push_back(steps[i].migration);
      inserted = log().insert_applied(batch, at, me.actor);
      if (!inserted.error && inserted.written < batch.size()) {
        taken = batch[inserted.written]->name;  // recorded since the lease was read: another runner's
      }
      batch.resize(inserted.written);  // the records that landed get their events, even after an error
    }
    std::vector<HistoryEvent> events;
    events.reserve(batch.size());
    for (const core::Migration* m : batch) {
      events.push_back(make_event(m->name, "baselined", options.by, options.reason, m->checksum));
      marked.push_back(m->name);
    }
    if (auto r = log().append_events(events); !r) return failed_after_some(r.error());
    if (inserted.error) return failed_after_some(*inserted.error);
    if (!taken.empty()) {
      auto why = session.why_lost();
      bool lost = why && *why;
      return std::unexpected(Error{
          lost ? ErrorKind::kLockLost : ErrorKind::kRefused,
          fmt::format("stopped at {}: another runner recorded it meanwhile{}, so it is left as that runner recorded "
                      "it; {} migration(s) baselined",
                      taken, lost ? fmt::format(" (the migration lock was lost: {})", **why) : "", marked.size())});
    }
  }
  if (stop_requested() && !marked.empty()) return std::unexpected(interrupted(stopped_here("")));
  return marked;
}

}  // namespace mongomigrate
