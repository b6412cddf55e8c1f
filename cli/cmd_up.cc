// `up [--dry-run]`: apply every migration not yet applied, in order.
#include "options.h"

namespace mongomigrate::cli {

CommandSpec add_up_command(CLI::App& app, GlobalOptions& global) {
  CLI::App* cmd = add_command(app, "up", "apply every pending migration, in order; stop at the first failure");
  auto dry_run = std::make_shared<bool>(false);
  auto restart = std::make_shared<bool>(false);
  cmd->add_flag("--dry-run", *dry_run, "print the plan and every command; write nothing");
  cmd->add_flag("--restart", *restart, "C++ batch migrations: start over instead of resuming after the last batch");
  // Read by the config layer (config strict_order), which sets global.strict_order.
  cmd->add_flag("--strict-order", global.strict_order,
                "refuse to run anything while a pending migration sorts before the newest applied one");
  return {cmd, [&global, dry_run, restart] {
            auto migrator = open_migrator(global);
            if (!migrator) return report_error(migrator.error(), global);
            auto report = migrator->run_pending(run_options(global, *dry_run, *restart));
            if (!report) return report_error(report.error(), global);
            return print_run_report(*report, global, "nothing to apply: every migration is applied.");
          }};
}

}  // namespace mongomigrate::cli
