// SIGINT, SIGTERM and SIGHUP: the first asks the run to stop cleanly (the
// current command finishes, the migration is recorded, the lease released,
// exit 128+signal: 130, 143, 129); a second one ends the process at once.
// SIGHUP already ignored when the process starts (nohup) stays ignored.
//
// SIGPIPE is ignored, so that a write to a pipe whose reader is gone fails
// with EPIPE instead of ending the process mid-run; such a failed write to
// stdout asks the run to stop after the current migration (exit 141, as if
// SIGPIPE had ended it, but with the outcome recorded and the lease released).
#pragma once

#include <atomic>
#include <string_view>

namespace mongomigrate::cli {

// The signal number received, 0 if none. Passed to the library as its stop
// flag. SIGPIPE's number when a failed write to stdout asked the run to stop.
std::atomic<int>& stop_signal();

void install_stop_handlers();

// Fills whichever of fds 0, 1 and 2 is closed, before anything else opens
// a file: else the first socket to the server takes the number, and what is
// printed goes into it. stdin and stderr get /dev/null; stdout a pipe with
// no reader, so that output fails as into a closed pipe (exit 141).
void guard_standard_streams();

// Writes `text` to stdout (then flushes it), never throws. A failed write
// (EPIPE: the reader of the pipe is gone; EIO: the terminal hung up) is
// remembered (stdout_failed()); returns whether it was written.
bool write_stdout(std::string_view text);
// The same for stderr; a failure there is ignored.
void write_stderr(std::string_view text);
// Whether a write to stdout has failed, here or through stdio (ferror).
bool stdout_failed();
// Asks the run to stop, as a first signal does, with SIGPIPE's number,
// unless a signal asked first. Called after a migration whose progress line
// could not be written: the run stops before the next one.
void request_stop_for_closed_stdout();

}  // namespace mongomigrate::cli
