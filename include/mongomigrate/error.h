// Errors as values. Every fallible library call returns Result<T>: either the
// value or an Error whose kind decides the command-line exit code.
#pragma once

#include <expected>
#include <string>

namespace mongomigrate {

enum class ErrorKind {
  kUsage,            // bad arguments or options                      -> exit 2
  kBadInput,         // unreadable/invalid migration file, bad name   -> exit 2
  kMigrationFailed,  // a migration's own commands failed             -> exit 1
  kRefused,          // state forbids it (blocked, already applied)   -> exit 1
  kDatabase,         // unreachable server, auth, server error        -> exit 3
  kLockTimeout,      // lock not acquired in time                     -> exit 4
  kLockLost,         // the lease was lost mid-run; stopped           -> exit 4
  kInterrupted,      // stopped by a signal (the CLI exits 128+signal) -> exit 130
};

// One clear sentence for a person; never contains a URI password.
struct Error {
  ErrorKind kind;
  std::string message;
};

template <class T>
using Result = std::expected<T, Error>;

// The process exit code DESIGN.md §4 assigns to an error kind.
int exit_code(ErrorKind kind);

}  // namespace mongomigrate
