// The mongo shell's constructors written in a JSON migration (ISODate(...),
// ObjectId(...), NumberLong(...), new Date(...)) are JavaScript, not JSON:
// the file does not parse. This finds the first one outside a string so that
// the syntax error can say what to write instead (its Extended JSON form).
#pragma once

#include <string>
#include <string_view>

namespace mongomigrate::source {

// "" when `text` holds no shell constructor outside a string literal; else
// one sentence naming the first one, its line, and its Extended JSON form,
// e.g. `line 4 has the shell's ISODate("2024-01-01T00:00:00Z"), which is not
// JSON: write {"$date": "2024-01-01T00:00:00Z"}`.
std::string shell_syntax_hint(std::string_view text);

}  // namespace mongomigrate::source
