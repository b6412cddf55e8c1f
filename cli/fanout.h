// The command line's fan-out over many databases (issue 18): --dbs,
// --dbs-from, --all-dbs [--match] [--exclude], --parallel, --fail-fast,
// --yes. Every command that takes them (up, status, validate, down,
// history, unlock, mark, baseline, import) hands its per-database body to
// run_fan_out, which prints one line per database as it finishes, a
// totals line, a progress line on a terminal, or (--json) one document for
// the whole run; the exit code is the worst of the databases'
// (core::worst_exit_code).
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "json_output.h"
#include "options.h"

namespace mongomigrate::cli {

// One database's outcome, as the command reports it.
struct DatabaseOutcome {
  int exit_code = 0;
  // Counts summed into the totals ("applied", 3): the human line shows them
  // ("applied 3, failed 0") unless `line` is set.
  std::vector<std::pair<std::string, long long>> counts;
  std::string line;
  // Printed to stderr, "warning: <database>: <each>", with its line: the
  // warnings the one-database form prints (a dry run's refused rename, a
  // migration applied out of order, status's modified or missing files);
  // --json has them in the command's own document.
  std::vector<std::string> warnings;
  // Printed to stderr the same way, as "error: <database>: <each>": what the
  // one-database form says went wrong (a migration's failure and its error,
  // what blocks `up`, status's failed and invalid migrations), so that a
  // failed database's line is never all the reader learns.
  std::vector<std::string> errors;
  // `line` is an Error's own "error: <message>" (error_outcome): the text
  // form prints it on stdout, and both forms on stderr.
  bool line_is_error = false;
  // The command's usual --json document (its "schema" member is dropped).
  Json json = Json::object();
};

struct FanOutCommand {
  const char* name;  // "up"
  // Writes to the databases: --all-dbs without --match asks first (on a
  // terminal) or needs --yes.
  bool writes = false;
  // Reads only: a database that does not exist is reported, not created.
  bool existing_only = false;
  std::function<DatabaseOutcome(Migrator&)> body;
};

// Whether --dbs, --dbs-from or --all-dbs was given.
bool fan_out_requested(const GlobalOptions& options);

// The effective --parallel (flag, MONGO_MIGRATE_PARALLEL or the config key
// `parallel`): kUsage naming where a value that is not a whole number of 1
// or more came from. Checked for every command, fan-out or not.
Result<int> parallel_of(const GlobalOptions& options);

// Runs `command` on the selected databases; returns the exit code.
int run_fan_out(const GlobalOptions& options, const FanOutCommand& command);

// A Migrator's Error as a database's outcome (its exit code, "error: ..."
// and the error object of --json).
DatabaseOutcome error_outcome(const Error& error);

// A run's outcome (up, down): its exit code, its counts (applied or
// reverted, failed, and `skipped`: left to do) and run_report_json.
DatabaseOutcome run_outcome(const Result<RunReport>& report, bool reverting, long long skipped);

}  // namespace mongomigrate::cli
