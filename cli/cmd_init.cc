// `init`: make the migration directory and a commented mongo-migrate.toml (never overwritten).
#include <filesystem>
#include <system_error>

#include <fmt/format.h>

#include "core/names.h"
#include "json_output.h"
#include "new_file.h"
#include "options.h"

namespace mongomigrate::cli {
namespace {

// `s` as a TOML basic string that the config reads back as `s`: it
// expands ${VAR} and reads "$$" as "$", so every '$' is doubled.
std::string toml_quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '$') {
      out += "$$";
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      out += fmt::format("\\u{:04X}", static_cast<unsigned char>(c));
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string config_template(const std::string& directory) {
  return fmt::format(R"(# mongo-migrate settings. A command-line flag beats an environment variable
# (MONGODB_URI for uri), which beats this file, which beats the default.
# String values may use ${{VAR}} (an unset variable is an error); "$$" is a "$".
# `mongo-migrate config` shows the effective settings and where each came from.

# The migration directory.
dir = {}

# The server, and the database (default: the one in the URI's path).
# uri = "mongodb://localhost:27017/myapp"
# uri = "mongodb://app:${{MONGODB_PASSWORD}}@db.example.com:27017/myapp?authSource=admin"
# db = "myapp"

# The tracking collection (<collection>_events and <collection>_lock go with it).
# collection = "migrationlogs"

# Who runs the migrations, as recorded in the log (default: $USER@hostname).
# by = "ci"

# The migration lock: how long to wait for it, how long a lease lasts, and how
# often it is renewed (default: a third of the lease). E.g. 500ms, 30s, 1m30s.
# lock_timeout = "5m"
# lock_lease = "60s"
# lock_renew = "20s"

# How `create` names the first migration of an empty directory: "timestamp"
# (YYYYMMDDHHMMSS, UTC) or "sequence" (001, 002, ...). Later ones follow the
# directory's convention.
# naming = "timestamp"

# Refuse `up` when a pending migration sorts before the newest applied one.
# strict_order = false

# Settings per environment, chosen with --env NAME or MONGO_MIGRATE_ENV=NAME;
# a table's keys override the ones above.
# [env.staging]
# uri = "${{STAGING_MONGODB_URI}}"
#
# [env.production]
# uri = "${{PRODUCTION_MONGODB_URI}}"
# lock_timeout = "15m"
)",
                     toml_quote(directory));
}

}  // namespace

CommandSpec add_init_command(CLI::App& app, GlobalOptions& global) {
  CLI::App* cmd = add_command(app, "init",
                              "make the migration directory and a commented mongo-migrate.toml (never overwritten)");
  return {cmd, [&global] {
            namespace fs = std::filesystem;
            const std::string& config = global.config;  // apply_config(for_init) put the path to write here
            // TOML holds UTF-8 only: a config naming another directory would
            // be written, and every later command refuse to read it.
            if (!core::valid_utf8(global.directory)) {
              return report_error(Error{ErrorKind::kUsage,
                                        fmt::format("--dir {}: not valid UTF-8, which a config file cannot hold; "
                                                    "nothing was written",
                                                    core::printable(global.directory))},
                                  global);
            }
            if (std::error_code ec; fs::exists(fs::symlink_status(config, ec))) {
              return report_error(Error{ErrorKind::kUsage, fmt::format("{} already exists; init leaves it as it is "
                                                                       "(never overwritten)", config)},
                                  global);
            }
            if (auto written = write_new_file(config, config_template(global.directory), "config file"); !written) {
              return report_error(written.error(), global);
            }
            std::error_code ec;
            bool made_dir = fs::create_directories(global.directory, ec);
            if (ec || !fs::is_directory(global.directory)) {
              std::string why = ec ? ec.message() : "a file of that name is in the way";
              fs::remove(config, ec);  // all or nothing
              return report_error(Error{ErrorKind::kUsage, fmt::format("cannot make the migration directory {}: {}",
                                                                       global.directory, why)},
                                  global);
            }
            if (global.json) {
              Json json = json_document(true);
              json["configFile"] = json_text(config);
              json["directory"] = json_text(global.directory);
              json["directoryCreated"] = made_dir;
              fmt::print("{}", json_line(std::move(json)));
              return 0;
            }
            fmt::print("{} {}\n", made_dir ? "created" : "using the existing directory", global.directory);
            fmt::print("created {}\n", config);
            fmt::print("Next: mongo-migrate create \"add user email index\"\n");
            return 0;
          }};
}

}  // namespace mongomigrate::cli
