// `config`: the effective settings and where each came from; the URI's password redacted.
#include <fmt/format.h>

#include "core/settings.h"
#include "core/uri_redaction.h"
#include "json_writer.h"
#include "options.h"
#include "output.h"

namespace mongomigrate::cli {
namespace {

std::string shown_value(const core::Setting& s, const core::Settings& all) {
  if (s.key == "uri") return core::redact_uri(s.value);
  if (!s.value.empty()) return s.value;
  if (s.key == "db") {
    std::string db = core::database_in_uri(all.get("uri").value);
    return db.empty() ? "(none: the URI's path names no database)" : db + " (the URI's path)";
  }
  if (s.key == "by") return "($USER@hostname)";
  if (s.key == "lock_renew") return "(a third of the lease)";
  return "\"\"";
}

std::string shown_source(const core::Setting& s) {
  std::string source(core::to_string(s.source));
  return s.origin.empty() ? source : fmt::format("{} ({})", source, s.origin);
}

}  // namespace

CommandSpec add_config_command(CLI::App& app, GlobalOptions& global) {
  CLI::App* cmd = add_command(app, "config", "show the effective settings and where each came from");
  return {cmd, [&global] {
            const core::Settings& settings = *global.settings;
            if (global.json) {
              JsonWriter json;
              json.begin_object().key("ok").value(true);
              json.key("configFile");
              settings.file.empty() ? json.null() : json.value(settings.file);
              json.key("env");
              settings.env.empty() ? json.null() : json.value(settings.env);
              json.key("settings").begin_object();
              for (const core::Setting& s : settings.items) {
                json.key(s.key).begin_object().key("value");
                if (s.key == "strict_order") {
                  json.value(s.value == "true");
                } else {
                  json.value(s.key == "uri" ? core::redact_uri(s.value) : s.value);
                }
                json.key("source").value(core::to_string(s.source));
                json.key("origin");
                s.origin.empty() ? json.null() : json.value(s.origin);
                json.end_object();
              }
              json.end_object().end_object();
              fmt::print("{}\n", json.str());
              return 0;
            }
            if (settings.file.empty()) {
              fmt::print("Config file: none (no mongo-migrate.toml here; --config PATH or MONGO_MIGRATE_CONFIG "
                         "names one)\n");
            } else {
              fmt::print("Config file: {}{}\n", settings.file,
                         settings.env.empty() ? "" : fmt::format(", table [env.{}]", settings.env));
            }
            Table table({"SETTING", "VALUE", "FROM"});
            for (const core::Setting& s : settings.items) table.add_row({s.key, shown_value(s, settings), shown_source(s)});
            fmt::print("\n{}", table.render(use_color(1)));
            return 0;
          }};
}

}  // namespace mongomigrate::cli
