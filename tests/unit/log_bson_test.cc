#include "mongo/log_bson.h"

#include <bson/bson.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace mongomigrate::mongo {
namespace {

core::LogRecord with_duration(double value) {
  bson_t doc = BSON_INITIALIZER;
  BSON_APPEND_UTF8(&doc, "name", "001-a.json");
  BSON_APPEND_DOUBLE(&doc, "duration", value);
  core::LogRecord r = record_from(&doc);
  bson_destroy(&doc);
  return r;
}

// A hand-edited duration: a fraction is truncated; NaN, an infinity or a
// value past int64 has no whole number of milliseconds (casting it would be
// undefined), so there is none.
TEST(RecordFrom, ADurationWithNoWholeNumberIsNone) {
  EXPECT_EQ(with_duration(12.7).duration_ms, 12);
  EXPECT_EQ(with_duration(-3.0).duration_ms, -3);
  for (double odd : {std::nan(""), std::numeric_limits<double>::infinity(),
                     -std::numeric_limits<double>::infinity(), 1e19, -1e19}) {
    EXPECT_FALSE(with_duration(odd).duration_ms.has_value()) << odd;
  }
  bson_t doc = BSON_INITIALIZER;
  BSON_APPEND_INT32(&doc, "duration", 7);
  EXPECT_EQ(record_from(&doc).duration_ms, 7);
  bson_reinit(&doc);
  BSON_APPEND_UTF8(&doc, "duration", "7");
  EXPECT_FALSE(record_from(&doc).duration_ms.has_value()) << "a string is no number";
  bson_destroy(&doc);
}

}  // namespace
}  // namespace mongomigrate::mongo
