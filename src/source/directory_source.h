// The directory source: every regular `*.json` file directly inside a
// directory (no recursion, hidden files ignored), parsed and sorted in run
// order. Contract: the result is sorted byte-wise by name, names are unique,
// and either every file parsed or the first problem is returned (nothing is
// half-loaded).
#pragma once

#include <string>

#include "core/planner.h"
#include "mongomigrate/error.h"

namespace mongomigrate::source {

// A missing directory or one that is not a directory is kBadInput; an empty
// one is an empty catalog.
Result<core::Catalog> load_directory(const std::string& directory);

// kBadInput unless `directory` exists and is a directory.
Result<void> check_directory(const std::string& directory);

}  // namespace mongomigrate::source
