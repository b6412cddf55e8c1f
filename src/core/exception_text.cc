#include "core/exception_text.h"

#include <exception>

namespace mongomigrate::core {

std::string current_exception_text() {
  try {
    throw;
  } catch (const std::exception& e) {
    return *e.what() ? e.what() : "an exception with no message";
  } catch (...) {
    return "an exception that is not a std::exception";
  }
}

}  // namespace mongomigrate::core
