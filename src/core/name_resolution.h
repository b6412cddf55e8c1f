// Names as users type them: with or without their extension. `run 001-x`,
// `down 001-x.json` and `mark 001-x.cc` name the same kind of thing, a
// migration in the directory or the program, or a record in the log.
// Pure; unit-tested without a server.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mongomigrate::core {

// `name` without its extension: the last '.' and what follows it, when that
// is an ASCII letter followed by letters, digits or '+' ("json", "cc", "cpp",
// "c++", "js"), and the dot is not the name's first character. Otherwise the
// name itself: "v1.0.0-users" keeps its dots (".0-users" is no extension).
std::string_view name_stem(std::string_view name);

// What a typed name refers to among `known` (migration names, no order
// required, duplicates allowed). An exact name wins; otherwise every known
// name whose stem is the typed text is a candidate.
struct NameResolution {
  enum class Outcome { kFound, kUnknown, kAmbiguous } outcome = Outcome::kUnknown;
  std::string name;                     // kFound: the known name
  std::vector<std::string> candidates;  // kAmbiguous: sorted, at least two
};
NameResolution resolve_name(const std::vector<std::string_view>& known, std::string_view typed);

// "\"001-x\" matches 2 migrations: 001-x.cc, 001-x.json; give the full name"
std::string ambiguous_name_message(std::string_view typed, const std::vector<std::string>& candidates);

}  // namespace mongomigrate::core
