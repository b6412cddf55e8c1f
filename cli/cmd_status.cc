// `status [--exit-code]`: totals, one line per migration, warnings for
// modified/missing ones; with --exit-code, a CI gate (core::status_exit_code).
#include <fmt/format.h>

#include "core/names.h"
#include "core/planner.h"
#include "core/time_format.h"
#include "json_writer.h"
#include "options.h"
#include "output.h"

namespace mongomigrate::cli {
namespace {

void write_json(const StatusReport& r) {
  JsonWriter json;
  json.begin_object();
  json.key("summary").begin_object();
  json.key("total").value(r.summary.total).key("applied").value(r.summary.applied);
  json.key("pending").value(r.summary.pending).key("failed").value(r.summary.failed);
  json.key("reverted").value(r.summary.reverted).key("running").value(r.summary.running);
  json.key("interrupted").value(r.summary.interrupted);
  json.end_object();
  json.key("migrations").begin_array();
  for (const MigrationState& m : r.migrations) {
    json.begin_object();
    json.key("name").value(m.name).key("version").value(m.version);
    json.key("description").value(m.description);
    json.key("status").value(to_string(m.status));
    json.key("hasFile").value(m.has_file).key("modified").value(m.modified);
    json.key("checksum").value(m.checksum).key("recordedChecksum").value(m.recorded_checksum);
    json.key("appliedAt");
    m.applied_at ? json.value(core::iso8601(*m.applied_at)) : json.null();
    json.key("revertedAt");
    m.reverted_at ? json.value(core::iso8601(*m.reverted_at)) : json.null();
    json.key("durationMs").optional(m.duration_ms);
    json.key("appliedBy").value(m.applied_by).key("revertedBy").value(m.reverted_by);
    json.key("error").value(m.error).key("reverting").value(m.reverting);
    json.key("outOfOrder").value(m.out_of_order);
    json.end_object();
  }
  json.end_array();
  json.key("modified").strings(r.modified);
  json.key("missing").strings(r.missing);
  json.key("duplicated").strings(r.duplicated);
  if (!r.log_problem.empty()) json.key("logProblem").value(r.log_problem);
  json.key("lock");
  if (r.lock) {
    json.begin_object().key("owner").value(r.lock->owner).key("host").value(r.lock->host);
    json.key("pid").value(r.lock->pid).key("user").value(r.lock->user);
    json.key("acquiredAt").value(core::iso8601(r.lock->acquired_at));
    json.key("expiresAt").value(core::iso8601(r.lock->expires_at)).key("live").value(r.lock_live).end_object();
  } else {
    json.null();
  }
  json.end_object();
  fmt::print("{}\n", json.str());
}

void print_human(const StatusReport& r, const Migrator& migrator, const GlobalOptions& o) {
  bool color = use_color(1);
  const StatusSummary& s = r.summary;
  fmt::print("Database {} at {}, log {}, directory {}\n", core::printable(migrator.database()),
             core::printable(migrator.redacted_uri()), core::printable(o.collection), core::printable(o.directory));
  std::string totals = fmt::format("{} total · {} applied · {} pending · {} failed · {} reverted", s.total,
                                   s.applied, s.pending, s.failed, s.reverted);
  if (s.running) totals += fmt::format(" · {} running", s.running);
  if (s.interrupted) totals += fmt::format(" · {} interrupted", s.interrupted);
  fmt::print("{}\n", paint(totals, Color::kBold, color));
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
    MigrationState m = state;  // names and errors as they may be shown
    m.name = core::printable(m.name);
    m.error = core::printable(m.error);
    if ((m.status == MigrationStatus::kFailed || m.status == MigrationStatus::kInterrupted) && !m.error.empty()) {
      fmt::print("{} {}: {}\n", paint("error:", Color::kRed, color), m.name, m.error);
    }
    if (m.status == MigrationStatus::kInterrupted && m.reverting) {
      fmt::print("{} the revert of {} did not finish, so it may be half reverted; check the database, then finish "
                 "it with `down {}` or apply it again with `run {}`\n",
                 paint("warning:", Color::kYellow, color), m.name, m.name, m.name);
    } else if (m.status == MigrationStatus::kInterrupted) {
      fmt::print("{} {} was interrupted while running; check the database, then `run {}`\n",
                 paint("warning:", Color::kYellow, color), m.name, m.name);
    }
  }
  for (const std::string& name : r.modified) {
    fmt::print("{} {} was modified after it was applied (checksum differs)\n",
               paint("warning:", Color::kYellow, color), core::printable(name));
  }
  for (const std::string& name : r.missing) {
    fmt::print("{} {} is applied but its file is missing\n", paint("warning:", Color::kYellow, color),
               core::printable(name));
  }
  if (!r.log_problem.empty()) {
    fmt::print("{} {}\n", paint("warning:", Color::kYellow, color), core::printable(r.log_problem));
  }
}

}  // namespace

CommandSpec add_status_command(CLI::App& app, GlobalOptions& global) {
  CLI::App* cmd = add_command(app, "status", "show every migration and its state");
  auto exit_code = std::make_shared<bool>(false);
  cmd->add_flag("--exit-code", *exit_code,
                "exit 1 if anything is failed, interrupted, modified or missing, 5 if only pending work is left");
  return {cmd, [&global, exit_code] {
            auto migrator = open_migrator(global);
            if (!migrator) return report_error(migrator.error(), global);
            auto report = migrator->status();
            if (!report) return report_error(report.error(), global);
            if (global.json) {
              write_json(*report);
            } else {
              print_human(*report, *migrator, global);
            }
            return *exit_code ? core::status_exit_code(*report) : 0;
          }};
}

}  // namespace mongomigrate::cli
