#include "options.h"

#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <iterator>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "json_writer.h"
#include "core/duration.h"
#include "core/names.h"
#include "core/time_format.h"
#include "output.h"
#include "signals.h"

namespace mongomigrate::cli {

void add_global_options(CLI::App& app, GlobalOptions& o) {
  // MONGODB_URI is read by the config layer (config_layer.h), which must tell a flag from the environment.
  app.add_option("--uri", o.uri, "MongoDB connection string (env MONGODB_URI)")->capture_default_str();
  app.add_option("--db", o.database, "database (default: the one in the URI path)");
  app.add_option("--dir", o.directory, "migration directory")->capture_default_str();
  app.add_option("--collection", o.collection, "tracking collection")->capture_default_str();
  app.add_option("--by", o.by, "who runs it, recorded in the log (default: $USER@hostname)");
  app.add_flag("--json", o.json, "machine-readable output on stdout");
  app.add_option("--lock-timeout", o.lock_timeout, "how long to wait for the migration lock (e.g. 30s, 5m)")
      ->capture_default_str();
  app.add_option("--lock-lease", o.lock_lease, "how long a lock lease lasts unless renewed")->capture_default_str();
  app.add_option("--lock-renew", o.lock_renew, "how often the lease is renewed (default: a third of the lease)");
}

void add_reason_option(CLI::App& command, std::string& reason) {
  command.add_option("--reason", reason, "why: recorded with the event");
}

CLI::App* add_command(CLI::App& app, const std::string& name, const std::string& description) {
  CLI::App* sub = app.add_subcommand(name, description);
  sub->fallthrough();
  return sub;
}

Result<Migrator> open_migrator(const GlobalOptions& o) {
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
  bool quiet = o.json;
  return Migrator::open(MigratorOptions{
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
      .stop = &stop_signal()});
}

int report_error(const Error& error, const GlobalOptions& options) {
  int code = exit_code(error.kind);
  int signo = stop_signal().load();
  if (error.kind == ErrorKind::kInterrupted && signo > 0) code = 128 + signo;
  // Messages quote names, paths and driver text: none may reach the terminal
  // raw (control characters, bytes that are not UTF-8) or break the one line.
  std::string message = core::printable(error.message);
  if (error.kind == ErrorKind::kInterrupted && signo == SIGPIPE) {
    // No signal came: the run stopped because its output could not be written.
    std::string signalled = fmt::format("interrupted by signal {}: ", SIGPIPE);
    if (message.starts_with(signalled)) message.erase(0, signalled.size());
    message = "standard output was closed (its reader is gone), so the run stopped: " + message;
  }
  write_stderr(fmt::format("{} {}\n", paint("mongo-migrate:", Color::kRed, use_color(2)), message));
  if (options.json) {
    JsonWriter json;
    json.begin_object().key("ok").value(false).key("error").begin_object();
    json.key("message").value(message).key("exitCode").value(code).end_object().end_object();
    write_stdout(json.str() + "\n");
  }
  return code;
}

namespace {

void write_step(JsonWriter& json, const StepReport& step) {
  json.begin_object();
  json.key("name").value(step.name);
  json.key("outcome").value(to_string(step.outcome));
  json.key("durationMs").value(step.duration_ms);
  if (!step.error.empty()) json.key("error").value(step.error);
  if (!step.commands.empty()) json.key("commands").strings(step.commands);
  if (!step.warnings.empty()) json.key("warnings").strings(step.warnings);
  json.end_object();
}

std::string step_line(const StepReport& step, bool color) {
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
      return fmt::format("  {} {}", paint("would run", Color::kCyan, color), name);
  }
  return name;
}

}  // namespace

ProgressCallback progress_printer(const GlobalOptions& options) {
  if (options.json) return {};
  bool color = use_color(1);
  bool terminal = isatty(1);
  // Called from inside the run: it never throws, and a line it cannot write
  // (a closed pipe, a terminal gone) stops the run once the migration in
  // flight has ended and is recorded, before the next one starts.
  return [color, terminal](const ProgressEvent& event) {
    try {
      if (event.kind == ProgressEvent::Kind::kStarting) {
        // On a terminal show what is running now; the result line overwrites it.
        if (terminal) {
          write_stdout(
              fmt::format("  {} {}\r", paint("running ", Color::kCyan, color), core::printable(event.step.name)));
        }
        return;
      }
      write_stdout(fmt::format("{}{}\n", terminal ? "\033[2K" : "", step_line(event.step, color)));
      for (const std::string& w : event.step.warnings) {
        write_stderr(fmt::format("{} {}\n", paint("warning:", Color::kYellow, use_color(2)), core::printable(w)));
      }
    } catch (...) {  // formatting only (bad_alloc): the line is lost, the run goes on
    }
    if (stdout_failed()) request_stop_for_closed_stdout();
  };
}

std::function<void(const BatchProgress&)> batch_printer(const GlobalOptions& options) {
  if (options.json || !isatty(2)) return {};  // the log's metadata keeps the totals
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
  if (options.json) return {};
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

namespace {

// print_run_report's text, for stdout and for stderr; returns the exit code.
int format_run_report(const RunReport& report, const GlobalOptions& options, const char* nothing_to_do,
                      std::string& out_text, std::string& err_text) {
  int code = report.ok() ? 0 : 1;
  auto out = std::back_inserter(out_text);
  auto err = std::back_inserter(err_text);
  if (options.json) {
    JsonWriter json;
    json.begin_object();
    json.key("ok").value(report.ok());
    json.key("dryRun").value(report.dry_run);
    json.key("steps").begin_array();
    for (const StepReport& s : report.steps) write_step(json, s);
    json.end_array();
    if (report.blocked_by) {
      json.key("blockedBy").value(*report.blocked_by);
      json.key("blockedReason").value(report.blocked_reason);
    }
    if (report.running_elsewhere) json.key("runningElsewhere").value(*report.running_elsewhere);
    if (!report.out_of_order.empty()) json.key("outOfOrder").strings(report.out_of_order);
    json.end_object();
    fmt::format_to(out, "{}\n", json.str());
    return code;
  }

  bool color = use_color(1);
  if (report.dry_run) {
    if (report.steps.empty() && !report.blocked_by && !report.running_elsewhere) {
      fmt::format_to(out, "Dry run: {}\n", nothing_to_do);
    }
    for (const StepReport& s : report.steps) {
      fmt::format_to(out, "{}\n", step_line(s, color));
      for (const std::string& c : s.commands) fmt::format_to(out, "      {}\n", c);
    }
    if (!report.steps.empty()) {
      fmt::format_to(out, "Dry run: {} migration{} would run; nothing was written.\n", report.steps.size(),
                     report.steps.size() == 1 ? "" : "s");
    }
    if (report.running_elsewhere) {
      fmt::format_to(out, "Dry run: another runner is applying or reverting {} now; `up` would wait for it, then apply "
                     "what is still pending.\n",
                     core::printable(*report.running_elsewhere));
    }
  } else if (report.steps.empty()) {
    if (!report.blocked_by) fmt::format_to(out, "{}\n", nothing_to_do);
  } else {
    int applied = 0, reverted = 0, failed = 0;
    for (const StepReport& s : report.steps) {
      if (s.outcome == StepOutcome::kApplied) ++applied;
      if (s.outcome == StepOutcome::kReverted) ++reverted;
      if (s.outcome == StepOutcome::kFailed) ++failed;
    }
    std::vector<std::string> parts;
    if (applied) parts.push_back(fmt::format("{} applied", applied));
    if (reverted) parts.push_back(fmt::format("{} reverted", reverted));
    if (failed) parts.push_back(fmt::format("{} failed", failed));
    fmt::format_to(out, "{}.\n", fmt::join(parts, ", "));
  }
  for (const std::string& name : report.out_of_order) {
    fmt::format_to(err, "{} {} {} out of order: it sorts before a migration already applied\n",
                   paint("warning:", Color::kYellow, use_color(2)), core::printable(name),
                   report.dry_run ? "would be applied" : "was applied");
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
