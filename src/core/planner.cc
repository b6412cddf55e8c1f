#include "core/planner.h"

#include <algorithm>
#include <unordered_map>

#include <fmt/format.h>

#include "core/names.h"

namespace mongomigrate::core {
namespace {

using RecordIndex = std::unordered_map<std::string_view, const LogRecord*>;

RecordIndex index_records(const std::vector<LogRecord>& records) {
  RecordIndex index;
  index.reserve(records.size());
  for (const LogRecord& r : records) index.emplace(r.name, &r);
  return index;
}

const LogRecord* lookup(const RecordIndex& index, std::string_view name) {
  auto it = index.find(name);
  return it == index.end() ? nullptr : it->second;
}

}  // namespace

void count_status(StatusSummary& s, MigrationStatus status) {
  ++s.total;
  switch (status) {
    case MigrationStatus::kPending: ++s.pending; break;
    case MigrationStatus::kApplied: ++s.applied; break;
    case MigrationStatus::kFailed: ++s.failed; break;
    case MigrationStatus::kReverted: ++s.reverted; break;
    case MigrationStatus::kRunning: ++s.running; break;
    case MigrationStatus::kInterrupted: ++s.interrupted; break;
    case MigrationStatus::kInvalid: ++s.invalid; break;
    case MigrationStatus::kUnknown: ++s.unknown; break;
  }
}

std::string unknown_status_reason(std::string_view name, std::string_view word) {
  std::string what = word.empty() ? std::string("its record has no status")
                                  : fmt::format("its record's status is \"{}\"", printable(word));
  return fmt::format("{}, none of applied, failed, reverted, pending and running, so whether it ran is unknown; check "
                     "the database, then record what is true with `mark {} --as applied` (or `--as pending` to run "
                     "it)",
                     what, printable(name));
}

namespace {

MigrationState state_from_record(const LogRecord& r) {
  MigrationState s;
  s.name = r.name;
  s.version = r.version;
  s.recorded_checksum = r.checksum;
  s.applied_at = r.applied_at;
  s.reverted_at = r.reverted_at;
  s.duration_ms = r.duration_ms;
  s.applied_by = r.applied_by;
  s.reverted_by = r.reverted_by;
  s.error = r.error;
  s.reverting = r.status == kStatusRunning && r.reverting;
  if (status_of(&r, {}) == MigrationStatus::kUnknown) s.recorded_status = r.status;
  return s;
}

// The newest (last in run order) applied migration's name, "" if none.
std::string_view newest_applied(const std::vector<LogRecord>& records, const RunnerState& runners) {
  std::string_view newest;
  for (const LogRecord& r : records) {
    if (status_of(&r, runners) == MigrationStatus::kApplied && (newest.empty() || runs_before(newest, r.name))) {
      newest = r.name;
    }
  }
  return newest;
}

bool sorts_before_newest(std::string_view name, std::string_view newest) {
  return !newest.empty() && runs_before(name, newest);
}

}  // namespace

MigrationStatus status_of(const LogRecord* record, const RunnerState& runners) {
  if (record == nullptr) return MigrationStatus::kPending;
  const std::string& s = record->status;
  if (s == kStatusApplied) return MigrationStatus::kApplied;
  if (s == kStatusFailed) return MigrationStatus::kFailed;
  if (s == kStatusReverted) return MigrationStatus::kReverted;
  if (s == kStatusRunning) {
    bool owner_alive = runners.live_lease && !record->lock_owner.empty() &&
                       record->lock_owner == runners.lease_owner;
    return owner_alive ? MigrationStatus::kRunning : MigrationStatus::kInterrupted;
  }
  if (s == kStatusPending) return MigrationStatus::kPending;
  // Any other word is a hand edit ("Applied", "done", none at all) that may
  // well mean "ran": taken for pending, `up` would run it a second time.
  return MigrationStatus::kUnknown;
}

bool is_runnable_by_up(MigrationStatus status) {
  return status == MigrationStatus::kPending || status == MigrationStatus::kReverted;
}

UpPlan plan_up(const Catalog& catalog, const std::vector<LogRecord>& records,
               const RunnerState& runners, std::string_view last) {
  RecordIndex index = index_records(records);
  std::string_view newest = newest_applied(records, runners);
  UpPlan plan;
  for (const Migration& m : catalog) {
    if (!last.empty() && runs_before(last, m.name)) break;
    const LogRecord* record = lookup(index, m.name);
    MigrationStatus status = status_of(record, runners);
    if (status == MigrationStatus::kApplied) continue;
    if (is_runnable_by_up(status)) {
      plan.to_apply.push_back(&m);
      if (sorts_before_newest(m.name, newest)) plan.out_of_order.push_back(&m);
      continue;
    }
    plan.blocked_by = m.name;
    plan.blocked_status = status;
    switch (status) {
      case MigrationStatus::kFailed:
        plan.blocked_reason = "it failed" + (record->error.empty() ? "" : " (" + record->error + ")") +
                              "; fix it and re-run it with `run " + m.name + "`";
        break;
      case MigrationStatus::kUnknown:
        plan.blocked_reason = unknown_status_reason(m.name, record->status);
        break;
      case MigrationStatus::kInterrupted:
        plan.blocked_reason = record->reverting
                                  ? "its revert did not finish (" +
                                        (record->error.empty() ? std::string("the runner stopped during its `down`")
                                                               : record->error) +
                                        "), so it may be half reverted; check the database, then finish the revert "
                                        "with `down " +
                                        m.name + "` or apply it again with `run " + m.name + "`"
                                  : "it was interrupted while running (the runner stopped without "
                                    "recording an outcome); check the database, then re-run it with `run " +
                                        m.name + "`";
        break;
      default:
        plan.blocked_reason = record->reverting ? "another runner is reverting it now"
                                                : "another runner is applying it now";
        break;
    }
    break;
  }
  return plan;
}

StatusReport build_status(const Catalog& catalog, const std::vector<LogRecord>& records,
                          const RunnerState& runners) {
  RecordIndex index = index_records(records);
  std::string_view newest = newest_applied(records, runners);
  StatusReport report;
  report.migrations.reserve(catalog.size());

  for (const Migration& m : catalog) {
    const LogRecord* record = lookup(index, m.name);
    MigrationState s = record ? state_from_record(*record) : MigrationState{};
    s.name = m.name;
    if (s.version.empty()) s.version = m.version;
    s.description = m.description;
    s.checksum = m.checksum;
    s.status = status_of(record, runners);
    s.modified = s.status == MigrationStatus::kApplied && !s.recorded_checksum.empty() &&
                 s.recorded_checksum != s.checksum;
    if (s.modified) report.modified.push_back(s.name);
    s.out_of_order = is_runnable_by_up(s.status) && sorts_before_newest(s.name, newest);
    if (s.out_of_order) report.out_of_order.push_back(s.name);
    report.migrations.push_back(std::move(s));
  }

  // Records with no file. Only an applied one is a problem ("missing"); the
  // others are still listed so that status shows everything the log holds.
  std::vector<MigrationState> orphans;
  for (const LogRecord& r : records) {
    if (find_migration(catalog, r.name) != nullptr) continue;
    // A name held twice (a log from before the unique index): listed once,
    // as lookup() reads it; `duplicated` names it.
    if (lookup(index, r.name) != &r) continue;
    MigrationState s = state_from_record(r);
    s.has_file = false;
    s.status = status_of(&r, runners);
    if (s.status == MigrationStatus::kApplied) report.missing.push_back(s.name);
    orphans.push_back(std::move(s));
  }
  if (!orphans.empty()) {
    for (auto& o : orphans) report.migrations.push_back(std::move(o));
    std::stable_sort(report.migrations.begin(), report.migrations.end(),
                     [](const MigrationState& a, const MigrationState& b) {
                       return runs_before(a.name, b.name);
                     });
    std::sort(report.missing.begin(), report.missing.end());
  }
  for (const MigrationState& s : report.migrations) count_status(report.summary, s.status);
  return report;
}

ValidateReport build_validation(const StatusReport& status) {
  ValidateReport v;
  v.issues.modified = status.modified;
  v.issues.missing = status.missing;
  for (const MigrationState& s : status.migrations) {
    if (s.status == MigrationStatus::kInterrupted) v.issues.interrupted.push_back(s.name);
    if (s.status == MigrationStatus::kFailed) v.issues.failed.push_back(s.name);
    if (s.status == MigrationStatus::kUnknown) v.issues.unknown.push_back(s.name);
  }
  v.issues.duplicated = status.duplicated;
  v.valid = v.issues.modified.empty() && v.issues.missing.empty() && v.issues.interrupted.empty() &&
            v.issues.duplicated.empty() && v.issues.failed.empty() && v.issues.unknown.empty();
  return v;
}

int status_exit_code(const StatusReport& status) {
  if (!build_validation(status).valid || status.summary.invalid > 0) return 1;
  for (const MigrationState& s : status.migrations) {
    // Records of files that are gone and were never applied (pending,
    // reverted): nothing `up` could do, nothing wrong.
    if (s.has_file && s.status != MigrationStatus::kApplied) return 5;
  }
  return 0;
}

const Migration* find_migration(const Catalog& catalog, std::string_view name) {
  auto it = std::lower_bound(catalog.begin(), catalog.end(), name,
                             [](const Migration& m, std::string_view n) { return runs_before(m.name, n); });
  return (it != catalog.end() && it->name == name) ? &*it : nullptr;
}

// ---- down

namespace {

Error down_refused(std::string message) { return Error{ErrorKind::kRefused, std::move(message)}; }

std::string name_list(const std::vector<std::string_view>& names) {
  std::string list;
  for (std::string_view n : names) {
    if (!list.empty()) list += ", ";
    list += printable(n);
  }
  return list;
}

// Why `m` (or a record with no file) cannot be reverted at all, if so.
std::optional<Error> unrevertable(const Migration* m, std::string_view name, const DownRequest& request) {
  if (m == nullptr) {
    return Error{ErrorKind::kBadInput, fmt::format("cannot revert {}: its file is missing from {}, so its \"down\" "
                                                   "is unknown",
                                                   printable(name), printable(request.directory))};
  }
  if (!m->reversible()) {
    return down_refused(fmt::format("cannot revert {}: it is irreversible (it has no \"down\")", printable(m->name)));
  }
  return std::nullopt;
}

// An interrupted (or running) record in the way of a revert of many.
Error unsettled_in_the_way(const LogRecord& r) {
  std::string name = printable(r.name);
  return down_refused(
      r.reverting
          ? fmt::format("{}'s revert did not finish; finish it first with `down {}` (nothing was reverted)", name,
                        name)
          : fmt::format("{} is interrupted (it was left running); check the database and resolve it first with `run "
                        "{}` or `mark {} --as ...` (nothing was reverted)",
                        name, name, name));
}

DownPlan plan_down_one(const Catalog& catalog, const RecordIndex& index, const std::vector<const LogRecord*>& applied,
                       const std::vector<const LogRecord*>& unsettled, const DownRequest& request) {
  DownPlan plan;
  const LogRecord* record = lookup(index, request.name);
  const Migration* m = find_migration(catalog, request.name);
  if (m == nullptr && record == nullptr) {
    plan.refusal = Error{ErrorKind::kBadInput, fmt::format("no migration named \"{}\" in {}", printable(request.name),
                                                           printable(request.directory))};
    return plan;
  }
  if (m == nullptr) {
    plan.refusal = unrevertable(m, request.name, request);
    return plan;
  }
  std::string status = record ? record->status : kStatusPending;
  // A revert that was interrupted may be finished: its `down` is what was
  // running. Finishing it is never refused for the ones after it: it is
  // half done already.
  bool interrupted_revert = status == kStatusRunning && record->reverting;
  if (status != kStatusApplied && !interrupted_revert) {
    std::string what = status == kStatusRunning ? "running or interrupted (see `status`)" : status;
    plan.refusal = down_refused(fmt::format("cannot revert {}: it is {}, not applied", printable(m->name), what));
    return plan;
  }
  if ((plan.refusal = unrevertable(m, m->name, request))) return plan;
  // A later migration whose run or revert stopped half-way is settled first,
  // as for a sequence, --force or not: the target's `down` may undo what it
  // depends on.
  for (const LogRecord* u : unsettled) {
    if (!interrupted_revert && runs_before(m->name, u->name)) {
      plan.refusal = unsettled_in_the_way(*u);
      return plan;
    }
  }
  if (!interrupted_revert && !request.force) {
    std::vector<std::string_view> later;
    for (const LogRecord* r : applied) {
      if (runs_before(m->name, r->name)) later.push_back(r->name);
    }
    if (!later.empty()) {
      plan.refusal = down_refused(fmt::format(
          "cannot revert {}: {} later migration{} applied: {}; revert {} first (`down --to {}` reverts every one "
          "after it), or pass --force to revert {} alone",
          printable(m->name), later.size(), later.size() == 1 ? " is" : "s are", name_list(later),
          later.size() == 1 ? "it" : "them", printable(m->name), printable(m->name)));
      return plan;
    }
  }
  plan.to_revert.push_back(m);
  return plan;
}

}  // namespace

DownPlan plan_down(const Catalog& catalog, const std::vector<LogRecord>& records, const RunnerState& runners,
                   const DownRequest& request) {
  RecordIndex index = index_records(records);
  // Applied and unsettled (interrupted) records in run order, files or not.
  std::vector<const LogRecord*> applied;
  std::vector<const LogRecord*> unsettled;
  for (const LogRecord& r : records) {
    MigrationStatus status = status_of(&r, runners);
    if (status == MigrationStatus::kApplied) applied.push_back(&r);
    // A live runner's record (kRunning) is not in the way yet: a writing
    // `down` waits for that runner's lease and plans again under its own.
    if (status == MigrationStatus::kInterrupted) unsettled.push_back(&r);
  }
  auto by_name = [](const LogRecord* a, const LogRecord* b) { return runs_before(a->name, b->name); };
  std::sort(applied.begin(), applied.end(), by_name);
  std::sort(unsettled.begin(), unsettled.end(), by_name);

  if (request.kind == DownRequest::Kind::kOne) return plan_down_one(catalog, index, applied, unsettled, request);

  DownPlan plan;
  if (request.kind == DownRequest::Kind::kLast && request.count < 1) {
    plan.refusal = Error{ErrorKind::kUsage, fmt::format("--count must be 1 or more, not {}", request.count)};
    return plan;
  }
  std::vector<const LogRecord*> scope;  // oldest first
  if (request.kind == DownRequest::Kind::kAfter) {
    for (const LogRecord* r : applied) {
      if (runs_before(request.name, r->name)) scope.push_back(r);
    }
  } else {
    std::size_t n = std::min(applied.size(), static_cast<std::size_t>(request.count));
    scope.assign(applied.end() - static_cast<std::ptrdiff_t>(n), applied.end());
  }
  // Reverting under a migration whose run or revert stopped half-way would
  // change what it may depend on: it is settled first.
  for (const LogRecord* u : unsettled) {
    bool in_the_way = request.kind == DownRequest::Kind::kAfter
                          ? runs_before(request.name, u->name)
                          : scope.empty() || !runs_before(u->name, scope[0]->name);
    if (in_the_way) {
      plan.refusal = unsettled_in_the_way(*u);
      return plan;
    }
  }
  for (auto it = scope.rbegin(); it != scope.rend(); ++it) {
    const Migration* m = find_migration(catalog, (*it)->name);
    if (auto why = unrevertable(m, (*it)->name, request)) {
      why->message += scope.size() > 1 ? " (nothing was reverted)" : "";
      plan.refusal = std::move(why);
      plan.to_revert.clear();
      return plan;
    }
    plan.to_revert.push_back(m);
  }
  return plan;
}

}  // namespace mongomigrate::core
