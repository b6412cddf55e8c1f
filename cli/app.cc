// The mongo-migrate command line, a thin layer over mongomigrate::Migrator.
// Also the whole program of a migrator built with mongomigrate_add_migrator().
#include "mongomigrate/cli.h"

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "config_layer.h"
#include "core/settings.h"
#include "core/uri_redaction.h"
#include "fanout.h"
#include "options.h"
#include "output.h"
#include "signals.h"

namespace {

// "mongo-migrate 0.1.0 (commit 61a85fc1b2c3)"; a migrator built with
// mongomigrate_add_migrator() says what it is built on:
// "app-migrate (mongo-migrate 0.1.0, commit 61a85fc1b2c3)". Without a known
// commit (a build from a tarball) the commit part is left out.
std::string version_line(const std::string& program) {
  std::string commit = mongomigrate::build_commit();
  std::string version = std::string("mongo-migrate ") + mongomigrate::version();
  if (program == "mongo-migrate") return commit.empty() ? version : version + " (commit " + commit + ")";
  return program + " (" + version + (commit.empty() ? "" : ", commit " + commit) + ")";
}

// The commands issue 18 gives --dbs / --dbs-from / --all-dbs.
bool takes_many_databases(const std::string& command) {
  for (const char* name : {"up", "status", "validate", "down", "history", "unlock", "mark", "baseline", "import"}) {
    if (command == name) return true;
  }
  return false;
}

// Whether --json is among the arguments (before a "--", after which every
// argument is a value): a command line that does not parse is then
// reported as the error document too (docs/json-output.md).
bool json_requested(const std::vector<std::string>& arguments) {
  for (const std::string& a : arguments) {
    if (a == "--") return false;
    if (a == "--json") return true;
    if (a.starts_with("--json=")) {
      // As CLI11 reads a flag's value ("TRUE", "y", "enable", "2": true), or
      // the same --json=TRUE prints JSON when the line parses and not when it
      // does not.
      try {
        return CLI::detail::to_flag_value(a.substr(7)) > 0;
      } catch (const std::exception&) {
        return false;  // no value CLI11 takes: the parse error says so
      }
    }
  }
  return false;
}

// The mode --color names among the arguments (before a "--"), if a valid one.
std::optional<mongomigrate::cli::ColorMode> color_requested(const std::vector<std::string>& arguments) {
  for (std::size_t i = 0; i < arguments.size(); ++i) {
    const std::string& a = arguments[i];
    if (a == "--") return std::nullopt;
    if (a == "--color" && i + 1 < arguments.size()) return mongomigrate::cli::parse_color_mode(arguments[i + 1]);
    if (a.starts_with("--color=")) return mongomigrate::cli::parse_color_mode(std::string_view(a).substr(8));
  }
  return std::nullopt;
}

// Reports a command line that does not parse: exit 2, the parser's message
// on stderr with every argument holding a URI's secret redacted (it quotes
// the arguments it rejects), and with --json the error document on stdout.
int parse_error(const std::string& what, const std::vector<std::string>& arguments) {
  mongomigrate::cli::GlobalOptions shown;
  shown.json = json_requested(arguments);
  // --color was not parsed, but is honoured for this error too.
  if (auto mode = color_requested(arguments)) mongomigrate::cli::set_color_mode(*mode);
  std::string message = mongomigrate::core::redact_arguments(what, arguments);
  return mongomigrate::cli::report_error(
      {mongomigrate::ErrorKind::kUsage, message + " (see mongo-migrate --help)"}, shown);
}

}  // namespace

int mongomigrate::run_cli(int argc, char** argv) {
  using namespace mongomigrate::cli;
  guard_standard_streams();
  std::string program = argc > 0 ? std::filesystem::path(argv[0]).filename().string() : "mongo-migrate";
  CLI::App app{"mongo-migrate: apply, track, validate and revert MongoDB migrations", program};
  app.set_version_flag("--version", version_line(program));
  app.require_subcommand(1);
  app.footer(
      "Exit codes: 0 success, 1 a migration failed / is blocked / validation found problems,\n"
      "2 usage or bad input, 3 database unreachable or refused, 4 lock not acquired,\n"
      "5 only pending work (status --exit-code),\n"
      "128+N stopped by signal N (129 SIGHUP, 130 SIGINT, 143 SIGTERM), 141 stdout closed.\n"
      "Options may come before or after the command. Run `mongo-migrate <command> --help` for its options.");

  GlobalOptions global;
  add_global_options(app, global);
  add_config_options(app, global);
  std::vector<CommandSpec> commands = {
      add_up_command(app, global),       add_run_command(app, global),      add_down_command(app, global),
      add_status_command(app, global),   add_validate_command(app, global), add_history_command(app, global),
      add_unlock_command(app, global),   add_mark_command(app, global),     add_baseline_command(app, global),
      add_init_command(app, global),     add_create_command(app, global),   add_config_command(app, global),
      add_import_command(app, global),
  };
  CLI::App* help = add_command(app, "help", "show this usage, or a command's: help <command>");
  std::vector<std::string> help_topic;
  help->add_option("command", help_topic, "the command to describe");
  // A command's --help lists its own options; the global ones, accepted
  // after it too, follow.
  std::string globals = global_options_help(app);
  for (const CommandSpec& command : commands) command.app->footer(globals);

  std::vector<std::string> arguments(argv + std::min(argc, 1), argv + argc);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ExtrasError& e) {
    // `<command> help`, for a command that takes no argument of its own
    // (`run help` runs the migration named help): that command's help.
    if (app.remaining(true) == std::vector<std::string>{"help"}) {
      for (const CommandSpec& command : commands) {
        if (command.app->parsed()) {
          fmt::print("{}", command.app->help(program));
          return 0;
        }
      }
    }
    return parse_error(e.what(), arguments);
  } catch (const CLI::RequiredError& e) {
    // No command was recognised: name the word taken for one, if any
    // (`mongo-migrate stat`), rather than "a subcommand is required".
    std::vector<std::string> left = app.remaining(true);
    if (!app.get_subcommands().empty() || left.empty() || left.front().starts_with("-")) {
      return parse_error(e.what(), arguments);
    }
    std::string names;
    for (const CommandSpec& command : commands) names += (names.empty() ? "" : ", ") + command.app->get_name();
    return parse_error(fmt::format("unknown command \"{}\" (the commands: {}, help)", left.front(), names),
                       arguments);
  } catch (const CLI::ParseError& e) {
    return parse_error(e.what(), arguments);
  }

  global.dbs_given = app.get_option("--dbs")->count() > 0;
  global.dbs_from_given = app.get_option("--dbs-from")->count() > 0;
  install_stop_handlers();
  set_color_mode(parse_color_mode(global.color).value_or(ColorMode::kAuto));
  set_driver_log(global.verbose);
  if (help->parsed()) {
    if (help_topic.size() > 1) {
      return report_error({ErrorKind::kUsage, "help takes one command name (see mongo-migrate --help)"}, global);
    }
    if (!help_topic.empty() && help_topic[0] != "help") {
      std::string names;
      for (const CommandSpec& command : commands) {
        if (command.app->get_name() == help_topic[0]) {
          fmt::print("{}", command.app->help(program));
          return 0;
        }
        names += (names.empty() ? "" : ", ") + command.app->get_name();
      }
      return report_error({ErrorKind::kUsage, fmt::format("help: there is no command \"{}\" (the commands: {}, help)",
                                                          help_topic[0], names)},
                          global);
    }
    // app.help() would describe the selected `help` subcommand, not the app.
    fmt::print("{}", app.get_formatter()->make_help(&app, "mongo-migrate", CLI::AppFormatMode::Normal));
    return 0;
  }
  for (const CommandSpec& command : commands) {
    if (!command.app->parsed()) continue;
    // Flag, then environment, then mongo-migrate.toml, then default; `init` writes the file instead of reading it.
    if (auto applied = apply_config(app, global, command.app->get_name() == "init"); !applied) {
      return report_error(applied.error(), global);
    }
    // Where to run, for a command that runs on one database (`config` shows
    // the settings that clash; a fan-out selects with neither).
    const std::string& name = command.app->get_name();
    if (global.settings && !fan_out_requested(global) && name != "init" && name != "create" && name != "config") {
      if (std::string problem = core::database_settings_problem(*global.settings); !problem.empty()) {
        return report_error({ErrorKind::kUsage, std::move(problem)}, global);
      }
    }
    if (!fan_out_requested(global) && (!global.match.empty() || !global.exclude.empty())) {
      return report_error({ErrorKind::kUsage, "--match and --exclude filter --dbs, --dbs-from or --all-dbs: give "
                                              "one of them"},
                          global);
    }
    for (const char* flag : {"--parallel", "--fail-fast"}) {
      if (!fan_out_requested(global) && app.get_option(flag)->count() > 0) {
        return report_error({ErrorKind::kUsage, fmt::format("{} goes with --dbs, --dbs-from or --all-dbs: give one "
                                                            "of them",
                                                            flag)},
                            global);
      }
    }
    if (auto parallel = parallel_of(global); !parallel) return report_error(parallel.error(), global);
    if (fan_out_requested(global) && !takes_many_databases(command.app->get_name())) {
      return report_error({ErrorKind::kUsage, fmt::format("{} runs on one database: --dbs, --dbs-from, --all-dbs, "
                                                          "--match and --exclude are not for it",
                                                          command.app->get_name())},
                          global);
    }
    int code = 0;
    try {
      code = command.run();
    } catch (const std::system_error&) {
      // fmt's report of a failed write (the commands that print as they
      // read, such as `status`); `up`, `run` and `down` print without throwing.
      if (!std::ferror(stdout) && !std::ferror(stderr)) throw;
      return 128 + SIGPIPE;
    }
    // Output that could not be written (a closed pipe, a terminal gone) is a
    // failure too, as when SIGPIPE ends a process: 141, unless the command
    // reports a failure of its own.
    if (std::fflush(stdout) != 0 || stdout_failed()) {
      if (code == 0) code = 128 + SIGPIPE;
    }
    return code;
  }
  fmt::print(stderr, "mongo-migrate: no command given (see mongo-migrate --help)\n");
  return 2;
}
