// examples/migrations (the README's first command applies them): they must
// work on a real server, do what the seed's examples do, and revert cleanly.
#include <gtest/gtest.h>

#include <algorithm>

#include "support/integration.h"

namespace mongomigrate::testing {
namespace {

class ExamplesTest : public IntegrationTest {
 protected:
  ProcessResult run(std::vector<std::string> args) {
    args.insert(args.end(), {"--uri", uri(), "--dir", std::string(MONGOMIGRATE_SOURCE_DIR) + "/examples/migrations"});
    return cli(args, {}, /*with_defaults=*/false);
  }
  bool has_index(const std::string& collection, const std::string& name) {
    auto names = probe().index_names(collection);
    return std::find(names.begin(), names.end(), name) != names.end();
  }
};

TEST_F(ExamplesTest, ApplyAndRevertTheSeedExamples) {
  probe().insert("users", R"({"_id": 1, "email": "a@example.com"})");
  probe().insert("users", R"({"_id": 2, "email": "b@example.com", "preferences": {"theme": "dark", "language": "ar"}})");
  probe().insert("cases", R"({"_id": 1, "firmId": 7, "status": "open"})");

  ProcessResult up = run({"up"});
  ASSERT_EQ(up.exit_code, 0) << describe(up);
  EXPECT_TRUE(has_index("users", "email_1"));
  EXPECT_TRUE(has_index("cases", "idx_firm_status_created"));
  // Example 1: defaults added where missing; existing preferences untouched.
  EXPECT_EQ(probe().count("users", R"({"_id": 1, "preferences.theme": "light", "preferences.language": "en"})"), 1);
  EXPECT_EQ(probe().count("users", R"({"_id": 2, "preferences.theme": "dark"})"), 1);
  // The unique email index is real.
  EXPECT_THROW(probe().insert("users", R"({"_id": 3, "email": "a@example.com"})"), std::runtime_error);

  ProcessResult status = run({"status"});
  ASSERT_EQ(status.exit_code, 0) << describe(status);
  EXPECT_NE(status.out.find("3 total · 3 applied"), std::string::npos) << status.out;

  for (const char* name : {"003-add-cases-firm-status-index.json", "002-add-user-preferences.json",
                           "001-add-user-email-index.json"}) {
    ProcessResult down = run({"down", name});
    ASSERT_EQ(down.exit_code, 0) << name << ": " << describe(down);
  }
  EXPECT_FALSE(has_index("users", "email_1"));
  EXPECT_FALSE(has_index("cases", "idx_firm_status_created"));
  // Down removes the defaults it added, and only those: a user's own
  // preferences survive the round trip (the seed's down removed them too).
  EXPECT_EQ(probe().count("users", R"({"_id": 1, "preferences": {"$exists": true}})"), 0);
  EXPECT_EQ(probe().count("users", R"({"_id": 2, "preferences": {"theme": "dark", "language": "ar"}})"), 1);
}

}  // namespace
}  // namespace mongomigrate::testing
