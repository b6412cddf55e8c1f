// Naming and templating the next migration file (`create`): the directory's
// convention, the description's slug, the JSON and C++ templates. Pure
// logic: the caller lists the directory and writes the file.
#pragma once

#include <chrono>
#include <expected>
#include <string>
#include <string_view>
#include <vector>

namespace mongomigrate::core {

enum class Naming { kTimestamp, kSequence };

// "add-user-email-index" from "Add user email index!": lowercase ASCII
// letters and digits, every other run of characters one '-', no '-' at
// either end, at most 60 characters (cut at a '-' where possible). Errors:
// an empty description, one that looks like a path ('/', '\\', a ".."), one
// with a control character or invalid UTF-8, one that slugs to nothing.
std::expected<std::string, std::string> slug_description(std::string_view description);

struct NextPrefix {
  std::string prefix;  // "007" or "20260104093000"
  Naming naming = Naming::kTimestamp;
  // Why, when the directory mixes conventions (for stderr); "" otherwise.
  std::string note;
};

// The prefix of the next migration after `existing` (file names in the
// directory; names that follow neither convention are ignored): a sequence
// one past the highest, zero-padded to its width; or the UTC timestamp
// `now` as YYYYMMDDHHMMSS (one second past the newest existing one if that
// is not earlier). An empty directory gets `empty_default` (a sequence
// starts at 001). A mix: the majority, ties to timestamps. Error: a
// sequence that has no room left in its width (999), or a timestamp past
// the year 9999 (it would take 15 digits and sort first).
std::expected<NextPrefix, std::string> next_prefix(const std::vector<std::string>& existing, Naming empty_default,
                                                   std::chrono::sys_seconds now);

// The body of a new JSON migration: {"description": ..., "up": [], "down": []}, pretty.
std::string json_template(std::string_view description);
// The body of a new C++ migration using MONGOMIGRATE_MIGRATION.
std::string cpp_template(std::string_view description);

}  // namespace mongomigrate::core
