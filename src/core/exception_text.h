// The text of the exception being handled, for user code's failures (a C++
// migration's body, a fan-out's task) that become a recorded error or a
// report. Call it inside a catch block only: it rethrows the current
// exception to read it.
#pragma once

#include <string>

namespace mongomigrate::core {

// what() of a std::exception; for one whose what() is empty or one that is
// not a std::exception, a sentence that says so.
std::string current_exception_text();

}  // namespace mongomigrate::core
