// Applying the config layer: every setting from its flag, else its
// environment variable, else mongo-migrate.toml (or --config PATH /
// MONGO_MIGRATE_CONFIG, an [env.NAME] table chosen with --env /
// MONGO_MIGRATE_ENV over the top level), else the default.
#pragma once

#include <CLI/CLI.hpp>

#include "mongomigrate/error.h"
#include "options.h"

namespace mongomigrate::cli {

// The file looked for in the current directory.
inline constexpr const char* kConfigFileName = "mongo-migrate.toml";

// Adds --config and --env to `app` (global: before or after the command).
void add_config_options(CLI::App& app, GlobalOptions& options);

// After parsing: resolves the settings and fills `options` (and
// options.settings). A bad config file, an unset ${VAR} or an unknown env
// table is a kUsage Error of one line. With `for_init` the file is not
// read: options.config becomes the path `init` is to write, and the
// settings come from flags, environment and defaults.
Result<void> apply_config(const CLI::App& app, GlobalOptions& options, bool for_init);

}  // namespace mongomigrate::cli
