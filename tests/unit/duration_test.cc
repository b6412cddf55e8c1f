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

TEST(ParseDuration, AcceptsSumsOfParts) {
  EXPECT_EQ(parse_duration("1m30s"), milliseconds(90'000));
  EXPECT_EQ(parse_duration("1h15m"), milliseconds(4'500'000));
  EXPECT_EQ(parse_duration("1h2m3s4ms"), milliseconds(3'723'004));
  EXPECT_EQ(parse_duration("2s500ms"), milliseconds(2'500));
  EXPECT_EQ(parse_duration("30s1m"), milliseconds(90'000));  // any order, as Go's time.ParseDuration
}

TEST(ParseDuration, AcceptsDecimalFractionsOfWholeMilliseconds) {
  EXPECT_EQ(parse_duration("1.5s"), milliseconds(1'500));
  EXPECT_EQ(parse_duration("0.25s"), milliseconds(250));
  EXPECT_EQ(parse_duration("1.5m"), milliseconds(90'000));
  EXPECT_EQ(parse_duration("0.5h"), milliseconds(1'800'000));
  EXPECT_EQ(parse_duration("1.001s"), milliseconds(1'001));
  EXPECT_EQ(parse_duration("2.0ms"), milliseconds(2));
  EXPECT_EQ(parse_duration("1.5"), milliseconds(1'500));  // a bare number is seconds
  EXPECT_EQ(parse_duration("1m0.5s"), milliseconds(60'500));
}

TEST(ParseDuration, RejectsAnythingElse) {
  for (const char* bad : {"", "s", "-1", "10x", "5 m", "ms", "99999999999999999999", "9223372036854775807h",
                          "1.0005s", "1.5ms", ".5s", "1.s", "1..5s", "1m30", "30 s", "1m 30s", "1M", "1sx", "+1s",
                          "1e3s", "1m-30s", "5000000000000000h1s", "9223372036854775807ms1ms"}) {
    EXPECT_FALSE(parse_duration(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace mongomigrate::core
