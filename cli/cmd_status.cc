// `status [--exit-code]`: totals, one line per migration, warnings for
// modified/missing ones; with --exit-code, a CI gate (core::status_exit_code).
#include <algorithm>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "core/names.h"
#include "core/planner.h"
#include "core/time_format.h"
#include "json_output.h"
#include "fanout.h"
#include "options.h"
#include "output.h"
#include "signals.h"

namespace mongomigrate::cli {
namespace {

// `ok` is whether the command exits 0 (with --exit-code, not always).
Json status_json(const StatusReport& r, bool ok) {
  Json json = json_document(ok);
  const StatusSummary& s = r.summary;
  json["summary"] = {{"total", s.total},         {"applied", s.applied}, {"pending", s.pending},
                     {"failed", s.failed},       {"reverted", s.reverted}, {"running", s.running},
                     {"interrupted", s.interrupted}, {"invalid", s.invalid}, {"unknown", s.unknown}};
  Json migrations = Json::array();
  for (const MigrationState& m : r.migrations) {
    migrations.push_back({{"name", json_name(m.name)},
                          {"version", json_text(m.version)},
                          {"description", json_text(m.description)},
                          {"status", to_string(m.status)},
                          {"hasFile", m.has_file},
                          {"modified", m.modified},
                          {"checksum", m.checksum},
                          {"recordedChecksum", json_text(m.recorded_checksum)},
                          {"appliedAt", json_time(m.applied_at)},
                          {"revertedAt", json_time(m.reverted_at)},
                          {"durationMs", json_optional(m.duration_ms)},
                          {"appliedBy", json_text(m.applied_by)},
                          {"revertedBy", json_text(m.reverted_by)},
                          {"error", json_text(m.error)},
                          {"recordedStatus", m.status == MigrationStatus::kUnknown ? Json(json_text(m.recorded_status))
                                                                                   : Json(nullptr)},
                          {"reverting", m.reverting},
                          {"outOfOrder", m.out_of_order}});
  }
  json["migrations"] = std::move(migrations);
  json["modified"] = json_names(r.modified);
  json["missing"] = json_names(r.missing);
  json["duplicated"] = json_names(r.duplicated);
  json["logProblem"] = r.log_problem.empty() ? Json(nullptr) : Json(json_text(r.log_problem));
  if (r.lock) {
    json["lock"] = json_lease(*r.lock);
    json["lock"]["live"] = r.lock_live;
  } else {
    json["lock"] = nullptr;
  }
  return json;
}

// "3 total · 2 applied · 1 pending · 0 failed · 0 reverted" (and the rarer counts when not 0).
std::string status_totals(const StatusSummary& s) {
  std::string totals = fmt::format("{} total · {} applied · {} pending · {} failed · {} reverted", s.total,
                                   s.applied, s.pending, s.failed, s.reverted);
  if (s.running) totals += fmt::format(" · {} running", s.running);
  if (s.interrupted) totals += fmt::format(" · {} interrupted", s.interrupted);
  if (s.invalid) totals += fmt::format(" · {} invalid", s.invalid);
  if (s.unknown) totals += fmt::format(" · {} unknown", s.unknown);
  return totals;
}

// A state's name and error as they may be shown.
MigrationState shown(MigrationState m) {
  m.name = core::printable(m.name);
  m.error = core::printable(m.error);
  return m;
}

// The warning for an interrupted migration (without "warning: "); none for
// the others. `m`'s name is as it may be shown.
std::optional<std::string> interrupted_warning(const MigrationState& m) {
  if (m.status != MigrationStatus::kInterrupted) return std::nullopt;
  if (m.reverting) {
    return fmt::format("the revert of {} did not finish, so it may be half reverted; check the database, then "
                       "finish it with `down {}` or apply it again with `run {}`",
                       m.name, m.name, m.name);
  }
  return fmt::format("{} was interrupted while running; check the database, then `run {}`", m.name, m.name);
}

// The warnings about the files and the log (without "warning: "): applied
// migrations whose file changed or is gone, and a log that could not be
// read as it should.
std::vector<std::string> file_and_log_warnings(const StatusReport& r) {
  std::vector<std::string> warnings;
  for (const std::string& name : r.modified) {
    warnings.push_back(fmt::format("{} was modified after it was applied (checksum differs)", core::printable(name)));
  }
  for (const std::string& name : r.missing) {
    warnings.push_back(fmt::format("{} is applied but its file is missing", core::printable(name)));
  }
  if (!r.log_problem.empty()) warnings.push_back(core::printable(r.log_problem));
  return warnings;
}

// Every warning the one-database output prints, for the many-database one
// (which prints them on stderr, each after its database's name).
std::vector<std::string> status_warnings(const StatusReport& r) {
  std::vector<std::string> warnings;
  for (const MigrationState& m : r.migrations) {
    if (auto warning = interrupted_warning(shown(m))) warnings.push_back(std::move(*warning));
  }
  std::ranges::move(file_and_log_warnings(r), std::back_inserter(warnings));
  return warnings;
}

// The error lines (without "error: ") for an invalid migration file, a
// record whose status is unknown, and a failed or interrupted migration whose
// record holds an error; none for the others. `m`'s name and error are as
// they may be shown.
std::optional<std::string> error_line(const MigrationState& m) {
  if (m.status == MigrationStatus::kUnknown) {
    return fmt::format("{}: {}", m.name, core::unknown_status_reason(m.name, m.recorded_status));
  }
  if (m.status == MigrationStatus::kInvalid) {
    return fmt::format("{} is not a valid migration: {}; `up`, `run` and `down` refuse to run until it is fixed",
                       m.name, m.error);
  }
  if ((m.status == MigrationStatus::kFailed || m.status == MigrationStatus::kInterrupted) && !m.error.empty()) {
    return fmt::format("{}: {}", m.name, m.error);
  }
  return std::nullopt;
}

// Every error line the one-database output prints, for the many-database one.
std::vector<std::string> status_errors(const StatusReport& r) {
  std::vector<std::string> errors;
  for (const MigrationState& m : r.migrations) {
    if (auto line = error_line(shown(m))) errors.push_back(std::move(*line));
  }
  return errors;
}

void print_human(const StatusReport& r, const Migrator& migrator, const GlobalOptions& o) {
  bool color = use_color(1);
  const StatusSummary& s = r.summary;
  if (!o.quiet) {
    fmt::print("Database {} at {}, log {}, directory {}\n", core::printable(migrator.database()),
               core::printable(migrator.redacted_uri()), core::printable(o.collection), core::printable(o.directory));
  }
  fmt::print("{}\n", paint(status_totals(s), Color::kBold, color));
  if (r.lock) {
    fmt::print("Lock: {} by {} on {} (pid {}) since {}, {} {}\n", r.lock_live ? "held" : "expired lease",
               core::printable(r.lock->user), core::printable(r.lock->host), r.lock->pid,
               human_time(r.lock->acquired_at),
               r.lock_live ? "until" : "expired", human_time(r.lock->expires_at));
  }
  if (r.migrations.empty()) {
    fmt::print("No migrations in {}.\n", core::printable(o.directory));
    return;
  }
  fmt::print("\n");
  Table table({"NAME", "STATUS", "APPLIED AT (UTC)", "DURATION", "BY"});
  for (const MigrationState& m : r.migrations) {
    std::string status = to_string(m.status);
    if (m.reverting) status += " (revert)";
    if (m.modified) status += " (modified)";
    if (!m.has_file) status += " (missing)";
    if (m.out_of_order) status += " (out of order)";
    Color c = (m.modified || !m.has_file || m.out_of_order) ? Color::kYellow : status_color(m.status);
    bool reverted = m.status == MigrationStatus::kReverted;
    table.add_row({core::printable(m.name), status, human_time(reverted ? m.reverted_at : m.applied_at),
                   human_duration(m.duration_ms), core::printable(reverted ? m.reverted_by : m.applied_by)},
                  {Color::kNone, c});
  }
  fmt::print("{}", table.render(color));
  for (const MigrationState& state : r.migrations) {
    MigrationState m = shown(state);
    if (auto line = error_line(m)) fmt::print("{} {}\n", paint("error:", Color::kRed, color), *line);
    if (auto warning = interrupted_warning(m)) {
      fmt::print("{} {}\n", paint("warning:", Color::kYellow, color), *warning);
    }
  }
  for (const std::string& warning : file_and_log_warnings(r)) {
    fmt::print("{} {}\n", paint("warning:", Color::kYellow, color), warning);
  }
}

}  // namespace

CommandSpec add_status_command(CLI::App& app, GlobalOptions& global) {
  CLI::App* cmd = add_command(app, "status", "show every migration and its state");
  auto exit_code = std::make_shared<bool>(false);
  cmd->add_flag("--exit-code", *exit_code,
                "exit 1 if anything is failed, interrupted, modified or missing, 5 if only pending work is left");
  return {cmd, [&global, exit_code] {
            if (fan_out_requested(global)) {
              bool gate = *exit_code;
              return run_fan_out(global, {.name = "status", .existing_only = true, .body = [gate](Migrator& m) {
                                            auto report = m.status();
                                            if (!report) return error_outcome(report.error());
                                            const StatusSummary& s = report->summary;
                                            int code = gate ? core::status_exit_code(*report) : 0;
                                            return DatabaseOutcome{
                                                .exit_code = code,
                                                .counts = {{"applied", s.applied}, {"pending", s.pending},
                                                           {"failed", s.failed + s.interrupted + s.unknown}},
                                                .line = status_totals(s),
                                                .warnings = status_warnings(*report),
                                                .errors = status_errors(*report),
                                                .json = status_json(*report, code == 0)};
                                          }});
            }
            auto migrator = open_migrator(global);
            if (!migrator) return report_error(migrator.error(), global);
            auto report = migrator->status();
            if (!report) return report_error(report.error(), global);
            int code = *exit_code ? core::status_exit_code(*report) : 0;
            if (global.json) {
              write_stdout(json_line(status_json(*report, code == 0)));
            } else {
              print_human(*report, *migrator, global);
            }
            return code;
          }};
}

}  // namespace mongomigrate::cli
