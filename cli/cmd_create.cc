// `create <description> [--type json|cpp]`: write the next migration file in the directory's naming convention.
#include <chrono>
#include <filesystem>
#include <system_error>

#include <fmt/format.h>

#include "core/names.h"
#include "core/new_migration.h"
#include "json_output.h"
#include "new_file.h"
#include "options.h"

namespace mongomigrate::cli {

CommandSpec add_create_command(CLI::App& app, GlobalOptions& global) {
  CLI::App* cmd = add_command(app, "create", "write the next migration file, named in the directory's convention");
  auto words = std::make_shared<std::vector<std::string>>();
  auto type = std::make_shared<std::string>("json");
  cmd->add_option("description", *words, "what the migration does, e.g. \"add user email index\"")->required();
  cmd->add_option("--type", *type, "json (commands) or cpp (a C++ migration)")
      ->check(CLI::IsMember({"json", "cpp"}))
      ->capture_default_str();
  return {cmd, [&global, words, type] {
            namespace fs = std::filesystem;
            std::string description;
            for (const std::string& w : *words) description += (description.empty() ? "" : " ") + w;
            auto slug = core::slug_description(description);
            if (!slug) return report_error(Error{ErrorKind::kUsage, slug.error()}, global);

            const std::string& dir = global.directory;
            std::error_code ec;
            if (!fs::is_directory(dir, ec)) {
              return report_error(Error{ErrorKind::kUsage, fmt::format("the migration directory {} does not exist (run "
                                                                       "`mongo-migrate init`, or give --dir)", dir)},
                                  global);
            }
            std::vector<std::string> names;
            for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
              names.push_back(it->path().filename().string());
            }
            if (ec) {
              return report_error(Error{ErrorKind::kUsage, fmt::format("cannot read the migration directory {}: {}",
                                                                       dir, ec.message())},
                                  global);
            }
            core::Naming fallback = global.naming == "sequence" ? core::Naming::kSequence : core::Naming::kTimestamp;
            auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
            auto next = core::next_prefix(names, fallback, now);
            if (!next) return report_error(Error{ErrorKind::kUsage, next.error()}, global);
            if (!next->note.empty()) fmt::print(stderr, "mongo-migrate: {}\n", next->note);

            bool cpp = *type == "cpp";
            std::string name = next->prefix + "-" + *slug + (cpp ? ".cc" : ".json");
            if (std::string problem = core::name_problem(name); !problem.empty()) {
              return report_error(Error{ErrorKind::kUsage, fmt::format("cannot name a migration {}: {}", name, problem)},
                                  global);
            }
            std::string path = (fs::path(dir) / name).string();
            std::string content = cpp ? core::cpp_template(description) : core::json_template(description);
            if (auto written = write_new_file(path, content, "migration file"); !written) {
              return report_error(written.error(), global);
            }
            if (global.json) {
              Json json = json_document(true);
              json["path"] = json_text(path);
              json["name"] = json_name(name);
              json["naming"] = next->naming == core::Naming::kSequence ? "sequence" : "timestamp";
              json["note"] = next->note.empty() ? Json(nullptr) : Json(json_text(next->note));
              fmt::print("{}", json_line(std::move(json)));
              return 0;
            }
            fmt::print("{}\n", path);
            if (cpp && !global.quiet) {
              // The stock binary reads .json files only: without this, `up`
              // would say there is nothing to do.
              fmt::print(stderr,
                         "mongo-migrate: a C++ migration runs only in a migrator built with "
                         "mongomigrate_add_migrator() (see the README, \"Writing migrations\"); rebuild it to include "
                         "{}\n",
                         name);
            }
            return 0;
          }};
}

}  // namespace mongomigrate::cli
