// `up [--to <name>] [--dry-run] [--strict-order]`: apply every migration not
// yet applied (up to <name>), in order.
#include <string_view>
#include <vector>

#include "core/name_resolution.h"
#include "fanout.h"
#include "options.h"

namespace mongomigrate::cli {
namespace {

// What a database has left to apply after a run that failed: its pending
// and reverted migrations that have a file (a record whose file is gone is
// nothing `up` could apply), only up to --to's (`to`, as typed) when given.
long long left_to_apply(const StatusReport& status, const std::string& to) {
  std::string last;
  if (!to.empty()) {
    std::vector<std::string_view> names;
    for (const MigrationState& m : status.migrations) names.push_back(m.name);
    last = core::resolve_name(names, to).name;
  }
  long long left = 0;
  for (const MigrationState& m : status.migrations) {
    if (m.has_file && (m.status == MigrationStatus::kPending || m.status == MigrationStatus::kReverted)) ++left;
    if (m.name == last) break;
  }
  return left;
}

// On many databases: one line each, no per-migration progress (the
// databases run side by side).
int fan_out_up(const GlobalOptions& global, bool dry_run, bool restart, const std::string& to) {
  RunOptions options{.dry_run = dry_run, .applied_by = global.by, .restart = restart,
                     .strict_order = global.strict_order, .to = to};
  return run_fan_out(global, {.name = "up", .writes = !dry_run, .body = [options](Migrator& m) {
                                auto report = m.run_pending(options);
                                long long skipped = 0;  // what this database has left to apply
                                if (report && !report->ok() && !report->dry_run) {
                                  if (auto status = m.status()) skipped = left_to_apply(*status, options.to);
                                }
                                return run_outcome(report, false, skipped);
                              }});
}

}  // namespace

CommandSpec add_up_command(CLI::App& app, GlobalOptions& global) {
  CLI::App* cmd = add_command(app, "up", "apply every pending migration, in order; stop at the first failure");
  auto dry_run = std::make_shared<bool>(false);
  auto restart = std::make_shared<bool>(false);
  cmd->add_flag("--dry-run", *dry_run, "print the plan and every command; write nothing");
  cmd->add_flag("--restart", *restart, "C++ batch migrations: start over instead of resuming after the last batch");
  // Read by the config layer (config strict_order), which sets global.strict_order.
  cmd->add_flag("--strict-order", global.strict_order,
                "refuse to run anything while a pending migration sorts before the newest applied one");
  auto to = std::make_shared<std::string>();
  CLI::Option* to_option =
      cmd->add_option("--to", *to, "apply only up to and including this migration")->type_name("NAME");
  return {cmd, [&global, dry_run, restart, to, to_option] {
            if (to_option->count() > 0 && to->empty()) {
              return report_error({ErrorKind::kUsage, "--to needs a migration name"}, global);
            }
            if (fan_out_requested(global)) return fan_out_up(global, *dry_run, *restart, *to);
            auto migrator = open_migrator(global);
            if (!migrator) return report_error(migrator.error(), global);
            RunOptions options = run_options(global, *dry_run, *restart);
            options.to = *to;
            auto report = migrator->run_pending(options);
            if (!report) return report_error(report.error(), global);
            return print_run_report(*report, global,
                                    to->empty() ? "nothing to apply: every migration is applied."
                                                : "nothing to apply: every migration up to that one is applied.");
          }};
}

}  // namespace mongomigrate::cli
