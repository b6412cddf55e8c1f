#include "core/exception_text.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace mongomigrate::core {
namespace {

template <typename Throw>
std::string text_of(Throw thrower) {
  try {
    thrower();
  } catch (...) {
    return current_exception_text();
  }
  return "nothing was thrown";
}

TEST(CurrentExceptionText, IsWhatAStandardExceptionSays) {
  EXPECT_EQ(text_of([] { throw std::runtime_error("no such tenant"); }), "no such tenant");
}

TEST(CurrentExceptionText, SaysSoWhenThereIsNoMessage) {
  EXPECT_EQ(text_of([] { throw std::runtime_error(""); }), "an exception with no message");
}

TEST(CurrentExceptionText, SaysSoForAnythingElseThrown) {
  EXPECT_EQ(text_of([] { throw 42; }), "an exception that is not a std::exception");
}

}  // namespace
}  // namespace mongomigrate::core
