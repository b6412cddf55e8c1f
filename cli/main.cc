#include <unistd.h>

#include <cstring>

#include "mongomigrate/cli.h"
#include "mongomigrate/migrator.h"

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

// `--version` alone is answered here, before any shared library's
// constructor runs: Debian's libmongoc initializes itself from one (SASL
// plugins, OpenSSL, counters), which is two thirds of the process's start-up
// (docs/benchmarks.md, W1) and which printing a version does not need. The
// text is what CLI11 prints for the flag (app.cc); any other command line,
// `--version` with other arguments included, takes the ordinary path.
// System calls and plain C only, as above.
void answer_version_early(int argc, char** argv, char**) {
  if (argc != 2 || argv[1] == nullptr || std::strcmp(argv[1], "--version") != 0) return;
  const char* program = argv[0] != nullptr ? argv[0] : "mongo-migrate";
  if (const char* slash = std::strrchr(program, '/')) program = slash + 1;
  const char* version = mongomigrate::version();
  bool ours = std::strcmp(program, "mongo-migrate") == 0;
  char line[512];
  std::size_t n = 0;
  auto put = [&](const char* text) {
    for (; *text != '\0' && n + 1 < sizeof line; ++text) line[n++] = *text;
  };
  if (!ours) put(program), put(" (");
  put("mongo-migrate "), put(version);
  if (!ours) put(")");
  put("\n");
  for (std::size_t written = 0; written < n;) {
    ssize_t w = write(STDOUT_FILENO, line + written, n - written);
    if (w <= 0) _exit(1);
    written += static_cast<std::size_t>(w);
  }
  _exit(0);
}

[[gnu::section(".preinit_array"), gnu::used]] void (*const preinit_answer_version_early)(int, char**, char**) =
    answer_version_early;

}  // namespace

int main(int argc, char** argv) { return mongomigrate::run_cli(argc, argv); }
