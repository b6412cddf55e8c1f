// A legacy log with two records of one name (issue 15, item 11): the seed's
// old deployments had no unique index on `name`. Every command that would
// create the index reports the duplicates by name, with their _ids and
// statuses, says how to resolve them and exits 1, writing nothing; the
// readers still show the log and report the duplicates as a problem
// (`validate` exits 1). Before, `up` exited 3 quoting the server's internals.
#include <gtest/gtest.h>

#include <algorithm>
#include <regex>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "support/counter_migrations.h"
#include "support/integration.h"
#include "support/lock_docs.h"

namespace mongomigrate::testing {
namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

class LogDuplicatesTest : public IntegrationTest {
 protected:
  void SetUp() override {
    IntegrationTest::SetUp();
    for (int n = 1; n <= 3; ++n) write_migration(migration_name(n), counter_migration(n));
    probe().insert("migrationlogs", fmt::format(R"({{"name": "{}", "status": "applied"}})", migration_name(1)));
    probe().insert("migrationlogs",
                   fmt::format(R"({{"name": "{}", "status": "failed", "error": "old"}})", migration_name(1)));
    probe().insert("migrationlogs", fmt::format(R"({{"name": "{}", "status": "applied"}})", migration_name(2)));
  }
  // The _id (hex) of the record of `name` with `status`.
  std::string id_of(const std::string& name, const std::string& status) {
    std::vector<std::string> docs =
        probe().find("migrationlogs", fmt::format(R"({{"name": "{}", "status": "{}"}})", name, status));
    std::smatch match;
    if (docs.size() != 1 || !std::regex_search(docs[0], match, std::regex(R"re("\$oid"\s*:\s*"([0-9a-f]{24})")re"))) {
      return "?";
    }
    return match[1];
  }
};

TEST_F(LogDuplicatesTest, CommandsThatCreateTheIndexReportTheDuplicatesAndWriteNothing) {
  const std::string applied_id = id_of(migration_name(1), "applied");
  const std::string failed_id = id_of(migration_name(1), "failed");
  std::vector<std::string> before = probe().snapshot();

  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"up"},
           {"up", "--dry-run"},
           {"run", migration_name(3)},
           {"mark", migration_name(3), "--as", "applied"},
           {"baseline", migration_name(3)},
           {"down"},
           {"down", "--dry-run"},
           {"down", "--count", "2"},
           {"down", migration_name(1)}}) {
    ProcessResult r = cli(args, bounded());
    SCOPED_TRACE(args.front());
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_TRUE(contains(r.err, migration_name(1))) << describe(r);
    EXPECT_FALSE(contains(r.err, migration_name(2))) << describe(r);
    EXPECT_TRUE(contains(r.err, applied_id)) << describe(r);
    EXPECT_TRUE(contains(r.err, failed_id)) << describe(r);
    EXPECT_TRUE(contains(r.err, "failed")) << describe(r);
    EXPECT_TRUE(contains(r.err, "delete")) << "says how to resolve it: " << describe(r);
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one line: " << describe(r);
    EXPECT_EQ(probe().snapshot(), before) << "nothing written";
    EXPECT_EQ(probe().count("counters"), 0);
  }
  std::vector<std::string> indexes = probe().index_names("migrationlogs");
  EXPECT_EQ(std::count(indexes.begin(), indexes.end(), "name_1"), 0);

  // The readers show the log and the problem.
  ProcessResult status = cli({"status"}, bounded());
  EXPECT_EQ(status.exit_code, 0) << describe(status);
  EXPECT_TRUE(contains(status.out + status.err, "duplicate")) << describe(status);
  EXPECT_TRUE(contains(status.out, migration_name(2))) << describe(status);
  ProcessResult validate = cli({"validate"}, bounded());
  EXPECT_EQ(validate.exit_code, 1) << describe(validate);
  EXPECT_TRUE(contains(validate.out + validate.err, migration_name(1))) << describe(validate);
  ProcessResult json = cli({"validate", "--json"}, bounded());
  EXPECT_EQ(json.exit_code, 1) << describe(json);
  EXPECT_TRUE(contains(json.out, "duplicate")) << describe(json);
  ProcessResult history = cli({"history"}, bounded());
  EXPECT_EQ(history.exit_code, 0) << describe(history);

  // Resolved as the message says: the stale record deleted, `up` carries on.
  probe().command(fmt::format(R"({{"delete": "migrationlogs", "deletes": [{{"q": {{"_id": {{"$oid": "{}"}}}},
                              "limit": 1}}]}})",
                              failed_id));
  ProcessResult up = cli({"up"}, bounded());
  EXPECT_EQ(up.exit_code, 0) << describe(up);
  EXPECT_EQ(log_status(probe(), migration_name(3)), "applied");
  indexes = probe().index_names("migrationlogs");
  EXPECT_EQ(std::count(indexes.begin(), indexes.end(), "name_1"), 1);
  EXPECT_EQ(lock_leftovers(probe()), 0);
}

}  // namespace
}  // namespace mongomigrate::testing
