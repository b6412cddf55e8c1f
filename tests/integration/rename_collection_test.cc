// `renameCollection` in a JSON migration (mongo/admin_command.h): a mongod
// runs it only against `admin`, with full namespaces, while a migration
// file names collections of whatever database it runs on. The tool sends
// it to `admin` with the names qualified, so one file renames a collection
// of each database it is run on, on MongoDB as on FerretDB.
#include <gtest/gtest.h>

#include <filesystem>

#include <mutex>
#include <string>
#include <vector>

#include "support/fanout_fixture.h"
#include "support/file_checks.h"
#include "support/wire_proxy.h"

namespace mongomigrate::testing {
namespace {

constexpr const char* kRename = R"({
  "description": "users are customers now",
  "up": [ { "renameCollection": "users", "to": "customers" } ],
  "down": [ { "renameCollection": "customers", "to": "users" } ]
})";

class RenameCollectionTest : public FanOutTest {};

TEST_F(RenameCollectionTest, ACollectionOfTheDatabaseItRunsOnIsRenamedAndBack) {
  probe().insert("users", R"({"_id": 1, "name": "Ada"})");
  write_migration("001-rename.json", kRename);

  ProcessResult up = cli({"up"});
  ASSERT_EQ(up.exit_code, 0) << describe(up);
  EXPECT_FALSE(probe().has_collection("users"));
  EXPECT_EQ(probe().count("customers", R"({"name": "Ada"})"), 1);

  ProcessResult down = cli({"down"});
  ASSERT_EQ(down.exit_code, 0) << describe(down);
  EXPECT_FALSE(probe().has_collection("customers"));
  EXPECT_EQ(probe().count("users", R"({"name": "Ada"})"), 1);
}

TEST_F(RenameCollectionTest, OneFileRenamesInEachDatabaseOfAFanOut) {
  for (int i = 1; i <= 2; ++i) on(i).insert("users", R"({"_id": )" + std::to_string(i) + "}");
  write_migration("001-rename.json", kRename);

  ProcessResult up = cli({"up", "--dbs", names(2)});
  ASSERT_EQ(up.exit_code, 0) << describe(up);
  for (int i = 1; i <= 2; ++i) {
    EXPECT_FALSE(on(i).has_collection("users")) << name(i);
    EXPECT_EQ(on(i).count("customers", R"({"_id": )" + std::to_string(i) + "}"), 1) << name(i);
  }
}

TEST_F(RenameCollectionTest, ARenameItCannotDoFailsTheMigration) {
  write_migration("001-rename.json", kRename);  // there is no `users` here
  ProcessResult up = cli({"up"});
  EXPECT_EQ(up.exit_code, 1) << describe(up);
  EXPECT_NE(up.err.find("001-rename.json"), std::string::npos) << describe(up);
  EXPECT_EQ(probe().string_field("migrationlogs", R"({"name": "001-rename.json"})", "status"), "failed");
}

// A rename that would move data to another database is refused before
// anything runs (exit 2, nothing recorded), even when it comes after other
// commands of the migration: they would have run before it failed.
TEST_F(RenameCollectionTest, ARenameOutOfTheDatabaseIsRefused) {
  probe().insert("users", R"({"_id": 1})");
  write_migration("001-rename.json", R"({"up": [ {"insert": "audit", "documents": [{"_id": 1}]},
                                                 { "renameCollection": "users", "to": "users.archive" } ]})");
  ProcessResult up = cli({"up"});
  EXPECT_EQ(up.exit_code, 2) << describe(up);
  EXPECT_NE(up.err.find("001-rename.json: up[1]: renameCollection: to \"users.archive\" names database \"users\", "
                        "not the one the migration runs on"),
            std::string::npos)
      << describe(up);
  EXPECT_EQ(probe().count("users"), 1) << "nothing was renamed";
  EXPECT_EQ(probe().count("audit"), 0) << "nor the command before it run";
  EXPECT_EQ(probe().count("migrationlogs"), 0) << "nothing recorded";
}

// A dry run shows the rename as it would be sent, and refuses one that
// would be refused; it writes nothing either way.
TEST_F(RenameCollectionTest, ADryRunShowsTheRenameAsSentAndRefusesWhatTheRunWould) {
  probe().insert("users", R"({"_id": 1})");
  write_migration("001-rename.json", kRename);
  ProcessResult dry = cli({"up", "--dry-run"});
  ASSERT_EQ(dry.exit_code, 0) << describe(dry);
  EXPECT_TRUE(contains(dry.out, R"({ "renameCollection" : ")" + db() + R"(.users", "to" : ")" + db() +
                                    R"(.customers" })")) << describe(dry);
  EXPECT_EQ(dry.err, "") << describe(dry);
  ProcessResult json = cli({"up", "--dry-run", "--json"});
  ASSERT_EQ(json.exit_code, 0) << describe(json);
  EXPECT_TRUE(contains(json.out, R"("commands":["{ \"renameCollection\" : \")" + db() + R"(.users\", \"to\" : \")" +
                                     db() + R"(.customers\" }"])")) << describe(json);

  // A dry run refuses what the run would refuse, as the run would (exit 2).
  write_migration("002-move.json", R"({"up": [ { "renameCollection": "customers", "to": "elsewhere.customers" } ]})");
  ProcessResult both = cli({"up", "--dry-run"});
  EXPECT_EQ(both.exit_code, 2) << describe(both);
  EXPECT_TRUE(contains(both.err, "002-move.json: up[0]: renameCollection: to \"elsewhere.customers\" names "
                                 "database \"elsewhere\"")) << describe(both);
  ProcessResult both_json = cli({"up", "--dry-run", "--json"});
  EXPECT_EQ(both_json.exit_code, 2) << describe(both_json);
  EXPECT_TRUE(contains(both_json.out, R"({"schema":1,"ok":false,"error":)")) << describe(both_json);

  // So does each database of a fan-out's dry run.
  ProcessResult fanned = cli({"up", "--dry-run", "--dbs", names(1)});
  EXPECT_EQ(fanned.exit_code, 2) << describe(fanned);
  EXPECT_TRUE(contains(fanned.out, name(1) + "  error: ")) << describe(fanned);
  EXPECT_TRUE(probe().has_collection("users")) << "a dry run renames nothing";
  EXPECT_EQ(probe().count("migrationlogs"), 0) << "a dry run records nothing";
}

// Other ways out of the database are refused the same way, before anything
// runs: a command's own "$db" (the driver would send it there) and an
// aggregate's $merge into another database. Within the database, $merge
// works.
TEST_F(RenameCollectionTest, CommandsThatWouldWriteToAnotherDatabaseAreRefused) {
  probe().insert("users", R"({"_id": 1})");
  write_migration("001-db.json", R"({"up": [{"insert": "victims", "documents": [{"x": 1}], "$db": "elsewhere"}]})");
  ProcessResult db_key = cli({"up"});
  EXPECT_EQ(db_key.exit_code, 2) << "an invalid file blocks up: " << describe(db_key);
  ProcessResult validate = cli({"validate"});
  EXPECT_EQ(validate.exit_code, 1) << describe(validate);
  EXPECT_TRUE(contains(validate.out + validate.err,
                       "up[0]: \"$db\" is not allowed in a command: a migration's commands run on the database it "
                       "is applied to")) << describe(validate);
  std::filesystem::remove(dir() + "/001-db.json");

  write_migration("001-merge.json", R"({"up": [{"aggregate": "users", "cursor": {},
      "pipeline": [{"$merge": {"into": {"db": "elsewhere", "coll": "merged"}}}]}]})");
  ProcessResult merge = cli({"up"});
  EXPECT_EQ(merge.exit_code, 2) << describe(merge);
  EXPECT_TRUE(contains(merge.err, "001-merge.json: up[0]: aggregate: $merge writes to database \"elsewhere\", not "
                                  "the one the migration runs on")) << describe(merge);
  EXPECT_EQ(probe().count("migrationlogs"), 0) << "nothing recorded";

  write_migration("001-merge.json", R"({"up": [{"aggregate": "users", "cursor": {},
      "pipeline": [{"$merge": {"into": "merged"}}]}]})");
  ProcessResult here = cli({"up"});
  EXPECT_EQ(here.exit_code, 0) << describe(here);
  EXPECT_EQ(probe().count("merged"), 1);
}

// What goes on the wire: the command on `admin`, with full namespaces.
TEST_F(RenameCollectionTest, ItIsSentToAdminWithFullNamespaces) {
  SKIP_UNLESS_PROXIABLE();
  probe().insert("users", R"({"_id": 1})");
  write_migration("001-rename.json", kRename);
  std::mutex mutex;
  std::vector<std::string> seen;
  WireProxy proxy(server().proxiable_address(nullptr).value(), [&](WireProxy::Exchange& e) {
    if (e.name == "renameCollection") {
      bson_iter_t it;
      std::string where = bson_iter_init_find(&it, e.command, "$db") ? bson_iter_utf8(&it, nullptr) : "?";
      std::string to = bson_iter_init_find(&it, e.command, "to") ? bson_iter_utf8(&it, nullptr) : "?";
      std::lock_guard lock(mutex);
      seen.push_back(where + ": " + e.collection + " -> " + to);
    }
    return WireProxy::Verdict::kPass;
  });

  const std::string via = server().uri_via(proxy.port(), db(), "serverSelectionTimeoutMS=2000&directConnection=true");
  ProcessResult up = cli({"up", "--uri", via, "--dir", dir()}, bounded(), /*with_defaults=*/false);
  ASSERT_EQ(up.exit_code, 0) << describe(up);
  std::lock_guard lock(mutex);
  EXPECT_EQ(seen, std::vector<std::string>{"admin: " + db() + ".users -> " + db() + ".customers"});
}

}  // namespace
}  // namespace mongomigrate::testing
