// Reading mongo-migrate.toml with toml++ into a type-checked core::ConfigFile.
#pragma once

#include <string>

#include "core/settings.h"
#include "mongomigrate/error.h"

namespace mongomigrate::cli {

// The file at `path`, parsed and checked: only the keys of
// core::setting_keys() at the top level and in [env.NAME] tables, each of
// its type. Any problem is a kUsage Error of one line naming the file, the
// line and the key ("mongo-migrate.toml:3: url: unknown key (keys: ...)").
Result<core::ConfigFile> read_config_file(const std::string& path);

}  // namespace mongomigrate::cli
