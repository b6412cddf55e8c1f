// Checks a command's --json output against its JSON Schema in
// docs/json-schema/ with python3-jsonschema (tests/support/check_json_output.py).
#pragma once

#include <string>

namespace mongomigrate::testing {

// "" when `output` is one line of valid UTF-8 that
// docs/json-schema/<schema>.schema.json accepts and that starts with
// {"schema":1,"ok":; else what is wrong.
std::string json_schema_problems(const std::string& output, const std::string& schema);

}  // namespace mongomigrate::testing
