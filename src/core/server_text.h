// Text from a server or the driver, made fit for a one-line error.
#pragma once

#include <string>

namespace mongomigrate::core {

// `text` on one line: every run of whitespace (newlines and tabs included)
// becomes one space, and the Go source locations FerretDB prefixes to its
// internal errors ("msg_find.go:43 (handler.(*Handler).msgFind): ") are
// dropped, so that what the server said reads as one sentence.
std::string one_line(std::string_view text);

}  // namespace mongomigrate::core
