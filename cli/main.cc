#include <unistd.h>

#include "mongomigrate/cli.h"

namespace {

// Debian's libmongoc initializes itself from a shared-library constructor,
// before main, and exports its statistics counters in /dev/shm/mongoc-<pid>,
// which it creates exclusively. A process killed by SIGKILL leaves that file
// behind, and the next process given the same pid then prints "WARNING:
// mongoc: Falling back to malloc for counters." on stderr, before any log
// handler of ours can be set. A file named after our own pid can only be such
// a leftover, so remove it first: the executable's .preinit_array runs before
// any shared library's constructor. (Setting MONGOC_DISABLE_SHM here does not
// work: libc's own initialization, later, resets the environment.) Only
// system calls here: libc is not initialized yet.
void remove_stale_mongoc_counters(int, char**, char**) {
  char path[32] = "/dev/shm/mongoc-";
  char digits[12];
  int n = 0;
  for (unsigned pid = static_cast<unsigned>(getpid()); n == 0 || pid > 0; pid /= 10) digits[n++] = '0' + pid % 10;
  char* end = path + sizeof "/dev/shm/mongoc-" - 1;
  while (n > 0) *end++ = digits[--n];
  *end = '\0';
  unlink(path);
}

[[gnu::section(".preinit_array"), gnu::used]] void (*const preinit_remove_stale_mongoc_counters)(int, char**,
                                                                                                   char**) =
    remove_stale_mongoc_counters;

}  // namespace

int main(int argc, char** argv) { return mongomigrate::run_cli(argc, argv); }
