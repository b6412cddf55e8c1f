// `up`, `status`, `history`, `validate` through the real binary against a
// real server: the main path a deploy script takes.
#include <gtest/gtest.h>

#include "support/integration.h"

namespace mongomigrate::testing {
namespace {

const char* kInsertA = R"({"up": [{"insert": "things", "documents": [{"_id": "a"}]}],
                           "down": [{"delete": "things", "deletes": [{"q": {"_id": "a"}, "limit": 1}]}]})";
const char* kInsertB = R"({"up": [{"insert": "things", "documents": [{"_id": "b"}]}]})";

class CliUpTest : public IntegrationTest {};

TEST_F(CliUpTest, AppliesPendingMigrationsInOrderAndRecordsThem) {
  write_migration("002-b.json", kInsertB);
  write_migration("001-a.json", kInsertA);

  ProcessResult up = cli({"up", "--by", "tester"});
  ASSERT_EQ(up.exit_code, 0) << describe(up);
  EXPECT_LT(up.out.find("001-a.json"), up.out.find("002-b.json")) << up.out;

  EXPECT_EQ(probe().count("things"), 2);
  EXPECT_EQ(probe().count("migrationlogs", R"({"status": "applied", "appliedBy": "tester"})"), 2);
  EXPECT_EQ(probe().count("migrationlogs_events", R"({"action": "applied"})"), 2);
  EXPECT_EQ(probe().string_field("migrationlogs", R"({"name": "001-a.json"})", "version"), "001");

  // A second deploy has nothing to do and writes nothing.
  ProcessResult again = cli({"up"});
  ASSERT_EQ(again.exit_code, 0) << describe(again);
  EXPECT_NE(again.out.find("every migration is applied"), std::string::npos) << again.out;
  EXPECT_EQ(probe().count("things"), 2);
  EXPECT_EQ(probe().count("migrationlogs_events"), 2);
}

TEST_F(CliUpTest, StatusShowsTotalsAndEveryMigration) {
  write_migration("001-a.json", kInsertA);
  write_migration("002-b.json", kInsertB);
  ASSERT_EQ(cli({"run", "001-a.json"}).exit_code, 0);

  ProcessResult status = cli({"status"});
  ASSERT_EQ(status.exit_code, 0) << describe(status);
  EXPECT_NE(status.out.find("2 total · 1 applied · 1 pending"), std::string::npos) << status.out;
  EXPECT_NE(status.out.find("001-a.json"), std::string::npos);
  EXPECT_NE(status.out.find("002-b.json"), std::string::npos);
}

}  // namespace
}  // namespace mongomigrate::testing
