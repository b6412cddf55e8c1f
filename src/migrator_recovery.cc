// The recovery operations: unlock, mark, baseline. `mark` and `baseline`
// write under the lock, each record by a claim of the record as read under
// it (store/log_store.h): a runner paused past its lease writes nothing over
// what its successor recorded.
#include <fmt/format.h>

#include <unordered_map>

#include "core/names.h"
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
  return impl_->with_lock<MarkReport>(options.by, [&](LockSession& session) -> Result<MarkReport> {
    if (auto r = impl_->log().ensure_indexes(); !r) return std::unexpected(r.error());
    auto seen = impl_->log().find(key);  // as it is now that we hold the lock
    if (!seen) return std::unexpected(seen.error());
    MarkReport report{.name = key, .previous_status = *seen ? (*seen)->status : "", .status = mark_word(as)};
    if (auto r = session.still_ours("marking " + key + " " + report.status); !r) return std::unexpected(r.error());
    runner::RunnerIdentity me = runner::RunnerIdentity::current(options.by);
    if (auto r = impl_->log().set_status(key, m, report.status, core::now_ms(),
                                         {.seen = *seen, .owner = session.owner(), .by = me.actor});
        !r) {
      return std::unexpected(r.error());
    }
    if (auto r = impl_->record_event(key, mark_action(as), options.by, options.reason, m ? m->checksum : ""); !r) {
      return std::unexpected(r.error());
    }
    return report;
  });
}

Result<std::vector<std::string>> Migrator::baseline(std::string_view name, const RecoveryOptions& options) {
  auto catalog = impl_->catalog();
  if (!catalog) return std::unexpected(catalog.error());
  auto target = impl_->lookup(*catalog, name);
  if (!target) return std::unexpected(target.error());
  using Marked = std::vector<std::string>;
  return impl_->with_lock<Marked>(options.by, [&](LockSession& session) -> Result<Marked> {
    if (auto r = impl_->log().ensure_indexes(); !r) return std::unexpected(r.error());
    auto records = impl_->log().load();
    if (!records) return std::unexpected(records.error());
    std::unordered_map<std::string, const core::LogRecord*> by_name;
    for (const core::LogRecord& r : *records) by_name.emplace(r.name, &r);
    Marked marked;
    runner::RunnerIdentity me = runner::RunnerIdentity::current(options.by);
    for (const core::Migration& m : *catalog) {
      if (core::runs_before((*target)->name, m.name)) break;  // past the target
      auto found = by_name.find(m.name);
      std::optional<core::LogRecord> seen;
      if (found != by_name.end()) seen = *found->second;
      if (seen && seen->status == core::kStatusApplied) continue;
      if (auto r = session.still_ours("marking " + m.name + " applied"); !r) return std::unexpected(r.error());
      if (auto r = impl_->log().set_status(m.name, &m, core::kStatusApplied, core::now_ms(),
                                           {.seen = seen, .owner = session.owner(), .by = me.actor});
          !r) {
        return std::unexpected(r.error());
      }
      if (auto r = impl_->record_event(m.name, "baselined", options.by, options.reason, m.checksum); !r) {
        return std::unexpected(r.error());
      }
      marked.push_back(m.name);
    }
    return marked;
  });
}

}  // namespace mongomigrate
