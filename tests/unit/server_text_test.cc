#include "core/server_text.h"

#include <gtest/gtest.h>

namespace mongomigrate::core {
namespace {

TEST(OneLine, CollapsesWhitespaceAndTrims) {
  EXPECT_EQ(one_line("  a\n\tb  c\r\n"), "a b c");
  EXPECT_EQ(one_line(""), "");
  EXPECT_EQ(one_line("E11000 duplicate key error"), "E11000 duplicate key error");
}

TEST(OneLine, DropsFerretDbsGoSourceLocations) {
  // As FerretDB 2 answers while its PostgreSQL is down.
  EXPECT_EQ(one_line("msg_find.go:43 (handler.(*Handler).msgFind): pool_cursors.go:132 (documentdb.(*Pool).Find): "
                     "pool.go:90 (documentdb.(*Pool).Acquire): failed to connect to `user=postgres database=postgres`:\n"
                     "\t127.0.0.1:47069 (127.0.0.1): dial error: dial tcp 127.0.0.1:47069: connect: connection refused"),
            "failed to connect to `user=postgres database=postgres`: 127.0.0.1:47069 (127.0.0.1): dial error: dial tcp "
            "127.0.0.1:47069: connect: connection refused");
  EXPECT_EQ(one_line("see config.go:12 for details"), "see config.go:12 for details");
}

}  // namespace
}  // namespace mongomigrate::core
