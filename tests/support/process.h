// Running a child process (the real mongo-migrate binary, the test server)
// with captured output.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "support/temp_dir.h"

namespace mongomigrate::testing {

struct ProcessResult {
  int exit_code = -1;  // 128+N when killed by signal N
  int killed_by = 0;   // N when killed by signal N (tells 141 from exit(141)), else 0
  std::string out;
  std::string err;
  bool timed_out = false;
};

struct ProcessOptions {
  // Variables to set (value) or remove (nullopt) in the child's environment.
  std::map<std::string, std::optional<std::string>> env;
  std::chrono::milliseconds timeout{std::chrono::minutes(2)};
  std::string working_directory;
  // BackgroundProcess only: the child's stdout is a pipe the test reads with
  // read_line() and may close with close_stdout(), as `mongo-migrate up |
  // head -1` does; out() is then what read_line() has read. The child starts
  // with SIGPIPE at its default action, as from a shell.
  bool stdout_pipe = false;
  // BackgroundProcess only: the child's stdout is a pipe whose read end is
  // closed before the child starts, so that its first write to stdout fails
  // (EPIPE), as in `mongo-migrate ... | true` once `true` has ended.
  bool stdout_closed = false;
};

// Runs argv[0] (a path) to completion; kills it after the timeout.
ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& options = {});

// Starts argv[0] in the background with stdout/stderr sent to `log_path`.
pid_t spawn_background(const std::vector<std::string>& argv, const std::string& log_path);

// A child running in the background, to act on while it runs (send it a
// signal, look at its output so far) and then wait for. stdout and stderr go
// to files of its own; stdin is /dev/null; `options` apply as in run_process
// (the timeout counts from the start and bounds wait()).
// The destructor kills (SIGKILL) and reaps a child that is still running.
class BackgroundProcess {
 public:
  explicit BackgroundProcess(const std::vector<std::string>& argv, const ProcessOptions& options = {});
  ~BackgroundProcess();
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  pid_t pid() const { return pid_; }
  // kill(pid, signo); false once the child has been reaped or if kill fails.
  bool signal(int signo);
  // True once the child has exited (it is reaped then).
  bool finished();
  // Waits (up to `timeout`) until the child catches `signo`, that is, has
  // installed its handler (/proc/<pid>/status, SigCgt), so that a signal
  // sent next meets the handler and not the default action. False if it
  // did not in time or has exited.
  bool wait_until_catching(int signo, std::chrono::milliseconds timeout);
  // Waits for the child to exit; past the timeout kills it (SIGKILL) and
  // reports timed_out. Then returns its exit code and all its output.
  ProcessResult wait();
  // The output written so far.
  std::string out() const;
  std::string err() const;
  // With stdout_pipe: the next line the child writes (without its '\n');
  // nullopt at the end of its output or after `timeout`.
  std::optional<std::string> read_line(std::chrono::milliseconds timeout);
  // With stdout_pipe: closes the read end; the child's next write to stdout
  // fails with EPIPE (or SIGPIPE ends it).
  void close_stdout();

 private:
  TempDir files_;
  std::string out_path_;
  std::string err_path_;
  std::chrono::steady_clock::time_point deadline_;
  pid_t pid_ = -1;
  int status_ = 0;
  bool reaped_ = false;
  bool timed_out_ = false;
  int stdout_fd_ = -1;      // the pipe's read end, with stdout_pipe
  bool piped_ = false;
  std::string piped_out_;   // read from the pipe so far
  std::size_t line_start_ = 0;
};

}  // namespace mongomigrate::testing
