// Migration names: validity, derived versions and run order.
#pragma once

#include <string>
#include <string_view>

namespace mongomigrate::core {

// The version encoded in a name's leading token:
//   "001-add-index.json"        -> "001"
//   "2024-01-15-backfill.json"  -> "2024-01-15"
//   "v1.0.0-users.json"         -> "v1.0.0"
//   "add-user-preferences.json" -> ""   (purely descriptive)
std::string derive_version(std::string_view name);

// Why `name` cannot name a migration ("" when it can): empty, contains '/',
// '\\' or "..", a NUL or control character, or starts with '.'.
std::string name_problem(std::string_view name);

// Run order: plain byte-wise comparison (what the seed's sort() does for
// ASCII names, and stable for any bytes).
inline bool runs_before(std::string_view a, std::string_view b) { return a < b; }

}  // namespace mongomigrate::core
