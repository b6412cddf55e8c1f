// The directory source: every `*.json` file directly inside a directory (no
// recursion, hidden files ignored; a symbolic link to a file counts as the
// file), parsed and sorted in run order. An entry named like a migration that
// is not a file (a directory, a FIFO, a socket, a device, a dangling link) is
// never skipped and never opened: it is an invalid entry, as is a file whose
// name or content is not a valid migration.
//
// Two views of one scan: scan_directory() keeps the invalid entries beside
// the valid migrations (what the reading commands show), load_directory()
// refuses the whole directory if there is any (what every writing command
// needs: nothing is half-loaded).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "core/planner.h"
#include "mongomigrate/error.h"

namespace mongomigrate::source {

// The largest migration file read (README, "Writing migrations"): two
// commands of the server's largest size, as text. A larger file is refused
// by its size, before it is read: a 200 MB file took 1 GB of memory.
inline constexpr std::size_t kMaxMigrationFileBytes = 32 * 1024 * 1024;

// Every entry named like a migration, sorted byte-wise by name, names unique:
// the valid ones parsed, the others with their one-line error. Only a
// problem with the directory itself (missing, not a directory, unreadable)
// is an Error (kBadInput).
struct DirectoryScan {
  core::Catalog migrations;
  std::vector<core::InvalidMigration> invalid;
};
Result<DirectoryScan> scan_directory(const std::string& directory);

// The scan's migrations, or kBadInput when it found any invalid entry: the
// entries that are not files, all named in one message, else the first
// invalid file's error. An empty directory is an empty catalog.
Result<core::Catalog> load_directory(const std::string& directory);

// The Error load_directory() returns for `invalid` (not empty), from the
// directory at `directory`.
Error invalid_entries_error(const std::string& directory, const std::vector<core::InvalidMigration>& invalid);

// kBadInput unless `directory` exists and is a directory.
Result<void> check_directory(const std::string& directory);

}  // namespace mongomigrate::source
