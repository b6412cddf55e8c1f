// `history [--limit N]`: audit events, newest first.
#include <fmt/format.h>

#include "core/names.h"
#include "core/time_format.h"
#include "json_output.h"
#include "fanout.h"
#include "options.h"
#include "output.h"

namespace mongomigrate::cli {
namespace {

Json history_json(const std::vector<HistoryEvent>& events, const std::vector<InvalidEntry>& invalid) {
  Json json = json_document(true);
  Json list = Json::array();
  for (const HistoryEvent& e : events) {
    list.push_back({{"name", json_name(e.name)},
                    {"action", e.action},
                    {"at", json_time(e.at)},
                    {"by", json_text(e.by)},
                    {"durationMs", json_optional(e.duration_ms)},
                    {"error", json_text(e.error)},
                    {"checksum", json_text(e.checksum)},
                    {"reason", json_text(e.reason)},
                    {"runner", {{"host", json_text(e.host)}, {"pid", e.pid}}}});
  }
  json["events"] = std::move(list);
  Json invalid_list = Json::array();
  for (const InvalidEntry& e : invalid) {
    invalid_list.push_back({{"name", json_name(e.name)}, {"error", json_text(e.error)}});
  }
  json["invalid"] = std::move(invalid_list);
  return json;
}

// One database's history in a fan-out: its events and the newest one.
DatabaseOutcome history_outcome(Migrator& m, int limit) {
  auto events = m.history({.limit = limit});
  if (!events) return error_outcome(events.error());
  auto invalid = m.invalid_migrations().value_or(std::vector<InvalidEntry>{});
  std::string line = fmt::format("{} event{}", events->size(), events->size() == 1 ? "" : "s");
  if (!events->empty()) {
    const HistoryEvent& e = events->front();
    line += fmt::format(", newest: {} {} at {}", core::printable(e.action), e.name.empty() ? "-" : core::printable(e.name),
                        human_time(e.at));
  }
  return DatabaseOutcome{.counts = {{"events", static_cast<long long>(events->size())}},
                         .line = std::move(line),
                         .json = history_json(*events, invalid)};
}

}  // namespace

CommandSpec add_history_command(CLI::App& app, GlobalOptions& global) {
  CLI::App* cmd = add_command(app, "history", "show recorded events, newest first");
  auto limit = std::make_shared<int>(20);
  cmd->add_option("--limit", *limit, "how many events")->capture_default_str();
  return {cmd, [&global, limit] {
            if (fan_out_requested(global)) {
              int n = *limit;
              return run_fan_out(global, {.name = "history", .existing_only = true,
                                          .body = [n](Migrator& m) { return history_outcome(m, n); }});
            }
            auto migrator = open_migrator(global);
            if (!migrator) return report_error(migrator.error(), global);
            auto events = migrator->history({.limit = *limit});
            if (!events) return report_error(events.error(), global);
            // Invalid files have no events, but a reader of the trail should
            // see them (as status and validate do). A directory that cannot
            // be read is status's error to report, not history's.
            std::vector<InvalidEntry> invalid = migrator->invalid_migrations().value_or(std::vector<InvalidEntry>{});
            if (global.json) {
              fmt::print("{}", json_line(history_json(*events, invalid)));
              return 0;
            }
            bool color = use_color(1);
            for (const InvalidEntry& e : invalid) {
              fmt::print("{} {} ({})\n", paint("invalid:", Color::kRed, color), core::printable(e.name),
                         core::printable(e.error));
            }
            if (events->empty()) {
              fmt::print("No events recorded yet.\n");
              return 0;
            }
            Table table({"AT (UTC)", "ACTION", "NAME", "BY", "DURATION", "ERROR / REASON"});
            for (const HistoryEvent& e : *events) {
              Color c = e.action == "applied"    ? Color::kGreen
                        : e.action == "reverted" ? Color::kYellow
                        : e.action.find("fail") != std::string::npos ? Color::kRed
                                                                     : Color::kNone;
              std::string detail = e.error;
              if (!e.reason.empty()) detail += (detail.empty() ? "" : "; ") + e.reason;
              table.add_row({human_time(e.at), core::printable(e.action), e.name.empty() ? "-" : core::printable(e.name),
                             core::printable(e.by), human_duration(e.duration_ms), core::printable(detail)},
                            {Color::kNone, c});
            }
            fmt::print("{}", table.render(color));
            return 0;
          }};
}

}  // namespace mongomigrate::cli
