// `unlock [--force]`: show the lock holder; clear an expired lease, a live one only with --force.
#include <fmt/format.h>

#include "core/names.h"
#include "core/time_format.h"
#include "json_writer.h"
#include "options.h"

namespace mongomigrate::cli {

CommandSpec add_unlock_command(CLI::App& app, GlobalOptions& global) {
  CLI::App* cmd = add_command(app, "unlock", "show the migration lock; clear it if expired (or with --force)");
  auto force = std::make_shared<bool>(false);
  auto reason = std::make_shared<std::string>();
  cmd->add_flag("--force", *force, "clear a live lease too (only if its runner is really gone)");
  add_reason_option(*cmd, *reason);
  return {cmd, [&global, force, reason] {
            auto migrator = open_migrator(global);
            if (!migrator) return report_error(migrator.error(), global);
            auto report = migrator->unlock({.force = *force, .by = global.by, .reason = *reason});
            if (!report) return report_error(report.error(), global);
            if (global.json) {
              JsonWriter json;
              json.begin_object().key("ok").value(true).key("cleared").value(report->cleared);
              json.key("wasLive").value(report->was_live);
              json.key("unknownDocuments").begin_array();
              for (const std::string& doc : report->unknown) json.value(doc);
              json.end_array().key("holder");
              if (report->holder) {
                const LeaseHolder& h = *report->holder;
                json.begin_object().key("owner").value(h.owner).key("host").value(h.host).key("pid").value(h.pid);
                json.key("user").value(h.user).key("acquiredAt").value(core::iso8601(h.acquired_at));
                json.key("expiresAt").value(core::iso8601(h.expires_at)).end_object();
              } else {
                json.null();
              }
              json.end_object();
              fmt::print("{}\n", json.str());
              return 0;
            }
            for (const std::string& doc : report->unknown) {
              fmt::print("Deleted a lock document of an unknown shape: {}\n", core::printable(doc));
            }
            if (!report->holder) {
              if (report->unknown.empty()) fmt::print("The migration lock is free.\n");
              return 0;
            }
            const LeaseHolder& h = *report->holder;
            fmt::print("Cleared the {} lease of {} on {} (pid {}), acquired {}, expiring {}.\n",
                       report->was_live ? "live" : "expired", core::printable(h.user), core::printable(h.host), h.pid,
                       core::iso8601(h.acquired_at),
                       core::iso8601(h.expires_at));
            return 0;
          }};
}

}  // namespace mongomigrate::cli
