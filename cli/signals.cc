#include "signals.h"

#include <signal.h>

namespace mongomigrate::cli {
namespace {

std::atomic<int> g_stop_signal{0};
static_assert(std::atomic<int>::is_always_lock_free, "written from a signal handler");

extern "C" void on_stop_signal(int signo) {
  if (g_stop_signal.exchange(signo) != 0) {
    // Second signal: the user insists. Default action, now.
    signal(signo, SIG_DFL);
    raise(signo);
  }
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
}

}  // namespace mongomigrate::cli
