// `validate`: applied migrations whose file changed or vanished, and failed
// and interrupted ones; exit 1 if any, so CI can gate a deploy.
#include <fmt/format.h>

#include "core/names.h"
#include "json_output.h"
#include "fanout.h"
#include "options.h"
#include "output.h"

namespace mongomigrate::cli {
namespace {

Json validate_json(const ValidateReport& report) {
  const ValidationIssues& issues = report.issues;
  Json json = json_document(report.valid);
  json["valid"] = report.valid;
  Json invalid = Json::array();
  for (const InvalidEntry& e : issues.invalid) {
    invalid.push_back({{"name", json_name(e.name)}, {"error", json_text(e.error)}});
  }
  json["issues"] = {{"modified", json_names(issues.modified)},
                    {"missing", json_names(issues.missing)},
                    {"interrupted", json_names(issues.interrupted)},
                    {"duplicated", json_names(issues.duplicated)},
                    {"failed", json_names(issues.failed)},
                    {"unknown", json_names(issues.unknown)},
                    {"invalid", std::move(invalid)}};
  return json;
}

// "1 modified, 0 missing, 0 interrupted, 0 failed, 0 invalid" (", N duplicated"
// and ", N unknown" when there are).
std::string problem_counts(const ValidationIssues& issues) {
  return fmt::format("{} modified, {} missing, {} interrupted, {} failed, {} invalid{}{}", issues.modified.size(),
                     issues.missing.size(), issues.interrupted.size(), issues.failed.size(), issues.invalid.size(),
                     issues.duplicated.empty() ? "" : fmt::format(", {} duplicated", issues.duplicated.size()),
                     issues.unknown.empty() ? "" : fmt::format(", {} unknown", issues.unknown.size()));
}

// One line per problem: its kind ("modified") and what it is, names as they may be shown.
struct Problem {
  std::string kind;
  std::string text;
};

std::vector<Problem> problems(const ValidationIssues& issues) {
  std::vector<Problem> out;
  for (const std::string& n : issues.modified) {
    out.push_back({"modified", core::printable(n) + " (file changed since it was applied)"});
  }
  for (const std::string& n : issues.missing) out.push_back({"missing", core::printable(n) + " (applied, file gone)"});
  for (const std::string& n : issues.interrupted) {
    out.push_back({"interrupted", core::printable(n) + " (left running by a runner that stopped)"});
  }
  for (const std::string& n : issues.duplicated) {
    out.push_back({"duplicated", core::printable(n) + " (more than one record in the log: see `status`)"});
  }
  for (const std::string& n : issues.failed) {
    out.push_back({"failed", core::printable(n) + " (its last run failed; fix it, then `run` it)"});
  }
  for (const std::string& n : issues.unknown) {
    out.push_back({"unknown", core::printable(n) + " (its record's status is none this tool knows: see `status`, "
                                                   "then `mark` it)"});
  }
  for (const InvalidEntry& e : issues.invalid) {
    out.push_back({"invalid", fmt::format("{} ({})", core::printable(e.name), core::printable(e.error))});
  }
  return out;
}

// The problems as the fan-out prints them after a database's name: "modified: 002-x.json (…)".
std::vector<std::string> problem_texts(const ValidationIssues& issues) {
  std::vector<std::string> texts;
  for (const Problem& p : problems(issues)) texts.push_back(p.kind + ": " + p.text);
  return texts;
}

// One database's validation in a fan-out.
DatabaseOutcome validate_outcome(Migrator& m) {
  auto report = m.validate();
  if (!report) return error_outcome(report.error());
  return DatabaseOutcome{.exit_code = report->valid ? 0 : 1,
                         .counts = {{"not valid", report->valid ? 0 : 1}},
                         .line = report->valid ? "valid" : "not valid: " + problem_counts(report->issues),
                         .errors = problem_texts(report->issues),
                         .json = validate_json(*report)};
}

}  // namespace

CommandSpec add_validate_command(CLI::App& app, GlobalOptions& global) {
  CLI::App* cmd = add_command(app, "validate", "check applied migrations against their files, and for failed or interrupted ones (exit 1 on problems)");
  return {cmd, [&global] {
            if (fan_out_requested(global)) {
              return run_fan_out(global, {.name = "validate", .existing_only = true, .body = validate_outcome});
            }
            auto migrator = open_migrator(global);
            if (!migrator) return report_error(migrator.error(), global);
            auto report = migrator->validate();
            if (!report) return report_error(report.error(), global);
            const ValidationIssues& issues = report->issues;
            if (global.json) {
              fmt::print("{}", json_line(validate_json(*report)));
              // The failure is said on stderr too, as every error is.
              if (!report->valid) fmt::print(stderr, "mongo-migrate: validation failed: {}\n", problem_counts(issues));
              return report->valid ? 0 : 1;
            }
            bool color = use_color(1);
            if (report->valid) {
              if (!global.quiet) {
                fmt::print("{} every applied migration matches its file; none is failed or interrupted.\n",
                           paint("valid:", Color::kGreen, color));
              }
              return 0;
            }
            for (const Problem& p : problems(issues)) {
              // "interrupted:" is the longest kind: the names line up after it.
              fmt::print("{} {}\n", paint(fmt::format("{:<12}", p.kind + ":"), Color::kRed, color), p.text);
            }
            fmt::print(stderr, "mongo-migrate: validation failed: {}\n", problem_counts(issues));
            return 1;
          }};
}

}  // namespace mongomigrate::cli
