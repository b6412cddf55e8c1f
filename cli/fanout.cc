#include "fanout.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <sstream>

#include <fmt/format.h>

#include "core/database_selection.h"
#include "core/names.h"
#include "core/settings.h"
#include "mongomigrate/fanout.h"
#include "output.h"
#include "signals.h"

namespace mongomigrate::cli {
namespace {

Error usage(std::string message) { return Error{ErrorKind::kUsage, std::move(message)}; }

// --dbs-from: the file's text, or stdin's for "-".
Result<std::string> read_names_file(const std::string& path) {
  std::ostringstream text;
  if (path == "-") {
    text << std::cin.rdbuf();
    return text.str();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::unexpected(usage(fmt::format("--dbs-from {}: cannot read it: {}", core::printable(path),
                                             std::strerror(errno))));
  }
  text << in.rdbuf();
  return text.str();
}

// The flag that selected the databases, for messages.
const char* selection_flag(const GlobalOptions& o) {
  if (o.all_dbs) return "--all-dbs";
  return o.dbs_given ? "--dbs" : "--dbs-from";
}

Result<DatabaseSelection> selection_from(const GlobalOptions& o) {
  if (o.all_dbs && (o.dbs_given || o.dbs_from_given)) {
    return std::unexpected(usage("--all-dbs selects every database: give it without --dbs or --dbs-from"));
  }
  // A --db beside a selection would be ignored; the URI's path (often the
  // auth source too) and a config file's `db` are defaults and stay allowed.
  if (o.settings && o.settings->get("db").source == core::SettingSource::kFlag) {
    return std::unexpected(usage(fmt::format("--db names one database and {} selects the databases: give one of "
                                             "them", selection_flag(o))));
  }
  if (auto filter = core::DatabaseFilter::make(o.match, o.exclude); !filter) {
    return std::unexpected(usage(filter.error()));
  }
  DatabaseSelection selection{.all = o.all_dbs, .match = o.match, .exclude = o.exclude};
  if (!o.dbs.empty() || o.dbs_given) {
    auto names = core::parse_database_list(o.dbs);
    if (!names) return std::unexpected(usage(names.error()));
    selection.names = std::move(*names);
  }
  if (o.dbs_from_given) {
    // An empty name (an unset shell variable) must not fall back to the
    // URI's database, which is often only where the user authenticates.
    if (o.dbs_from.empty()) return std::unexpected(usage("--dbs-from needs a file (or - for stdin): it is empty"));
    auto text = read_names_file(o.dbs_from);
    if (!text) return std::unexpected(text.error());
    auto names = core::parse_database_lines(*text, o.dbs_from == "-" ? "stdin" : o.dbs_from);
    if (!names) return std::unexpected(usage(names.error()));
    if (names->empty()) {
      return std::unexpected(usage(fmt::format("--dbs-from {}: it names no database", core::printable(o.dbs_from))));
    }
    selection.names.insert(selection.names.end(), names->begin(), names->end());
  }
  return selection;
}

// SIGINT and SIGTERM at their default action (the process ends) while it
// lives; the stop handlers again after.
class DefaultInterruptAction {
 public:
  DefaultInterruptAction() {
    struct sigaction fallback{};
    fallback.sa_handler = SIG_DFL;
    sigemptyset(&fallback.sa_mask);
    sigaction(SIGINT, &fallback, &saved_int_);
    sigaction(SIGTERM, &fallback, &saved_term_);
  }
  ~DefaultInterruptAction() {
    sigaction(SIGINT, &saved_int_, nullptr);
    sigaction(SIGTERM, &saved_term_, nullptr);
  }
  DefaultInterruptAction(const DefaultInterruptAction&) = delete;
  DefaultInterruptAction& operator=(const DefaultInterruptAction&) = delete;

 private:
  struct sigaction saved_int_{}, saved_term_{};
};

// --all-dbs without --match on a writing command: asks on a terminal,
// needs --yes elsewhere (CI). Returns an Error when refused.
Result<void> confirm_all(const GlobalOptions& o, const FanOutCommand& command, std::size_t count,
                         const std::string& redacted_uri) {
  if (!o.all_dbs || !o.match.empty() || !command.writes || o.yes) return {};
  std::string question = fmt::format("{} on all {} databases on {}", command.name, count, redacted_uri);
  if (!isatty(0)) {
    return std::unexpected(usage(fmt::format("refusing to run {} without --yes (or --match to narrow it)",
                                             question)));
  }
  write_stderr(fmt::format("Apply {}? [y/N] ", question));
  std::string answer;
  {
    // Nothing has started: Ctrl-C at the question ends the process at once,
    // as at any prompt. (The stop handler would only note it and let the
    // read go on, and a "y" typed after it would start a stopped run.)
    DefaultInterruptAction interruptible;
    if (int signo = stop_signal().load(); signo == SIGINT || signo == SIGTERM) raise(signo);  // one came already
    std::getline(std::cin, answer);
  }
  if (answer == "y" || answer == "Y" || answer == "yes") return {};
  return std::unexpected(usage("not confirmed: nothing was done"));
}

std::string counts_line(const DatabaseOutcome& outcome) {
  std::string line;
  for (const auto& [name, count] : outcome.counts) {
    line += fmt::format("{}{} {}", line.empty() ? "" : ", ", name, count);
  }
  return line;
}

// Why a database was not started, in the CLI's words (its stop is a
// signal) and as its --json "skipReason".
const char* skip_words(SkipReason reason) {
  switch (reason) {
    case SkipReason::kFailFast: return "--fail-fast";
    case SkipReason::kStopped: return "stopped by a signal";
    case SkipReason::kPingFailed: return "a ping to the server failed";
    case SkipReason::kUnexpectedError: return "an unexpected error";
    case SkipReason::kNotSkipped: break;
  }
  return "";
}

const char* skip_json(SkipReason reason) {
  switch (reason) {
    case SkipReason::kFailFast: return "fail-fast";
    case SkipReason::kStopped: return "stopped";
    case SkipReason::kPingFailed: return "ping-failed";
    case SkipReason::kUnexpectedError: return "unexpected-error";
    case SkipReason::kNotSkipped: break;
  }
  return "";
}

// A database's outcome; an Error the fan-out itself gave (a database that
// does not exist, one that could not be opened) as error_outcome says.
DatabaseOutcome outcome_of(const DatabaseResult<DatabaseOutcome>& r) {
  if (r.skipped()) return DatabaseOutcome{.line = fmt::format("skipped (not started: {})", skip_words(r.skip_reason))};
  if (!*r.result) return error_outcome(r.result->error());
  return **r.result;
}

}  // namespace

bool fan_out_requested(const GlobalOptions& o) { return o.dbs_given || o.dbs_from_given || o.all_dbs; }

DatabaseOutcome error_outcome(const Error& error) {
  int code = exit_code(error.kind);
  if (error.kind == ErrorKind::kInterrupted && stop_signal().load() > 0) code = 128 + stop_signal().load();
  std::string message = core::printable(error.message);
  DatabaseOutcome outcome{.exit_code = code, .line = "error: " + message, .line_is_error = true};
  outcome.json = json_document(false);
  outcome.json["error"] = {{"message", message}, {"exitCode", code}};
  return outcome;
}

Result<int> parallel_of(const GlobalOptions& o) {
  if (auto n = core::parse_count(o.parallel)) return *n;
  std::string origin = o.settings ? o.settings->get("parallel").origin : "";
  return std::unexpected(usage(fmt::format("{} \"{}\": give a number of databases at a time, 1 or more",
                                           origin.empty() ? "--parallel" : origin, core::printable(o.parallel))));
}

DatabaseOutcome run_outcome(const Result<RunReport>& report, bool reverting, long long skipped) {
  if (!report) return error_outcome(report.error());
  RunCounts counts = count_steps(*report);
  DatabaseOutcome outcome{.exit_code = report->ok() ? 0 : 1, .json = run_report_json(*report)};
  if (report->dry_run) {
    outcome.counts = {{reverting ? "would revert" : "would apply", counts.planned}};
  } else {
    outcome.counts = {{reverting ? "reverted" : "applied", reverting ? counts.reverted : counts.applied},
                      {"failed", counts.failed}};
    if (!reverting) outcome.counts.emplace_back("skipped", skipped);
  }
  if (report->blocked_by) {
    outcome.line = fmt::format("{}; blocked by {}", counts_line(outcome), core::printable(*report->blocked_by));
    outcome.errors.push_back(
        fmt::format("blocked by {}: {}", core::printable(*report->blocked_by), core::printable(report->blocked_reason)));
  }
  for (const StepReport& step : report->steps) {
    if (step.outcome == StepOutcome::kFailed) {
      outcome.errors.push_back(fmt::format("{} failed: {}", core::printable(step.name), core::printable(step.error)));
    }
    for (const std::string& w : step.warnings) outcome.warnings.push_back(core::printable(step.name) + ": " + w);
  }
  for (const std::string& name : report->out_of_order) {
    outcome.warnings.push_back(out_of_order_warning(name, report->dry_run));
  }
  return outcome;
}

int run_fan_out(const GlobalOptions& o, const FanOutCommand& command) {
  auto selection = selection_from(o);
  if (!selection) return report_error(selection.error(), o);
  auto parallel = parallel_of(o);
  if (!parallel) return report_error(parallel.error(), o);
  auto migrator_options = migrator_options_from(o);
  if (!migrator_options) return report_error(migrator_options.error(), o);
  migrator_options->on_lock_wait = {};  // many databases wait at once: each reports its own outcome
  auto fan = FanOut::open({.migrator = std::move(*migrator_options), .parallel = *parallel, .fail_fast = o.fail_fast});
  if (!fan) return report_error(fan.error(), o);
  auto names = fan->select(*selection);
  if (!names) return report_error(names.error(), o);
  if (auto confirmed = confirm_all(o, command, names->size(), fan->redacted_uri()); !confirmed) {
    return report_error(confirmed.error(), o);
  }
  if (names->empty()) {
    // Not an error (a new deployment may have no tenant yet), but said, for
    // a typo in --match would otherwise pass for "all done".
    write_stderr(fmt::format("{} no database selected: {}\n", paint("warning:", Color::kYellow, use_color(2)),
                             o.all_dbs ? "--match and --exclude leave none of the server's databases"
                                       : "--match and --exclude leave none of the databases named"));
  }

  std::size_t width = 0;
  for (const std::string& n : *names) width = std::max(width, display_width(core::printable(n)));
  bool progress = !o.json && !o.quiet && isatty(2);
  bool color = use_color(1);
  std::size_t done = 0, failures = 0;
  auto print_done = [&](const DatabaseResult<DatabaseOutcome>& r) {
    ++done;
    DatabaseOutcome outcome = outcome_of(r);
    int code = outcome.exit_code;
    if (code != 0 && code != 5) ++failures;
    std::string name = core::printable(r.database);
    if (!o.json) {
      std::string pad(width - std::min(width, display_width(name)), ' ');
      std::string line = outcome.line.empty() ? counts_line(outcome) : outcome.line;
      Color c = r.skipped() ? Color::kDim : code == 0 ? Color::kNone : code == 5 ? Color::kYellow : Color::kRed;
      if (progress) write_stderr("\033[2K");  // the progress line goes; stdout may be a file
      write_stdout(fmt::format("{}{}  {}\n", name, pad, paint(line, c, color)));
      // Its reader gone (`| head -1`): no other database starts, and those in
      // flight stop as a one-database run does (signals.h).
      if (stdout_failed()) request_stop_for_closed_stdout();
    }
    // Errors go to stderr in both modes (the JSON holds them too, the text
    // line may say it again), so that a job keeping only stderr learns why;
    // warnings only beside the text.
    std::vector<std::string> errors = outcome.errors;
    if (outcome.line_is_error) errors.push_back(outcome.line.substr(std::string_view("error: ").size()));
    for (const std::string& e : errors) {
      write_stderr(fmt::format("{} {}: {}\n", paint("error:", Color::kRed, use_color(2)), name, core::printable(e)));
    }
    if (o.json) return;
    for (const std::string& w : outcome.warnings) {
      write_stderr(fmt::format("{} {}: {}\n", paint("warning:", Color::kYellow, use_color(2)), name,
                               core::printable(w)));
    }
    if (progress) {
      write_stderr(fmt::format("\033[2K  {}/{} databases done, {} failed\r", done, names->size(), failures));
    }
  };
  auto results = fan->for_each_database<DatabaseOutcome>(
      *names,  // as selected: a name the server listed is not checked again
      {.body = [&](Migrator& m) -> Result<DatabaseOutcome> { return command.body(m); },
       .failed = [](const Result<DatabaseOutcome>& r) { return !r || (r->exit_code != 0 && r->exit_code != 5); },
       .on_done = print_done,
       .existing_only = command.existing_only});
  if (progress) write_stderr("\033[2K");
  if (!results) return report_error(results.error(), o);

  std::vector<int> codes;
  std::map<std::string, long long> sums;
  std::vector<std::string> order;  // the counts' names in the order the command gives them
  std::size_t ok = 0, failed = 0, skipped = 0;
  std::string stopped_by;  // why no database was started after some point: a ping's error, or what was thrown
  Json databases = Json::array();
  for (const DatabaseResult<DatabaseOutcome>& r : *results) {
    DatabaseOutcome outcome = outcome_of(r);
    int code = outcome.exit_code;
    codes.push_back(code);
    if (r.skipped()) {
      ++skipped;
    } else if (code == 0 || code == 5) {
      ++ok;
    } else {
      ++failed;
    }
    Json entry = {{"database", json_name(r.database)}, {"exitCode", code}, {"skipped", r.skipped()}};
    if (r.skipped()) {
      entry["skipReason"] = skip_json(r.skip_reason);
      if (r.skip_reason == SkipReason::kPingFailed || r.skip_reason == SkipReason::kUnexpectedError) {
        stopped_by = fmt::format("{}: {}", describe(r.skip_reason), core::printable(r.skip_detail));
        entry["skipDetail"] = core::printable(r.skip_detail);
      }
    } else {
      Json counts = Json::object();  // this database's, as its human line shows them
      for (const auto& [name, count] : outcome.counts) {
        if (!sums.contains(name)) order.push_back(name);
        sums[name] += count;
        counts[name] = count;
      }
      for (auto& [key, value] : outcome.json.items()) {
        if (key != "schema") entry[key] = std::move(value);
      }
      entry["counts"] = std::move(counts);
    }
    databases.push_back(std::move(entry));
  }
  int signo = stop_signal().load();
  if (signo > 0) codes.push_back(128 + signo);  // stopped between databases: still a stopped run
  int code = core::worst_exit_code(codes);
  if (o.json) {
    Json json = json_document(code == 0);
    json["databases"] = std::move(databases);
    // The databases' outcomes, and apart from them the command's counts
    // summed: `up` counts failed and skipped migrations too.
    Json counts = Json::object();
    for (const std::string& name : order) counts[name] = sums[name];
    Json totals = {{"databases", results->size()}, {"ok", ok}, {"failed", failed}, {"skipped", skipped},
                   {"counts", std::move(counts)}};
    json["totals"] = std::move(totals);
    json["exitCode"] = code;
    write_stdout(json_line(std::move(json)));
  } else {
    std::string totals = fmt::format("{} database{}: {} ok, {} failed, {} skipped", results->size(),
                                     results->size() == 1 ? "" : "s", ok, failed, skipped);
    for (const std::string& name : order) totals += fmt::format(" · {} {}", name, sums[name]);
    write_stdout(fmt::format("{}\n", paint(totals, Color::kBold, color)));
  }
  if (!stopped_by.empty()) {
    write_stderr(fmt::format("{} no database was started after {}\n",
                             paint("mongo-migrate:", Color::kRed, use_color(2)), stopped_by));
  }
  if (code != 0 && code != 5) {
    write_stderr(fmt::format("{} {}{} of {} databases did not finish (exit {}); run the same command again to "
                             "continue\n",
                             paint("mongo-migrate:", Color::kRed, use_color(2)),
                             signo == SIGPIPE ? "standard output was closed (its reader is gone), so the run stopped: "
                                              : "",
                             failed + skipped, results->size(), code));
  }
  return code;
}

}  // namespace mongomigrate::cli
