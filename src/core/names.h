// Migration names: validity, derived versions and run order.
#pragma once

#include <cstddef>
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
// again), or holds a control character (C0, DEL, C1), one that reorders or
// breaks lines when shown (U+200E/F, U+2028/9, U+202A-E, U+2066-9), or an
// invisible one (invisible_character(): the name would print like another).
std::string name_problem(std::string_view name);

// A character that shows as nothing or as a space, which a name typed or
// pasted holds only by accident (a byte-order mark, a zero-width or no-break
// space from a web page): such a name prints like another. Its code point,
// or 0 when there is none.
char32_t invisible_character(std::string_view name);

// "YYYY-MM-DD" at the start of `s`.
bool starts_with_date(std::string_view s);

// The code point of the valid UTF-8 sequence at text[pos] and its length, or
// length 0 when the bytes there are not one (truncated, overlong, a UTF-16
// surrogate, past U+10FFFF, a stray continuation byte). `pos` < text.size().
struct Decoded {
  char32_t code_point = 0;
  std::size_t length = 0;
};
Decoded decode_utf8(std::string_view text, std::size_t pos);
// Whether all of `text` is valid UTF-8 (decode_utf8 at every step).
bool valid_utf8(std::string_view text);

// `text` as it may be shown on a terminal or in a one-line error: valid
// UTF-8 with no control or reordering characters. Bytes that are not valid
// UTF-8 become \xNN, C0 controls and DEL \n, \r, \t or \xNN, the other
// code points name_problem() refuses \uNNNN; everything else (backslashes
// too) is kept as it is. Every name and path the tool prints goes through it.
std::string printable(std::string_view text);

// ---- The names of the database and of the collections the tool writes.
// MongoDB's naming rules (its manual, "Naming Restrictions"), checked before
// connecting: a name the server refuses would fail only at the first write
// there, after migrations may have run (an events collection too long to
// create left the log half-written). Each message names the name, escaped.

inline constexpr std::size_t kMaxDatabaseNameBytes = 63;
// MongoDB 4.4+: "<database>.<collection>" of an unsharded collection.
inline constexpr std::size_t kMaxNamespaceBytes = 255;
// The collections derived from the tracking collection's name: its events
// and its lock (DESIGN.md §3).
inline constexpr std::string_view kEventsSuffix = "_events";
inline constexpr std::string_view kLockSuffix = "_lock";

// Why MongoDB cannot hold a database of this name ("" when it can): empty,
// over 63 bytes, one of / \ . space " $ or NUL (refused on every platform),
// a control character, or not valid UTF-8.
std::string database_name_problem(std::string_view database);

// Why MongoDB cannot hold a collection of this name ("" when it can): empty,
// a '$' (the server's own namespaces), NUL or another control character,
// a leading '.', the reserved "system." prefix, or not valid UTF-8.
std::string collection_name_problem(std::string_view collection);

// Whether `key`, at the top level of a migration's command, is one the
// driver manages and a migration may not set: "$db" (it would send the
// command to that database), any other "$" key, lsid, txnNumber,
// startTransaction, autocommit.
bool is_driver_managed_key(std::string_view key);

// Both of the above, then the namespace length of the tracking collection
// and of its companions (`collection` + kEventsSuffix / kLockSuffix), each
// "<database>.<name>" at most kMaxNamespaceBytes.
std::string tracking_namespace_problem(std::string_view database, std::string_view collection);

// Run order: plain byte-wise comparison (what the seed's sort() does for
// ASCII names, and stable for any bytes).
inline bool runs_before(std::string_view a, std::string_view b) { return a < b; }

}  // namespace mongomigrate::core
