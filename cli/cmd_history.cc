// `history [--limit N]`: audit events, newest first.
#include <fmt/format.h>

#include "core/names.h"
#include "core/time_format.h"
#include "json_writer.h"
#include "options.h"
#include "output.h"

namespace mongomigrate::cli {

CommandSpec add_history_command(CLI::App& app, GlobalOptions& global) {
  CLI::App* cmd = add_command(app, "history", "show recorded events, newest first");
  auto limit = std::make_shared<int>(20);
  cmd->add_option("--limit", *limit, "how many events")->capture_default_str();
  return {cmd, [&global, limit] {
            auto migrator = open_migrator(global);
            if (!migrator) return report_error(migrator.error(), global);
            auto events = migrator->history({.limit = *limit});
            if (!events) return report_error(events.error(), global);
            if (global.json) {
              JsonWriter json;
              json.begin_object().key("events").begin_array();
              for (const HistoryEvent& e : *events) {
                json.begin_object();
                json.key("name").value(e.name).key("action").value(e.action);
                json.key("at").value(core::iso8601(e.at)).key("by").value(e.by);
                json.key("durationMs").optional(e.duration_ms);
                json.key("error").value(e.error).key("checksum").value(e.checksum).key("reason").value(e.reason);
                json.key("runner").begin_object().key("host").value(e.host).key("pid").value(e.pid).end_object();
                json.end_object();
              }
              json.end_array().end_object();
              fmt::print("{}\n", json.str());
              return 0;
            }
            if (events->empty()) {
              fmt::print("No events recorded yet.\n");
              return 0;
            }
            bool color = use_color(1);
            Table table({"AT (UTC)", "ACTION", "NAME", "BY", "DURATION", "ERROR / REASON"});
            for (const HistoryEvent& e : *events) {
              Color c = e.action == "applied"    ? Color::kGreen
                        : e.action == "reverted" ? Color::kYellow
                        : e.action.find("fail") != std::string::npos ? Color::kRed
                                                                     : Color::kNone;
              std::string detail = e.error;
              if (!e.reason.empty()) detail += (detail.empty() ? "" : "; ") + e.reason;
              table.add_row({human_time(e.at), e.action, e.name.empty() ? "-" : core::printable(e.name),
                             core::printable(e.by), human_duration(e.duration_ms), core::printable(detail)},
                            {Color::kNone, c});
            }
            fmt::print("{}", table.render(color));
            return 0;
          }};
}

}  // namespace mongomigrate::cli
