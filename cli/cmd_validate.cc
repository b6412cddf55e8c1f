// `validate`: applied migrations whose file changed or vanished, and failed
// and interrupted ones; exit 1 if any, so CI can gate a deploy.
#include <fmt/format.h>

#include "core/names.h"
#include "json_writer.h"
#include "options.h"
#include "output.h"

namespace mongomigrate::cli {

CommandSpec add_validate_command(CLI::App& app, GlobalOptions& global) {
  CLI::App* cmd = add_command(app, "validate", "check applied migrations against their files, and for failed or interrupted ones (exit 1 on problems)");
  return {cmd, [&global] {
            auto migrator = open_migrator(global);
            if (!migrator) return report_error(migrator.error(), global);
            auto report = migrator->validate();
            if (!report) return report_error(report.error(), global);
            const ValidationIssues& issues = report->issues;
            if (global.json) {
              JsonWriter json;
              json.begin_object().key("valid").value(report->valid).key("issues").begin_object();
              json.key("modified").strings(issues.modified).key("missing").strings(issues.missing);
              json.key("interrupted").strings(issues.interrupted).key("duplicated").strings(issues.duplicated);
              json.key("failed").strings(issues.failed);
              json.end_object().end_object();
              fmt::print("{}\n", json.str());
              return report->valid ? 0 : 1;
            }
            bool color = use_color(1);
            if (report->valid) {
              fmt::print("{} every applied migration matches its file; none is failed or interrupted.\n", paint("valid:", Color::kGreen, color));
              return 0;
            }
            for (const std::string& n : issues.modified) {
              fmt::print("{} {} (file changed since it was applied)\n", paint("modified:   ", Color::kRed, color),
                         core::printable(n));
            }
            for (const std::string& n : issues.missing) {
              fmt::print("{} {} (applied, file gone)\n", paint("missing:    ", Color::kRed, color), core::printable(n));
            }
            for (const std::string& n : issues.interrupted) {
              fmt::print("{} {} (left running by a runner that stopped)\n", paint("interrupted:", Color::kRed, color),
                         core::printable(n));
            }
            for (const std::string& n : issues.duplicated) {
              fmt::print("{} {} (more than one record in the log: see `status`)\n",
                         paint("duplicated: ", Color::kRed, color), core::printable(n));
            }
            for (const std::string& n : issues.failed) {
              fmt::print("{} {} (its last run failed; fix it, then `run` it)\n",
                         paint("failed:     ", Color::kRed, color), core::printable(n));
            }
            fmt::print(stderr, "mongo-migrate: validation failed: {} modified, {} missing, {} interrupted, {} failed{}\n",
                       issues.modified.size(), issues.missing.size(), issues.interrupted.size(), issues.failed.size(),
                       issues.duplicated.empty() ? "" : fmt::format(", {} duplicated", issues.duplicated.size()));
            return 1;
          }};
}

}  // namespace mongomigrate::cli
