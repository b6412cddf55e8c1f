#include "core/names.h"

#include <gtest/gtest.h>

namespace mongomigrate::core {
namespace {

TEST(DeriveVersion, TakesTheLeadingToken) {
  EXPECT_EQ(derive_version("001-add-user-email-index.json"), "001");
  EXPECT_EQ(derive_version("2024-01-15-backfill.json"), "2024-01-15");
  EXPECT_EQ(derive_version("v1.0.0-users.json"), "v1.0.0");
  EXPECT_EQ(derive_version("add-user-preferences.json"), "");
}

}  // namespace
}  // namespace mongomigrate::core
