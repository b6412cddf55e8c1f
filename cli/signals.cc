#include "signals.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

namespace mongomigrate::cli {
namespace {

std::atomic<int> g_stop_signal{0};
static_assert(std::atomic<int>::is_always_lock_free, "written from a signal handler");
std::atomic<bool> g_stdout_failed{false};

extern "C" void on_stop_signal(int signo) {
  int previous = g_stop_signal.exchange(signo);
  // A stop asked by a closed stdout is no signal: the first real one only
  // takes its place (and its exit code).
  if (previous != 0 && previous != SIGPIPE) {
    // Second signal: the user insists. Default action, now.
    signal(signo, SIG_DFL);
    raise(signo);
  }
}

bool write_fully(std::FILE* stream, std::string_view text) {
  bool ok = text.empty() || std::fwrite(text.data(), 1, text.size(), stream) == text.size();
  return std::fflush(stream) == 0 && ok;
}

}  // namespace

std::atomic<int>& stop_signal() { return g_stop_signal; }

void install_stop_handlers() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  // SA_RESTART: the command in flight completes rather than failing with EINTR.
  action.sa_flags = SA_RESTART;
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  // `nohup mongo-migrate up`: whoever started it asked it to outlive the
  // terminal, and it does.
  struct sigaction hangup {};
  if (sigaction(SIGHUP, nullptr, &hangup) != 0 || hangup.sa_handler != SIG_IGN) sigaction(SIGHUP, &action, nullptr);

  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  sigaction(SIGPIPE, &ignore, nullptr);
}

bool write_stdout(std::string_view text) {
  if (write_fully(stdout, text)) return true;
  g_stdout_failed = true;
  return false;
}

void write_stderr(std::string_view text) { (void)write_fully(stderr, text); }

void guard_standard_streams() {
  for (int fd = 0; fd <= 2; ++fd) {
    if (fcntl(fd, F_GETFD) != -1 || errno != EBADF) continue;
    if (fd == 1) {
      // A pipe with no reader: every write fails (EPIPE), as into `| true`
      // once `true` has ended, and a run that prints nothing is not harmed.
      int ends[2];
      if (pipe(ends) != 0) continue;
      dup2(ends[1], 1);
      for (int end : ends) {
        if (end != 1) close(end);
      }
      continue;
    }
    // The lowest free number: this one, as those below it are open.
    int opened = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
    if (opened != fd && opened >= 0) close(opened);
  }
}

bool stdout_failed() { return g_stdout_failed || std::ferror(stdout) != 0; }

void request_stop_for_closed_stdout() {
  int expected = 0;
  g_stop_signal.compare_exchange_strong(expected, SIGPIPE);
}

}  // namespace mongomigrate::cli
