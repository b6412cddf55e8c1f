// Running a child process (the real mongo-migrate binary, the test server)
// with captured output.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mongomigrate::testing {

struct ProcessResult {
  int exit_code = -1;  // 128+N when killed by signal N
  std::string out;
  std::string err;
  bool timed_out = false;
};

struct ProcessOptions {
  // Variables to set (value) or remove (nullopt) in the child's environment.
  std::map<std::string, std::optional<std::string>> env;
  std::chrono::milliseconds timeout{std::chrono::minutes(2)};
  std::string working_directory;
};

// Runs argv[0] (a path) to completion; kills it after the timeout.
ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& options = {});

// Starts argv[0] in the background with stdout/stderr sent to `log_path`.
pid_t spawn_background(const std::vector<std::string>& argv, const std::string& log_path);

}  // namespace mongomigrate::testing
