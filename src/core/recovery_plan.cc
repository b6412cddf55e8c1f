#include "core/recovery_plan.h"

#include <fmt/format.h>

#include <algorithm>
#include <unordered_map>

#include "core/names.h"

namespace mongomigrate::core {
namespace {

// The status word a person is shown for a record that is not applied.
std::string unfinished_word(const LogRecord& r) {
  if (r.status == kStatusRunning) return "interrupted";
  if (r.status.empty()) return "no status";
  return r.status;
}

// The record of `d` to keep: the applied one applied last, else the newest
// (ObjectIds grow with time), else the last one read.
const LogRecord* record_to_keep(const DuplicateName& d) {
  const LogRecord* keep = nullptr;
  for (const LogRecord* r : d.records) {
    if (r->status != kStatusApplied) continue;
    if (keep == nullptr || r->applied_at.value_or(0) >= keep->applied_at.value_or(0)) keep = r;
  }
  if (keep) return keep;
  keep = d.records.back();
  for (const LogRecord* r : d.records) {
    if (!r->id.empty() && !keep->id.empty() && r->id > keep->id) keep = r;
  }
  return keep;
}

std::string id_text(const LogRecord& r) { return r.id.empty() ? std::string("(not an ObjectId)") : r.id; }

}  // namespace

BaselinePlan plan_baseline(const Catalog& catalog, const std::vector<LogRecord>& records, std::string_view target,
                           bool include_unfinished, const RunnerState& runners) {
  std::unordered_map<std::string_view, const LogRecord*> by_name;
  by_name.reserve(records.size());
  for (const LogRecord& r : records) by_name.emplace(r.name, &r);
  BaselinePlan plan;
  for (const Migration& m : catalog) {
    if (runs_before(target, m.name)) break;  // past the target
    auto found = by_name.find(m.name);
    const LogRecord* record = found == by_name.end() ? nullptr : found->second;
    if (record == nullptr) {
      plan.steps.push_back({&m, std::nullopt});
      continue;
    }
    if (record->status == kStatusApplied) continue;
    if (status_of(record, runners) == MigrationStatus::kRunning) {
      plan.running_elsewhere.push_back(m.name);
      continue;
    }
    if (record->status == kStatusRunning && record->reverting) {
      plan.reverting.push_back(m.name);
      continue;
    }
    if (!include_unfinished) {
      plan.unfinished.push_back(fmt::format("{} ({})", m.name, unfinished_word(*record)));
      continue;
    }
    plan.steps.push_back({&m, *record});
  }
  if (!plan.reverting.empty()) {
    std::string first = plan.reverting.front();
    plan.refusal = fmt::format(
        "cannot baseline up to {}: the revert of {} did not finish, so it may be half reverted, and baseline never "
        "records such a migration applied (not even with --include-unfinished); check the database, then finish "
        "the revert with `down {}` or apply it again with `run {}`, and baseline again",
        target, fmt::join(plan.reverting, ", "), first, first);
  } else if (!plan.unfinished.empty()) {
    plan.refusal = fmt::format(
        "cannot baseline up to {}: {} migration(s) up to it have a record that says they are not applied: {}; "
        "baseline would record them applied without running them. Check the database, then run them (`run "
        "<name>`), or pass --include-unfinished to record them applied as they are",
        target, plan.unfinished.size(), fmt::join(plan.unfinished, ", "));
  }
  return plan;
}

std::vector<DuplicateName> find_duplicates(const std::vector<LogRecord>& records) {
  std::unordered_map<std::string_view, std::size_t> first_seen;  // name -> index in `out`, or npos
  first_seen.reserve(records.size());
  std::vector<DuplicateName> out;
  std::unordered_map<std::string_view, const LogRecord*> first_record;
  for (const LogRecord& r : records) {
    auto [it, inserted] = first_record.emplace(r.name, &r);
    if (inserted) continue;
    auto [slot, fresh] = first_seen.emplace(r.name, out.size());
    if (fresh) out.push_back({r.name, {it->second}});
    out[slot->second].records.push_back(&r);
  }
  std::sort(out.begin(), out.end(), [](const DuplicateName& a, const DuplicateName& b) {
    return runs_before(a.name, b.name);
  });
  return out;
}

std::string duplicates_problem(const std::vector<DuplicateName>& duplicates, std::string_view collection) {
  if (duplicates.empty()) return "";
  constexpr std::size_t kShown = 20;
  std::vector<std::string> names;
  std::string example_id;
  for (std::size_t i = 0; i < duplicates.size() && i < kShown; ++i) {
    const DuplicateName& d = duplicates[i];
    const LogRecord* keep = record_to_keep(d);
    std::vector<std::string> each;
    for (const LogRecord* r : d.records) {
      bool kept = r == keep;
      if (!kept && example_id.empty() && !r->id.empty()) example_id = r->id;
      each.push_back(fmt::format("_id {} {}: {}", id_text(*r), r->status.empty() ? "no status" : r->status,
                                 kept ? "keep" : "stale"));
    }
    names.push_back(fmt::format("{} has {} records ({})", printable(d.name), d.records.size(),
                                fmt::join(each, "; ")));
  }
  std::string more = duplicates.size() > kShown ? fmt::format(" and {} more", duplicates.size() - kShown) : "";
  std::string example =
      example_id.empty() ? "" : fmt::format(" (e.g. db.{}.deleteOne({{_id: ObjectId(\"{}\")}}))", collection, example_id);
  return fmt::format(
      "the tracking log \"{}\" holds duplicate records of the same migration (written before it had a unique "
      "index on name), so that index cannot be created and the log cannot be trusted: {}{}; check which record "
      "says what the database holds (the one marked keep: the applied one applied last, else the newest), delete "
      "the stale ones{}, then run the command again",
      collection, fmt::join(names, ", "), more, example);
}

}  // namespace mongomigrate::core
