#include "core/duration.h"

#include <gtest/gtest.h>

namespace mongomigrate::core {
namespace {

using std::chrono::milliseconds;

TEST(ParseDuration, AcceptsUnitsAndBareSeconds) {
  EXPECT_EQ(parse_duration("90"), milliseconds(90'000));
  EXPECT_EQ(parse_duration("500ms"), milliseconds(500));
  EXPECT_EQ(parse_duration("30s"), milliseconds(30'000));
  EXPECT_EQ(parse_duration("5m"), milliseconds(300'000));
  EXPECT_EQ(parse_duration("5min"), milliseconds(300'000));
  EXPECT_EQ(parse_duration("1h"), milliseconds(3'600'000));
  EXPECT_EQ(parse_duration("0"), milliseconds(0));
}

TEST(ParseDuration, RejectsAnythingElse) {
  for (const char* bad : {"", "s", "-1", "1.5s", "10x", "5 m", "ms", "99999999999999999999", "9223372036854775807h"}) {
    EXPECT_FALSE(parse_duration(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace mongomigrate::core
