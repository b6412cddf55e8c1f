#include "core/planner.h"

#include <algorithm>
#include <unordered_map>

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
  }
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
  return s;
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
  // 'pending' and any word we do not know: not applied, so runnable. An
  // unknown word cannot mean "done", and treating it as pending is what lets
  // a hand-edited record (the seed's recovery advice) be retried.
  return MigrationStatus::kPending;
}

bool is_runnable_by_up(MigrationStatus status) {
  return status == MigrationStatus::kPending || status == MigrationStatus::kReverted;
}

UpPlan plan_up(const Catalog& catalog, const std::vector<LogRecord>& records,
               const RunnerState& runners) {
  RecordIndex index = index_records(records);
  UpPlan plan;
  for (const Migration& m : catalog) {
    const LogRecord* record = lookup(index, m.name);
    MigrationStatus status = status_of(record, runners);
    if (status == MigrationStatus::kApplied) continue;
    if (is_runnable_by_up(status)) {
      plan.to_apply.push_back(&m);
      continue;
    }
    plan.blocked_by = m.name;
    plan.blocked_status = status;
    switch (status) {
      case MigrationStatus::kFailed:
        plan.blocked_reason = "it failed" + (record->error.empty() ? "" : " (" + record->error + ")") +
                              "; fix it and re-run it with `run " + m.name + "`";
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
    report.migrations.push_back(std::move(s));
  }

  // Records with no file. Only an applied one is a problem ("missing"); the
  // others are still listed so that status shows everything the log holds.
  std::vector<MigrationState> orphans;
  for (const LogRecord& r : records) {
    if (find_migration(catalog, r.name) != nullptr) continue;
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
  }
  v.issues.duplicated = status.duplicated;
  v.valid = v.issues.modified.empty() && v.issues.missing.empty() && v.issues.interrupted.empty() &&
            v.issues.duplicated.empty();
  return v;
}

const Migration* find_migration(const Catalog& catalog, std::string_view name) {
  auto it = std::lower_bound(catalog.begin(), catalog.end(), name,
                             [](const Migration& m, std::string_view n) { return runs_before(m.name, n); });
  return (it != catalog.end() && it->name == name) ? &*it : nullptr;
}

}  // namespace mongomigrate::core
