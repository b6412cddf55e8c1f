// `down [<name>] [--to <name> | --count N] [--force] [--dry-run]`: revert
// the last applied migration, the newest N, every one after a target, or one
// by name.
#include <fmt/format.h>

#include "core/names.h"
#include "core/settings.h"
#include "fanout.h"
#include "options.h"

namespace mongomigrate::cli {
namespace {

// What was asked for, checked before connecting.
struct DownArgs {
  std::string name;
  std::string to;
  std::string count;  // as typed: CLI11 would read "-1" as an option
  bool force = false;
  bool dry_run = false;
};

// --count's value: a whole number of 1 or more.
Result<int> parse_count(const std::string& text) {
  if (auto n = core::parse_count(text)) return *n;
  return std::unexpected(Error{ErrorKind::kUsage, fmt::format("--count must be a whole number of 1 or more, not "
                                                              "\"{}\"",
                                                              core::printable(text))});
}

Result<void> check_combination(const DownArgs& a, bool to_given, bool count_given) {
  auto usage = [](const char* message) { return std::unexpected(Error{ErrorKind::kUsage, message}); };
  if (!a.name.empty() && (to_given || count_given)) {
    return usage("give a migration name, --to or --count, not more than one");
  }
  if (to_given && count_given) return usage("give --to or --count, not both");
  if (to_given && a.to.empty()) return usage("--to needs a migration name");
  if (a.force && a.name.empty()) {
    return usage("--force goes with `down <name>` (reverting one migration under later ones)");
  }
  return {};
}

}  // namespace

CommandSpec add_down_command(CLI::App& app, GlobalOptions& global) {
  CLI::App* cmd = add_command(app, "down",
                              "revert the last applied migration, the last N, every one after --to, or one by name "
                              "(runs their \"down\", newest first)");
  auto args = std::make_shared<DownArgs>();
  cmd->add_option("name", args->name, "revert this migration (also finishes an interrupted revert)");
  CLI::Option* to = cmd->add_option("--to", args->to, "revert every applied migration after this one, newest first")
                        ->type_name("NAME");
  CLI::Option* count =
      cmd->add_option("--count", args->count, "revert the newest N applied migrations")->type_name("N");
  cmd->add_flag("--force", args->force, "with <name>: revert it even though later migrations are applied");
  cmd->add_flag("--dry-run", args->dry_run, "print the plan and every command; write nothing");
  return {cmd, [&global, args, to, count] {
            bool to_given = to->count() > 0;
            bool count_given = count->count() > 0;
            if (auto ok = check_combination(*args, to_given, count_given); !ok) {
              return report_error(ok.error(), global);
            }
            int n = 1;
            if (count_given) {
              auto parsed = parse_count(args->count);
              if (!parsed) return report_error(parsed.error(), global);
              n = *parsed;
            }
            if (fan_out_requested(global)) {
              RevertOptions options{.dry_run = args->dry_run, .force = args->force, .reverted_by = global.by};
              return run_fan_out(global, {.name = "down", .writes = !args->dry_run, .existing_only = true,
                                          .body = [args, options, to_given, n](Migrator& m) {
                                            Result<RunReport> report =
                                                !args->name.empty() ? m.revert(args->name, options)
                                                : to_given          ? m.revert_after(args->to, options)
                                                                    : m.revert_last(n, options);
                                            return run_outcome(report, true, 0);
                                          }});
            }
            auto migrator = open_migrator(global);
            if (!migrator) return report_error(migrator.error(), global);
            RevertOptions options{.dry_run = args->dry_run,
                                  .force = args->force,
                                  .reverted_by = global.by,
                                  .on_progress = progress_printer(global),
                                  .on_batch = batch_printer(global),
                                  .on_log = log_printer(global)};
            Result<RunReport> report = !args->name.empty() ? migrator->revert(args->name, options)
                                       : to_given          ? migrator->revert_after(args->to, options)
                                                           : migrator->revert_last(n, options);
            if (!report) return report_error(report.error(), global);
            std::string nothing = to_given ? fmt::format("nothing to revert: no migration after {} is applied.",
                                                         core::printable(args->to))
                                           : "nothing to revert: no migration is applied.";
            return print_run_report(*report, global, nothing.c_str());
          }};
}

}  // namespace mongomigrate::cli
