// `baseline <name>`: adopt an existing database; mark everything up to <name> applied without running it.
#include <fmt/format.h>

#include "json_output.h"
#include "fanout.h"
#include "options.h"

namespace mongomigrate::cli {
namespace {

Json baseline_json(const std::vector<std::string>& marked) {
  Json json = json_document(true);
  json["marked"] = json_names(marked);
  return json;
}

}  // namespace

CommandSpec add_baseline_command(CLI::App& app, GlobalOptions& global) {
  CLI::App* cmd = add_command(app, "baseline", "mark every migration up to and including <name> applied, running none");
  auto name = std::make_shared<std::string>();
  auto reason = std::make_shared<std::string>();
  auto include_unfinished = std::make_shared<bool>(false);
  cmd->add_option("name", *name, "the last migration the database already has")->required();
  cmd->add_flag("--include-unfinished", *include_unfinished,
                "also record applied the failed, interrupted, reverted or pending ones up to <name> (after checking "
                "the database holds them); never an interrupted revert");
  add_reason_option(*cmd, *reason);
  return {cmd, [&global, name, reason, include_unfinished] {
            if (fan_out_requested(global)) {
              BaselineOptions options{.by = global.by, .reason = *reason, .include_unfinished = *include_unfinished};
              return run_fan_out(global, {.name = "baseline", .writes = true, .body = [name, options](Migrator& m) {
                                            auto marked = m.baseline(*name, options);
                                            if (!marked) return error_outcome(marked.error());
                                            return DatabaseOutcome{
                                                .counts = {{"marked", static_cast<long long>(marked->size())}},
                                                .json = baseline_json(*marked)};
                                          }});
            }
            auto migrator = open_migrator(global);
            if (!migrator) return report_error(migrator.error(), global);
            auto marked = migrator->baseline(
                *name, {.by = global.by, .reason = *reason, .include_unfinished = *include_unfinished});
            if (!marked) return report_error(marked.error(), global);
            if (global.json) {
              fmt::print("{}", json_line(baseline_json(*marked)));
              return 0;
            }
            for (const std::string& m : *marked) fmt::print("  baselined {}\n", m);
            fmt::print("{} migration{} marked applied up to {}; none was run.\n", marked->size(),
                       marked->size() == 1 ? "" : "s", *name);
            return 0;
          }};
}

}  // namespace mongomigrate::cli
