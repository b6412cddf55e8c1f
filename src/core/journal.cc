#include "core/journal.h"

#include <algorithm>
#include <tuple>
#include <unordered_map>

namespace mongomigrate::core {

std::vector<LogRecord> merge_journal(std::vector<LogRecord> records, const Journal& journal) {
  if (journal.empty()) return records;
  std::unordered_map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < records.size(); ++i) index.emplace(records[i].name, i);
  auto replaceable = [&](const std::string& name) -> LogRecord* {
    auto found = index.find(name);
    if (found == index.end()) return nullptr;
    return &records[found->second];
  };
  for (const JournaledRecord& entry : journal.done) {
    LogRecord* existing = replaceable(entry.record.name);
    if (existing == nullptr) {
      index.emplace(entry.record.name, records.size());
      records.push_back(entry.record);
    } else if (existing->status == kStatusRunning && existing->lock_owner == entry.claimer) {
      *existing = entry.record;
    }
  }
  for (const LogRecord& started : journal.started) {
    if (index.contains(started.name)) continue;  // finished, or the log's own record
    LogRecord running = started;
    running.status = kStatusRunning;
    index.emplace(running.name, records.size());
    records.push_back(std::move(running));
  }
  return records;
}

std::vector<HistoryEvent> merge_events(std::vector<HistoryEvent> newest_first, const Journal& journal,
                                       int limit) {
  // Claims are read in no particular order: sort oldest first (by `at`, then
  // by ObjectId, which a runner makes in order), then each goes before the
  // first event that is not newer, so on a tie the journal's counts as the
  // newer.
  std::vector<const JournaledEvent*> unmoved;
  for (const JournaledEvent& entry : journal.events) unmoved.push_back(&entry);
  std::sort(unmoved.begin(), unmoved.end(), [](const JournaledEvent* a, const JournaledEvent* b) {
    return std::tie(a->event.at, a->id) < std::tie(b->event.at, b->id);
  });
  auto same = [](const HistoryEvent& a, const HistoryEvent& b) {
    return a.at == b.at && a.name == b.name && a.action == b.action && a.pid == b.pid && a.host == b.host &&
           a.by == b.by;
  };
  for (const JournaledEvent* entry : unmoved) {
    const HistoryEvent* event = &entry->event;
    if (std::any_of(newest_first.begin(), newest_first.end(), [&](const HistoryEvent& e) { return same(e, *event); })) {
      continue;
    }
    auto before = std::find_if(newest_first.begin(), newest_first.end(),
                               [&](const HistoryEvent& e) { return e.at <= event->at; });
    newest_first.insert(before, *event);
  }
  if (limit >= 0 && newest_first.size() > static_cast<std::size_t>(limit)) newest_first.resize(limit);
  return newest_first;
}

}  // namespace mongomigrate::core
