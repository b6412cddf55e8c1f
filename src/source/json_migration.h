// Parsing a JSON command migration (DESIGN.md §2.1):
//   { "description": "...", "version": "...", "up": [ {cmd}, ... ], "down": [ ... ] }
// Commands are MongoDB Extended JSON (relaxed or canonical).
#pragma once

#include <string>
#include <string_view>

#include "core/migration.h"
#include "mongomigrate/error.h"

namespace mongomigrate::source {

// Parses `bytes`, the whole content of the file `name` (at `path`, used in
// messages). The checksum is computed from `bytes`. Any problem is a
// kBadInput Error naming the file and, for syntax errors, line, column and
// byte offset.
Result<core::Migration> parse_json_migration(std::string_view name, std::string_view path,
                                             std::string_view bytes);

// `command` as relaxed Extended JSON, as a dry run prints it. Rendered on
// demand: loading a directory of 10,000 files should not pay for text that
// only --dry-run shows.
std::string command_json(const core::Command& command);

}  // namespace mongomigrate::source
