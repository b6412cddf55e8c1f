// Text from a server or the driver, made fit for a one-line error.
#pragma once

#include <string>

namespace mongomigrate::core {

// `text` on one line: every run of whitespace (newlines and tabs included)
// becomes one space, and the Go source locations FerretDB prefixes to its
// internal errors ("msg_find.go:43 (handler.(*Handler).msgFind): ") are
// dropped, so that what the server said reads as one sentence.
std::string one_line(std::string_view text);

// Whether `code` is one a primary sends as it steps down, has stepped
// down or shuts down (NotWritablePrimary and its kin).
bool is_failover_code(int code);

// What to do about a server's refusal whose cause lies outside
// mongo-migrate, or "" if it has none known: `message` and `code` are the
// server's, `tracking` whether the refused write was mongo-migrate's own
// (lock, log, events) rather than a migration's command.
// - "Retryable writes are not supported" (Amazon DocumentDB): add
//   retryWrites=false to the URI.
// - A tracking write refused by a schema validator (121,
//   DocumentValidationFailure), say one copied from the original system's
//   status enum: allow mongo-migrate's fields or drop the validator.
// - A primary stepping down or shutting down (NotWritablePrimary and its
//   kin): an election or a restart. A tracking write meets it only once the
//   driver's retry found no new primary in time.
std::string remedy(std::string_view message, int code, bool tracking);

}  // namespace mongomigrate::core
