// `mark <name> --as applied|pending|reverted`: fix a record after a hand repair, running nothing.
#include <fmt/format.h>

#include "json_output.h"
#include "fanout.h"
#include "options.h"

namespace mongomigrate::cli {
namespace {

Json mark_json(const MarkReport& report) {
  Json json = json_document(true);
  json["name"] = json_name(report.name);
  json["previousStatus"] = json_text(report.previous_status);
  json["status"] = json_text(report.status);
  return json;
}

// "Marked 001-x applied (was failed)"
std::string mark_line(const MarkReport& report) {
  if (report.previous_status.empty() && report.status == "pending") {
    return fmt::format("{} has no record: it is pending already (nothing written)", report.name);
  }
  return fmt::format("Marked {} {} (was {})", report.name, report.status,
                     report.previous_status.empty() ? "never run" : report.previous_status);
}

}  // namespace

CommandSpec add_mark_command(CLI::App& app, GlobalOptions& global) {
  CLI::App* cmd = add_command(app, "mark", "set a migration's recorded status without running it");
  auto name = std::make_shared<std::string>();
  auto as = std::make_shared<std::string>();
  auto reason = std::make_shared<std::string>();
  cmd->add_option("name", *name, "migration file name")->required();
  cmd->add_option("--as", *as, "applied, pending or reverted")->required();
  add_reason_option(*cmd, *reason);
  return {cmd, [&global, name, as, reason] {
            auto status = parse_mark_as(*as);
            if (!status) {
              return report_error({ErrorKind::kUsage, fmt::format("--as must be applied, pending or reverted, not "
                                                                  "\"{}\"", *as)},
                                  global);
            }
            if (fan_out_requested(global)) {
              RecoveryOptions options{.by = global.by, .reason = *reason};
              return run_fan_out(global, {.name = "mark", .writes = true, .body = [name, status, options](Migrator& m) {
                                            auto report = m.mark(*name, *status, options);
                                            if (!report) return error_outcome(report.error());
                                            return DatabaseOutcome{.counts = {{"marked", 1}},
                                                                   .line = mark_line(*report),
                                                                   .json = mark_json(*report)};
                                          }});
            }
            auto migrator = open_migrator(global);
            if (!migrator) return report_error(migrator.error(), global);
            auto report = migrator->mark(*name, *status, {.by = global.by, .reason = *reason});
            if (!report) return report_error(report.error(), global);
            if (global.json) {
              fmt::print("{}", json_line(mark_json(*report)));
            } else {
              fmt::print("{}.\n", mark_line(*report));
            }
            return 0;
          }};
}

}  // namespace mongomigrate::cli
