#include "support/json_schema_check.h"

#include "support/process.h"
#include "support/temp_dir.h"

namespace mongomigrate::testing {

std::string json_schema_problems(const std::string& output, const std::string& schema) {
  if (!output.starts_with(R"({"schema":1,"ok":)")) return "does not start with {\"schema\":1,\"ok\":";
  TempDir scratch;
  std::string file = scratch.write("output.json", output);
  std::string source = MONGOMIGRATE_SOURCE_DIR;
  ProcessResult check = run_process({"/usr/bin/python3", source + "/tests/support/check_json_output.py",
                                     source + "/docs/json-schema/" + schema + ".schema.json", file});
  if (check.exit_code == 0) return "";
  return check.err.empty() ? "the check exited " + std::to_string(check.exit_code) : check.err;
}

}  // namespace mongomigrate::testing
