// The directory source: every `*.json` file directly inside a directory (no
// recursion, hidden files ignored; a symbolic link to a file counts as the
// file), parsed and sorted in run order. An entry named like a migration that
// is not a file (a directory, a FIFO, a socket, a device, a dangling link) is
// an error naming each of them, never skipped, and is never opened. Contract: the result is sorted byte-wise by name, names are unique,
// and either every file parsed or the first problem is returned (nothing is
// half-loaded).
#pragma once

#include <cstddef>
#include <string>

#include "core/planner.h"
#include "mongomigrate/error.h"

namespace mongomigrate::source {

// The largest migration file read (README, "Writing migrations"): two
// commands of the server's largest size, as text. A larger file is refused
// by its size, before it is read: a 200 MB file took 1 GB of memory.
inline constexpr std::size_t kMaxMigrationFileBytes = 32 * 1024 * 1024;

// A missing directory or one that is not a directory is kBadInput; an empty
// one is an empty catalog.
Result<core::Catalog> load_directory(const std::string& directory);

// kBadInput unless `directory` exists and is a directory.
Result<void> check_directory(const std::string& directory);

}  // namespace mongomigrate::source
