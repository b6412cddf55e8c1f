// Parsing a JSON command migration (DESIGN.md §2.1):
//   { "description": "...", "version": "...", "up": [ {cmd}, ... ], "down": [ ... ] }
// Commands are MongoDB Extended JSON (relaxed or canonical).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/migration.h"
#include "mongomigrate/error.h"

namespace mongomigrate::source {

// The largest command a migration may hold, as BSON: MongoDB's
// maxBsonObjectSize, 16 MiB on every release since 1.8 and on FerretDB. A
// larger one makes the server drop the connection, which reads as a lost
// server after the migration was marked running; it is refused at parse time.
inline constexpr std::size_t kMaxCommandBytes = 16 * 1024 * 1024;

// Parses `bytes`, the whole content of the file `name` (at `path`, used in
// messages). The checksum is computed from `bytes`. Any problem is a
// kBadInput Error naming the file and, for syntax errors, line, column and
// byte offset, and for a command over kMaxCommandBytes, which one.
Result<core::Migration> parse_json_migration(std::string_view name, std::string_view path,
                                             std::string_view bytes);

// Why `migration`'s `up` (or `down`) cannot be sent to a server whose
// maxBsonObjectSize is `limit`, naming the file and the command ("down[2] is
// N bytes as BSON, over ..."), or "" if every command fits. Compiled
// migrations have no commands: "".
std::string oversized_command(const core::Migration& migration, bool down, std::size_t limit);

// `command` as relaxed Extended JSON, as a dry run prints it. Rendered on
// demand: loading a directory of 10,000 files should not pay for text that
// only --dry-run shows.
std::string command_json(const core::Command& command);

}  // namespace mongomigrate::source
