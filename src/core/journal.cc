#include "core/journal.h"

#include <algorithm>
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
    } else if (existing->status == kStatusRunning) {
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
  // The journal's events are oldest first; each goes before the first event
  // that is not newer, so on a tie the journal's counts as the newer.
  for (const JournaledEvent& entry : journal.events) {
    auto before = std::find_if(newest_first.begin(), newest_first.end(),
                               [&](const HistoryEvent& e) { return e.at <= entry.event.at; });
    newest_first.insert(before, entry.event);
  }
  if (limit >= 0 && newest_first.size() > static_cast<std::size_t>(limit)) newest_first.resize(limit);
  return newest_first;
}

}  // namespace mongomigrate::core
