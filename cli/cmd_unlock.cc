// `unlock [--force]`: show the lock holder; clear an expired lease, a live one only with --force.
#include <fmt/format.h>

#include "core/names.h"
#include "core/time_format.h"
#include "json_output.h"
#include "fanout.h"
#include "options.h"

namespace mongomigrate::cli {
namespace {

Json unlock_json(const UnlockReport& report) {
  Json json = json_document(true);
  json["cleared"] = report.cleared;
  json["wasLive"] = report.was_live;
  Json unknown = Json::array();
  for (const std::string& doc : report.unknown) unknown.push_back(json_text(doc));
  json["unknownDocuments"] = std::move(unknown);
  json["holder"] = report.holder ? json_lease(*report.holder) : Json(nullptr);
  return json;
}

}  // namespace

CommandSpec add_unlock_command(CLI::App& app, GlobalOptions& global) {
  CLI::App* cmd = add_command(app, "unlock", "show the migration lock; clear it if expired (or with --force)");
  auto force = std::make_shared<bool>(false);
  auto reason = std::make_shared<std::string>();
  cmd->add_flag("--force", *force, "clear a live lease too (only if its runner is really gone)");
  add_reason_option(*cmd, *reason);
  return {cmd, [&global, force, reason] {
            if (fan_out_requested(global)) {
              UnlockOptions options{.force = *force, .by = global.by, .reason = *reason};
              return run_fan_out(global, {.name = "unlock", .writes = true, .existing_only = true,
                                          .body = [options](Migrator& m) {
                                            auto report = m.unlock(options);
                                            if (!report) return error_outcome(report.error());
                                            bool cleared = report->holder || !report->unknown.empty();
                                            return DatabaseOutcome{
                                                .counts = {{"cleared", cleared ? 1 : 0}},
                                                .line = !cleared ? "the lock is free"
                                                        : report->holder
                                                            ? fmt::format("cleared the {} lease of {}",
                                                                          report->was_live ? "live" : "expired",
                                                                          core::printable(report->holder->user))
                                                            : "deleted lock documents of an unknown shape",
                                                .json = unlock_json(*report)};
                                          }});
            }
            auto migrator = open_migrator(global);
            if (!migrator) return report_error(migrator.error(), global);
            auto report = migrator->unlock({.force = *force, .by = global.by, .reason = *reason});
            if (!report) return report_error(report.error(), global);
            if (global.json) {
              fmt::print("{}", json_line(unlock_json(*report)));
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
