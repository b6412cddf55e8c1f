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
// '\\' or "..", starts with '.', is not valid UTF-8 (the server would store
// it with replacement characters, and its record would never match the file
// again), or holds a control character (C0, DEL, C1) or one that reorders or
// breaks lines when shown (U+200E/F, U+2028/9, U+202A-E, U+2066-9).
std::string name_problem(std::string_view name);

// `text` as it may be shown on a terminal or in a one-line error: valid
// UTF-8 with no control or reordering characters. Bytes that are not valid
// UTF-8 become \xNN, C0 controls and DEL \n, \r, \t or \xNN, the other
// code points name_problem() refuses \uNNNN; everything else (backslashes
// too) is kept as it is. Every name and path the tool prints goes through it.
std::string printable(std::string_view text);

// Run order: plain byte-wise comparison (what the seed's sort() does for
// ASCII names, and stable for any bytes).
inline bool runs_before(std::string_view a, std::string_view b) { return a < b; }

}  // namespace mongomigrate::core
