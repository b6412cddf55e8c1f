// --json output (docs/json-output.md): one JSON document per command on
// stdout, written with nlohmann/json. Contract: every document is an object
// whose first two members are "schema" (kJsonSchemaVersion) and "ok" (the
// command's exit code was 0), and its text is valid UTF-8 whatever bytes the
// names, paths and messages in it hold (see json_name and print_json).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "mongomigrate/report.h"

namespace mongomigrate::cli {

// Raised when a document's shape changes incompatibly (a member removed or
// retyped); adding a member does not change it.
inline constexpr int kJsonSchemaVersion = 1;

// Members keep their insertion order, so documents read as documented.
using Json = nlohmann::ordered_json;

// {"schema": 1, "ok": ok}, to which a command adds its members.
Json json_document(bool ok);

// A migration name as a JSON string, losslessly: a name that is valid UTF-8
// without a backslash (every valid migration name) is itself; in any other,
// each byte that is not part of valid UTF-8 becomes the four characters
// \xNN (lowercase hex) and each backslash \x5c, so that replacing every
// \xNN by its byte gives the name back.
std::string json_name(std::string_view name);
Json json_names(const std::vector<std::string>& names);

// Free text (messages, paths, actors) as valid UTF-8: each byte that is not
// part of valid UTF-8 becomes \xNN; everything else is kept.
std::string json_text(std::string_view text);

// ISO-8601 UTC with milliseconds, or null.
Json json_time(const std::optional<TimestampMs>& ms);
// The number, or null.
Json json_optional(const std::optional<std::int64_t>& n);

// The lock's holder: owner, host, pid, user, acquiredAt, expiresAt.
Json json_lease(const LeaseHolder& holder);

// The document as one line of text (any string in it not yet valid UTF-8 is
// made so with json_text).
std::string json_line(Json document);

}  // namespace mongomigrate::cli
