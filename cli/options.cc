#include "options.h"

#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <iterator>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/duration.h"
#include "core/names.h"
#include "core/time_format.h"
#include "json_output.h"
#include "output.h"
#include "signals.h"

namespace mongomigrate::cli {

void add_global_options(CLI::App& app, GlobalOptions& o) {
  // MONGODB_URI is read by the config layer (config_layer.h), which must tell a flag from the environment.
  app.add_option("--uri", o.uri, "MongoDB connection string (env MONGODB_URI)")->capture_default_str();
  app.add_option("--db", o.database,
                 "database (default: the one in the URI path); not with --dbs, --dbs-from, --all-dbs");
  app.add_option("--dir", o.directory, "migration directory")->capture_default_str();
  app.add_option("--collection", o.collection, "tracking collection")->capture_default_str();
  app.add_option("--by", o.by, "who runs it, recorded in the log (default: $USER@hostname)");
  app.add_flag("--json", o.json, "machine-readable output on stdout (docs/json-output.md)");
  app.add_option("--color", o.color, "colour: auto (on a terminal, unless NO_COLOR is set), always, never")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->capture_default_str();
  CLI::Option* quiet = app.add_flag("-q,--quiet", o.quiet, "print only errors and the result");
  app.add_flag("-v,--verbose", o.verbose, "also write the MongoDB driver's log to stderr")->excludes(quiet);
  app.add_option("--lock-timeout", o.lock_timeout, "how long to wait for the migration lock (e.g. 30s, 5m)")
      ->capture_default_str();
  app.add_option("--lock-lease", o.lock_lease, "how long a lock lease lasts unless renewed")->capture_default_str();
  app.add_option("--lock-renew", o.lock_renew, "how often the lease is renewed (default: a third of the lease)");
  app.add_option("--dbs", o.dbs, "run on these databases (comma-separated) instead of one")->type_name("A,B");
  app.add_option("--dbs-from", o.dbs_from, "run on the databases a file names, one a line (- for stdin)")
      ->type_name("FILE");
  app.add_flag("--all-dbs", o.all_dbs, "run on every database but admin, local and config");
  app.add_option("--match", o.match, "only the databases whose name matches this regular expression")
      ->type_name("REGEX");
  app.add_option("--exclude", o.exclude, "leave out the databases whose name matches this regular expression")
      ->type_name("REGEX");
  app.add_option("--parallel", o.parallel, "databases at a time (config parallel)")->type_name("N")
      ->capture_default_str();
  app.add_flag("--fail-fast", o.fail_fast, "start no other database after one fails");
  app.add_flag("--yes", o.yes, "--all-dbs without --match on a writing command: do not ask");
}

std::string global_options_help(const CLI::App& app) {
  std::string text = "Global options (before or after the command):\n";
  for (const CLI::Option* option : app.get_options()) {
    std::string name = option->get_name(false, true);
    if (name == "-h,--help" || name == "--version") continue;
    if (option->get_type_size() > 0) name += " " + option->get_type_name();
    std::string description = option->get_description();
    if (!option->get_default_str().empty()) description += fmt::format(" (default: {})", option->get_default_str());
    text += fmt::format("  {:<26} {}\n", name, description);
  }
  return text;
}

void add_reason_option(CLI::App& command, std::string& reason) {
  command.add_option("--reason", reason, "why: recorded with the event");
}

CLI::App* add_command(CLI::App& app, const std::string& name, const std::string& description) {
  CLI::App* sub = app.add_subcommand(name, description);
  sub->fallthrough();
  return sub;
}

Result<MigratorOptions> migrator_options_from(const GlobalOptions& o) {
  LockOptions lock;
  auto duration = [](const char* option, const std::string& text) -> Result<std::chrono::milliseconds> {
    auto d = core::parse_duration(text);
    if (!d) {
      return std::unexpected(Error{ErrorKind::kUsage, fmt::format("{} \"{}\" is not a duration (e.g. 500ms, "
                                                                  "30s, 5m, 1h)", option, text)});
    }
    return *d;
  };
  auto timeout = duration("--lock-timeout", o.lock_timeout);
  if (!timeout) return std::unexpected(timeout.error());
  auto lease = duration("--lock-lease", o.lock_lease);
  if (!lease) return std::unexpected(lease.error());
  lock.timeout = *timeout;
  lock.lease = *lease;
  lock.renew_every = *lease / 3;
  if (!o.lock_renew.empty()) {
    auto renew = duration("--lock-renew", o.lock_renew);
    if (!renew) return std::unexpected(renew.error());
    lock.renew_every = *renew;
  }
  bool quiet = o.json || o.quiet;
  return MigratorOptions{
      .uri = o.uri,
      .database = o.database,
      .directory = o.directory,
      .collection = o.collection,
      .lock = lock,
      .on_lock_wait =
          [quiet](const LeaseHolder& holder) {
            if (quiet) return;
            write_stderr(fmt::format("mongo-migrate: waiting for the migration lock, held by {} on {} (pid {}) until "
                                     "{}\n",
                                     core::printable(holder.user), core::printable(holder.host), holder.pid,
                                     core::iso8601(holder.expires_at)));
          },
      // A person at a terminal is told why nothing happens; a log gets the
      // error at the end.
      .on_server_wait = quiet || !isatty(2) ? std::function<void(const std::string&)>{}
                                            : [](const std::string& why) {
                                                // Over a progress line, if one is shown.
                                                write_stderr(
                                                    fmt::format("\033[2Kmongo-migrate: {}\n", core::printable(why)));
                                              },
      // Over a progress line, if one is shown; in every mode (--json and
      // --quiet too): it is not progress but something left behind.
      .on_warning =
          [](const std::string& warning) {
            write_stderr(fmt::format("{}{} {}\n", isatty(2) ? "\033[2K" : "",
                                     paint("warning:", Color::kYellow, use_color(2)), core::printable(warning)));
          },
      .stop = &stop_signal()};
}

Result<Migrator> open_migrator(const GlobalOptions& o) {
  auto options = migrator_options_from(o);
  if (!options) return std::unexpected(options.error());
  return Migrator::open(std::move(*options));
}

int report_error(const Error& error, const GlobalOptions& options) {
  int code = exit_code(error.kind);
  int signo = stop_signal().load();
  if (error.kind == ErrorKind::kInterrupted && signo > 0) code = 128 + signo;
  // Messages quote names, paths and driver text: none may reach the terminal
  // raw (control characters, bytes that are not UTF-8) or break the one line.
  std::string message = core::printable(error.message);
  // A signal that came while the driver waited for a server (a wait that
  // does not watch for it) still says the run was stopped, by its code.
  if (error.kind == ErrorKind::kDatabase && signo > 0 && signo != SIGPIPE) {
    code = 128 + signo;
    message = fmt::format("stopped by signal {} while waiting for the server: {}", signo, message);
  }
  if (error.kind == ErrorKind::kInterrupted && signo == SIGPIPE) {
    // No signal came: the run stopped because its output could not be written.
    std::string signalled = fmt::format("interrupted by signal {}: ", SIGPIPE);
    if (message.starts_with(signalled)) message.erase(0, signalled.size());
    message = "standard output was closed (its reader is gone), so the run stopped: " + message;
  }
  write_stderr(fmt::format("{} {}\n", paint("mongo-migrate:", Color::kRed, use_color(2)), message));
  if (options.json) {
    Json json = json_document(false);
    json["error"] = {{"message", message}, {"exitCode", code}};
    write_stdout(json_line(std::move(json)));
  }
  return code;
}

namespace {

Json step_json(const StepReport& step) {
  Json json = {{"name", json_name(step.name)},
               {"outcome", to_string(step.outcome)},
               {"durationMs", step.duration_ms},
               {"error", step.error.empty() ? Json(nullptr) : Json(json_text(step.error))},
               {"commands", Json::array()},
               {"warnings", Json::array()}};
  for (const std::string& c : step.commands) json["commands"].push_back(json_text(c));
  for (const std::string& w : step.warnings) json["warnings"].push_back(json_text(w));
  return json;
}

std::string step_line(const StepReport& step, bool color, bool reverts = false) {
  std::string name = core::printable(step.name);
  switch (step.outcome) {
    case StepOutcome::kApplied:
      return fmt::format("  {} {}  {}", paint("applied ", Color::kGreen, color), name,
                         paint(human_duration(step.duration_ms), Color::kDim, color));
    case StepOutcome::kReverted:
      return fmt::format("  {} {}  {}", paint("reverted", Color::kYellow, color), name,
                         paint(human_duration(step.duration_ms), Color::kDim, color));
    case StepOutcome::kFailed:
      return fmt::format("  {} {}  {}\n           {}", paint("failed  ", Color::kRed, color), name,
                         paint(human_duration(step.duration_ms), Color::kDim, color), core::printable(step.error));
    case StepOutcome::kPlanned:
      return fmt::format("  {} {}", paint(reverts ? "would revert" : "would run", Color::kCyan, color), name);
  }
  return name;
}

}  // namespace

ProgressCallback progress_printer(const GlobalOptions& options) {
  if (options.json) return {};
  bool color = use_color(1);
  // Only a terminal gets the line rewritten in place; a pipe or a file gets
  // one line per finished migration and nothing else.
  bool terminal = isatty(1) && !options.quiet;
  bool quiet = options.quiet;
  auto started = std::chrono::steady_clock::now();
  // Called from inside the run: it never throws, and a line it cannot write
  // (a closed pipe, a terminal gone) stops the run once the migration in
  // flight has ended and is recorded, before the next one starts.
  return [color, terminal, quiet, started](const ProgressEvent& event) {
    try {
      if (event.kind == ProgressEvent::Kind::kStarting) {
        // One line, overwritten by the next: what runs now, how far the run
        // is (done/total) and for how long it has run.
        if (terminal) {
          auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                               started);
          std::string where =
              event.total > 1 ? fmt::format("{}/{} done, ", event.position - 1, event.total) : std::string();
          write_stdout(fmt::format("\033[2K  {} {}  {}\r", paint("running ", Color::kCyan, color),
                                   core::printable(event.step.name),
                                   paint(fmt::format("({}{} elapsed)", where, human_duration(elapsed.count())),
                                         Color::kDim, color)));
        }
        return;
      }
      if (!quiet) write_stdout(fmt::format("{}{}\n", terminal ? "\033[2K" : "", step_line(event.step, color)));
      for (const std::string& w : event.step.warnings) {
        write_stderr(fmt::format("{} {}\n", paint("warning:", Color::kYellow, use_color(2)), core::printable(w)));
      }
    } catch (...) {  // formatting only (bad_alloc): the line is lost, the run goes on
    }
    if (stdout_failed()) request_stop_for_closed_stdout();
  };
}

std::function<void(const BatchProgress&)> batch_printer(const GlobalOptions& options) {
  if (options.json || options.quiet || !isatty(2)) return {};  // the log's metadata keeps the totals
  return [](const BatchProgress& p) {
    try {
      double seconds = static_cast<double>(std::max<std::int64_t>(p.elapsed_ms, 1)) / 1000.0;
      double rate = static_cast<double>(p.done) / seconds;
      std::string eta =
          rate > 0 && p.total > p.done
              ? human_duration(static_cast<std::int64_t>(static_cast<double>(p.total - p.done) / rate * 1000))
              : "-";
      int percent = p.total > 0 ? static_cast<int>(p.done * 100 / p.total) : 100;
      write_stderr(fmt::format("\033[2K  {} {}/{} ({}%), {:.0f} docs/s, ETA {}{}\r", p.migration, p.done, p.total,
                               percent, rate, eta, p.resumed ? " (resumed)" : ""));
    } catch (...) {  // formatting only: the line is lost, the run goes on
    }
  };
}

std::function<void(std::string_view)> log_printer(const GlobalOptions& options) {
  if (options.json || options.quiet) return {};
  bool terminal = isatty(2);  // clear a batch progress line first
  return [terminal](std::string_view line) {
    try {
      write_stderr(fmt::format("{}  {}\n", terminal ? "\033[2K" : "", line));
    } catch (...) {  // formatting only: the line is lost, the run goes on
    }
  };
}

RunOptions run_options(const GlobalOptions& options, bool dry_run, bool restart) {
  return {.dry_run = dry_run,
          .applied_by = options.by,
          .on_progress = progress_printer(options),
          .restart = restart,
          .on_batch = batch_printer(options),
          .on_log = log_printer(options),
          .strict_order = options.strict_order};
}

Json run_report_json(const RunReport& report) {
  Json json = json_document(report.ok());
  json["dryRun"] = report.dry_run;
  Json steps = Json::array();
  for (const StepReport& s : report.steps) steps.push_back(step_json(s));
  json["steps"] = std::move(steps);
  json["blockedBy"] = report.blocked_by ? Json(json_name(*report.blocked_by)) : Json(nullptr);
  json["blockedReason"] = report.blocked_by ? Json(json_text(report.blocked_reason)) : Json(nullptr);
  json["runningElsewhere"] = report.running_elsewhere ? Json(json_name(*report.running_elsewhere)) : Json(nullptr);
  json["outOfOrder"] = json_names(report.out_of_order);
  return json;
}

RunCounts count_steps(const RunReport& report) {
  RunCounts counts;
  for (const StepReport& s : report.steps) {
    if (s.outcome == StepOutcome::kApplied) ++counts.applied;
    if (s.outcome == StepOutcome::kReverted) ++counts.reverted;
    if (s.outcome == StepOutcome::kFailed) ++counts.failed;
    if (s.outcome == StepOutcome::kPlanned) ++counts.planned;
  }
  return counts;
}

std::string out_of_order_warning(const std::string& name, bool dry_run) {
  return fmt::format("{} {} out of order: it sorts before a migration already applied", core::printable(name),
                     dry_run ? "would be applied" : "was applied");
}

namespace {

// print_run_report's text, for stdout and for stderr; returns the exit code.
int format_run_report(const RunReport& report, const GlobalOptions& options, const char* nothing_to_do,
                      std::string& out_text, std::string& err_text) {
  int code = report.ok() ? 0 : 1;
  auto out = std::back_inserter(out_text);
  auto err = std::back_inserter(err_text);
  bool color = use_color(1);
  if (options.json) {
    fmt::format_to(out, "{}", json_line(run_report_json(report)));
  } else if (report.dry_run) {
    if (report.steps.empty() && !report.blocked_by && !report.running_elsewhere) {
      fmt::format_to(out, "Dry run: {}\n", nothing_to_do);
    }
    for (const StepReport& s : report.steps) {
      fmt::format_to(out, "{}\n", step_line(s, color, report.reverts));
      for (const std::string& c : s.commands) fmt::format_to(out, "      {}\n", c);
      for (const std::string& w : s.warnings) {
        fmt::format_to(err, "{} {}: {}\n", paint("warning:", Color::kYellow, use_color(2)), core::printable(s.name),
                       core::printable(w));
      }
    }
    if (!report.steps.empty()) {
      fmt::format_to(out, "Dry run: {} migration{} would {}; nothing was written.\n", report.steps.size(),
                     report.steps.size() == 1 ? "" : "s", report.reverts ? "be reverted" : "run");
    }
    if (report.running_elsewhere) {
      fmt::format_to(out, "Dry run: another runner is applying or reverting {} now; `up` would wait for it, then apply "
                     "what is still pending.\n",
                     core::printable(*report.running_elsewhere));
    }
  } else if (report.steps.empty()) {
    if (!report.blocked_by) fmt::format_to(out, "{}\n", nothing_to_do);
  } else {
    RunCounts counts = count_steps(report);
    std::vector<std::string> parts;
    if (counts.applied) parts.push_back(fmt::format("{} applied", counts.applied));
    if (counts.reverted) parts.push_back(fmt::format("{} reverted", counts.reverted));
    if (counts.failed) parts.push_back(fmt::format("{} failed", counts.failed));
    fmt::format_to(out, "{}.\n", fmt::join(parts, ", "));
  }
  // The JSON holds the warnings; the errors go to stderr in both modes.
  for (const std::string& name : report.out_of_order) {
    if (options.json) break;
    fmt::format_to(err, "{} {}\n", paint("warning:", Color::kYellow, use_color(2)),
                   out_of_order_warning(name, report.dry_run));
  }
  if (report.blocked_by) {
    fmt::format_to(err, "{} blocked by {}: {}\n", paint("mongo-migrate:", Color::kRed, use_color(2)),
                   core::printable(*report.blocked_by), core::printable(report.blocked_reason));
  }
  if (!report.dry_run && !report.ok() && !report.steps.empty() &&
      report.steps.back().outcome == StepOutcome::kFailed) {
    fmt::format_to(err, "{} {} failed: {}\n", paint("mongo-migrate:", Color::kRed, use_color(2)),
                   core::printable(report.steps.back().name), core::printable(report.steps.back().error));
  }
  return code;
}

}  // namespace

int print_run_report(const RunReport& report, const GlobalOptions& options, const char* nothing_to_do) {
  // Written at the end and never thrown: a closed stdout changes nothing of
  // the run (it is over and recorded), only the exit code (run_cli).
  std::string out, err;
  int code = format_run_report(report, options, nothing_to_do, out, err);
  write_stdout(out);
  write_stderr(err);
  return code;
}

}  // namespace mongomigrate::cli
