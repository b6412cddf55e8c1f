// `run <name> [--dry-run]`: apply one migration now, whatever its place in the order.
#include "options.h"

namespace mongomigrate::cli {

CommandSpec add_run_command(CLI::App& app, GlobalOptions& global) {
  CLI::App* cmd = add_command(app, "run", "apply one migration now (also re-runs a failed or interrupted one)");
  auto name = std::make_shared<std::string>();
  auto dry_run = std::make_shared<bool>(false);
  auto restart = std::make_shared<bool>(false);
  cmd->add_option("name", *name, "migration file name")->required();
  cmd->add_flag("--dry-run", *dry_run, "print the commands; write nothing");
  cmd->add_flag("--restart", *restart, "C++ batch migrations: start over instead of resuming after the last batch");
  return {cmd, [&global, name, dry_run, restart] {
            auto migrator = open_migrator(global);
            if (!migrator) return report_error(migrator.error(), global);
            auto report = migrator->run(*name, run_options(global, *dry_run, *restart));
            if (!report) return report_error(report.error(), global);
            return print_run_report(*report, global, "nothing to run.");
          }};
}

}  // namespace mongomigrate::cli
