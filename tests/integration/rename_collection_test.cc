// `renameCollection` in a JSON migration (mongo/admin_command.h): a mongod
// runs it only against `admin`, with full namespaces, while a migration
// file names collections of whatever database it runs on. The tool sends
// it to `admin` with the names qualified, so one file renames a collection
// of each database it is run on, on MongoDB as on FerretDB.
#include <gtest/gtest.h>

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

// A rename that would move data to another database fails the migration
// before anything is sent.
TEST_F(RenameCollectionTest, ARenameOutOfTheDatabaseIsRefused) {
  probe().insert("users", R"({"_id": 1})");
  write_migration("001-rename.json", R"({"up": [ { "renameCollection": "users", "to": "users.archive" } ]})");
  ProcessResult up = cli({"up"});
  EXPECT_EQ(up.exit_code, 1) << describe(up);
  EXPECT_NE(up.err.find("names database \"users\", not the one the migration runs on"), std::string::npos)
      << describe(up);
  EXPECT_EQ(probe().count("users"), 1) << "nothing was renamed";
  EXPECT_EQ(probe().string_field("migrationlogs", R"({"name": "001-rename.json"})", "status"), "failed");
}

// A dry run shows the rename as it would be sent, and warns of one that
// would be refused; it writes nothing either way.
TEST_F(RenameCollectionTest, ADryRunShowsTheRenameAsSentAndWarnsOfARefusal) {
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

  write_migration("002-move.json", R"({"up": [ { "renameCollection": "customers", "to": "elsewhere.customers" } ]})");
  ProcessResult both = cli({"up", "--dry-run"});
  ASSERT_EQ(both.exit_code, 0) << describe(both);
  EXPECT_TRUE(contains(both.out, R"({ "renameCollection" : "customers", "to" : "elsewhere.customers" })"))
      << "a refused command is shown as written: " << describe(both);
  EXPECT_TRUE(contains(both.err, "warning: 002-move.json: renameCollection: ")) << describe(both);
  EXPECT_TRUE(contains(both.err, "the migration would fail at this command")) << describe(both);
  ProcessResult both_json = cli({"up", "--dry-run", "--json"});
  EXPECT_TRUE(contains(both_json.out, R"("name":"002-move.json","outcome":"planned")")) << describe(both_json);
  EXPECT_TRUE(contains(both_json.out, R"("warnings":["renameCollection: )")) << describe(both_json);

  // Each database of a fan-out's dry run warns too.
  ProcessResult fanned = cli({"up", "--dry-run", "--dbs", names(1)});
  EXPECT_EQ(fanned.exit_code, 0) << describe(fanned);
  EXPECT_TRUE(contains(fanned.err, "warning: " + name(1) + ": 002-move.json: renameCollection: ")) << describe(fanned);
  EXPECT_TRUE(probe().has_collection("users")) << "a dry run renames nothing";
  EXPECT_EQ(probe().count("migrationlogs"), 0) << "a dry run records nothing";
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
