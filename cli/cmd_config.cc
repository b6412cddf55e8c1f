// `config`: the effective settings and where each came from; the URI's password redacted.
#include <fmt/format.h>

#include "core/names.h"
#include "core/settings.h"
#include "core/uri_redaction.h"
#include "json_output.h"
#include "options.h"
#include "output.h"

namespace mongomigrate::cli {
namespace {

// As it may be shown: a value from a file or the environment may hold
// control characters (an escape sequence, a newline that breaks the table).
std::string shown_value(const core::Setting& s, const core::Settings& all) {
  if (s.key == "uri") return core::printable(core::redact_uri(s.value));
  if (!s.value.empty()) return core::printable(s.value);
  if (s.key == "db") {
    std::string db = core::database_in_uri(all.get("uri").value);
    return db.empty() ? "(none: the URI's path names no database)" : core::printable(db) + " (the URI's path)";
  }
  if (s.key == "by") return "($USER@hostname)";
  if (s.key == "lock_renew") return "(a third of the lease)";
  return "\"\"";
}

std::string shown_source(const core::Setting& s) {
  std::string source(core::to_string(s.source));
  return s.origin.empty() ? source : fmt::format("{} ({})", source, core::printable(s.origin));
}

}  // namespace

CommandSpec add_config_command(CLI::App& app, GlobalOptions& global) {
  CLI::App* cmd = add_command(app, "config", "show the effective settings and where each came from");
  return {cmd, [&global] {
            const core::Settings& settings = *global.settings;
            if (global.json) {
              Json json = json_document(true);
              json["configFile"] = settings.file.empty() ? Json(nullptr) : Json(json_text(settings.file));
              json["env"] = settings.env.empty() ? Json(nullptr) : Json(json_text(settings.env));
              Json items = Json::object();
              for (const core::Setting& s : settings.items) {
                Json value = s.key == "strict_order" ? Json(s.value == "true")
                                                     : Json(json_text(s.key == "uri" ? core::redact_uri(s.value) : s.value));
                items[s.key] = {{"value", std::move(value)},
                                {"source", core::to_string(s.source)},
                                {"origin", s.origin.empty() ? Json(nullptr) : Json(json_text(s.origin))}};
              }
              json["settings"] = std::move(items);
              fmt::print("{}", json_line(std::move(json)));
              return 0;
            }
            if (settings.file.empty()) {
              fmt::print("Config file: none (no mongo-migrate.toml here; --config PATH or MONGO_MIGRATE_CONFIG "
                         "names one)\n");
            } else {
              fmt::print("Config file: {}{}\n", core::printable(settings.file),
                         settings.env.empty() ? "" : fmt::format(", table [env.{}]", core::printable(settings.env)));
            }
            Table table({"SETTING", "VALUE", "FROM"});
            for (const core::Setting& s : settings.items) table.add_row({s.key, shown_value(s, settings), shown_source(s)});
            fmt::print("\n{}", table.render(use_color(1)));
            return 0;
          }};
}

}  // namespace mongomigrate::cli
