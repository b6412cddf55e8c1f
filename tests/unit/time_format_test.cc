#include "core/time_format.h"

#include <string>

#include <gtest/gtest.h>

namespace mongomigrate::core {
namespace {

TEST(Iso8601, Epoch) { EXPECT_EQ(iso8601(0), "1970-01-01T00:00:00.000Z"); }

TEST(Iso8601, KnownTimestampWithMillis) {
  EXPECT_EQ(iso8601(1700000000123), "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(iso8601(1700000000001), "2023-11-14T22:13:20.001Z");
  EXPECT_EQ(iso8601(1700000000999), "2023-11-14T22:13:20.999Z");
}

TEST(Iso8601, LeapDay) { EXPECT_EQ(iso8601(951782400000), "2000-02-29T00:00:00.000Z"); }

TEST(Iso8601, NegativeTimestamps) {
  EXPECT_EQ(iso8601(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(iso8601(-1000), "1969-12-31T23:59:59.000Z");
  EXPECT_EQ(iso8601(-1001), "1969-12-31T23:59:58.999Z");
  EXPECT_EQ(iso8601(-86400000), "1969-12-31T00:00:00.000Z");
}

TEST(Iso8601, FourDigitYearsAtTheEnds) {
  EXPECT_EQ(iso8601(253402300799999), "9999-12-31T23:59:59.999Z");
  EXPECT_EQ(iso8601(-62135596800000), "0001-01-01T00:00:00.000Z");
}

TEST(Iso8601, ShapeIsFixed) {
  std::string s = iso8601(1705276800000);
  EXPECT_EQ(s, "2024-01-15T00:00:00.000Z");
  EXPECT_EQ(s.size(), 24u);
}

TEST(NowMs, IsAfter2024AndMonotonicEnough) {
  TimestampMs a = now_ms();
  TimestampMs b = now_ms();
  EXPECT_GT(a, 1704067200000);  // 2024-01-01
  EXPECT_GE(b, a - 1000);       // the wall clock may step, but not wildly within a test
}

}  // namespace
}  // namespace mongomigrate::core
