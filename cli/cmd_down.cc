// `down <name>`: run a migration's `down` and mark it reverted.
#include "options.h"

namespace mongomigrate::cli {

CommandSpec add_down_command(CLI::App& app, GlobalOptions& global) {
  CLI::App* cmd =
      add_command(app, "down", "revert one applied migration, or finish an interrupted revert (runs its \"down\")");
  auto name = std::make_shared<std::string>();
  cmd->add_option("name", *name, "migration file name")->required();
  return {cmd, [&global, name] {
            auto migrator = open_migrator(global);
            if (!migrator) return report_error(migrator.error(), global);
            auto report = migrator->revert(*name, {.reverted_by = global.by,
                                                   .on_progress = progress_printer(global),
                                                   .on_batch = batch_printer(global),
                                                   .on_log = log_printer(global)});
            if (!report) return report_error(report.error(), global);
            return print_run_report(*report, global, "nothing to revert.");
          }};
}

}  // namespace mongomigrate::cli
