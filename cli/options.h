// What every command shares: the global options, opening the Migrator from
// them, and reporting an Error (stderr, plus a JSON object with --json).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "mongomigrate/migrator.h"

namespace mongomigrate::core {
struct Settings;
}

namespace mongomigrate::cli {

struct GlobalOptions {
  std::string uri = "mongodb://localhost:27017";
  std::string database;
  std::string directory = "migrations";
  std::string collection = "migrationlogs";
  std::string by;
  bool json = false;
  std::string color = "auto";  // --color auto|always|never (checked by CLI11)
  bool quiet = false;          // only errors and each command's essential result
  bool verbose = false;        // the MongoDB driver's own log on stderr
  std::string lock_timeout = "5m";
  std::string lock_lease = "60s";
  std::string lock_renew;  // empty: a third of the lease
  // Many databases (cli/fanout.h): --dbs, --dbs-from, --all-dbs, --match,
  // --exclude, --parallel (config key `parallel`), --fail-fast, --yes.
  std::string dbs;
  bool dbs_given = false;  // --dbs was given, even empty (an error)
  std::string dbs_from;
  bool dbs_from_given = false;  // --dbs-from was given, even empty (an error)
  bool all_dbs = false;
  std::string match;
  std::string exclude;
  std::string parallel = "4";
  bool fail_fast = false;
  bool yes = false;
  // The config layer (config_layer.h) fills the fields above from flags,
  // environment, mongo-migrate.toml and defaults, and these:
  std::string config;  // --config PATH; after loading, the file read (or, for init, the one to write)
  std::string env;     // --env NAME
  std::string naming = "timestamp";  // how `create` names the first migration of an empty directory
  bool strict_order = false;
  std::shared_ptr<const core::Settings> settings;  // each setting and where it came from
};

// Adds the global options to `app` (they are accepted before or after the
// command; flag beats environment beats default).
void add_global_options(CLI::App& app, GlobalOptions& options);

// A registered command: its CLI11 subcommand and what to run once parsing
// has finished (returns the exit code).
struct CommandSpec {
  CLI::App* app;
  std::function<int()> run;
};

// The global options of `app` as a help section ("Global options (before or
// after the command):" and one line each), for each command's --help.
std::string global_options_help(const CLI::App& app);

// Creates a subcommand that accepts the global options after it too.
CLI::App* add_command(CLI::App& app, const std::string& name, const std::string& description);

// The library's options from the global ones (durations parsed, the lock
// wait reported on stderr, the stop flag of cli/signals.h).
Result<MigratorOptions> migrator_options_from(const GlobalOptions& options);
Result<Migrator> open_migrator(const GlobalOptions& options);

// Prints `error` as one line on stderr ("mongo-migrate: <message>") and, with
// --json, as {"ok":false,"error":{...}} on stdout. Returns its exit code
// (128 + the signal for an interrupted run).
int report_error(const Error& error, const GlobalOptions& options);

// Prints a finished run (up, run, down) for people or as JSON; returns the
// exit code (0 when the report is ok, else 1). `nothing_to_do` is the
// sentence printed when there were no steps.
int print_run_report(const RunReport& report, const GlobalOptions& options, const char* nothing_to_do);

// A run report's --json document (up, run, down).
nlohmann::ordered_json run_report_json(const RunReport& report);
// How many steps of a run ended each way.
struct RunCounts {
  long long applied = 0, reverted = 0, failed = 0, planned = 0;
};
RunCounts count_steps(const RunReport& report);
// The warning for a migration `up` applied out of order (without
// "warning: "), shared by the one-database and many-database output.
std::string out_of_order_warning(const std::string& name, bool dry_run);

// Progress lines for people as each migration starts and ends (nothing with --json).
ProgressCallback progress_printer(const GlobalOptions& options);
// A batch migration's progress (done/total, rate, ETA) on a terminal, and
// its log lines on stderr (nothing with --json).
std::function<void(const BatchProgress&)> batch_printer(const GlobalOptions& options);
std::function<void(std::string_view)> log_printer(const GlobalOptions& options);
// What `up` and `run` pass to the migrator: --by and the printers above.
RunOptions run_options(const GlobalOptions& options, bool dry_run, bool restart);

// Subcommand registrations, one file each.
CommandSpec add_up_command(CLI::App& app, GlobalOptions& global);
CommandSpec add_run_command(CLI::App& app, GlobalOptions& global);
CommandSpec add_down_command(CLI::App& app, GlobalOptions& global);
CommandSpec add_status_command(CLI::App& app, GlobalOptions& global);
CommandSpec add_validate_command(CLI::App& app, GlobalOptions& global);
CommandSpec add_history_command(CLI::App& app, GlobalOptions& global);
CommandSpec add_unlock_command(CLI::App& app, GlobalOptions& global);
CommandSpec add_mark_command(CLI::App& app, GlobalOptions& global);
CommandSpec add_baseline_command(CLI::App& app, GlobalOptions& global);
CommandSpec add_init_command(CLI::App& app, GlobalOptions& global);
CommandSpec add_create_command(CLI::App& app, GlobalOptions& global);
CommandSpec add_config_command(CLI::App& app, GlobalOptions& global);
CommandSpec add_import_command(CLI::App& app, GlobalOptions& global);

// Adds --reason to a recovery command.
void add_reason_option(CLI::App& command, std::string& reason);

}  // namespace mongomigrate::cli
