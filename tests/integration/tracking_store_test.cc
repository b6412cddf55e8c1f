// TrackingStore's gate against a real server: begin() inserts the `running`
// record when the caller saw none (the cheap path, one insert) and falls back
// to the conditional update when a record appeared meanwhile, so the answer
// is the same as if it had always used the update; outcomes are written by
// the inserted record's `_id` and only while it is still `running`.
#include <gtest/gtest.h>

#include <string>

#include "core/log_record.h"
#include "core/migration.h"
#include "mongo/client.h"
#include "mongo/tracking_store.h"
#include "support/integration.h"

namespace mongomigrate::testing {
namespace {

const std::vector<std::string> kUpRefuses = {core::kStatusApplied, core::kStatusRunning};

class TrackingStoreTest : public IntegrationTest {
 protected:
  void SetUp() override {
    IntegrationTest::SetUp();
    auto opened = mongo::Client::open(uri(), db());
    ASSERT_TRUE(opened) << opened.error().message;
    client_.emplace(std::move(*opened));
    store_.emplace(*client_, "migrationlogs");
    ASSERT_TRUE(store_->ensure_indexes());
  }

  static core::Migration migration(const std::string& name) {
    core::Migration m;
    m.name = name;
    m.version = name.substr(0, 3);
    m.checksum = std::string(64, 'a');
    return m;
  }

  std::string status_of(const std::string& name) {
    return probe().string_field("migrationlogs", R"({"name": ")" + name + R"("})", "status");
  }

  mongo::TrackingStore& store() { return *store_; }

 private:
  std::optional<mongo::Client> client_;
  std::optional<mongo::TrackingStore> store_;
};

TEST_F(TrackingStoreTest, BeginInsertsARunningRecordAndTheOutcomeGoesToItsId) {
  core::Migration m = migration("001-a.json");
  auto key = store().begin(m, "ci", kUpRefuses, "owner-1", /*expect_absent=*/true);
  ASSERT_TRUE(key) << key.error().message;
  ASSERT_TRUE(key->id.has_value()) << "a record begin() inserted is addressed by its _id";
  EXPECT_EQ(status_of(m.name), "running");
  EXPECT_EQ(probe().string_field("migrationlogs", R"({"name": "001-a.json"})", "lockOwner"), "owner-1");
  EXPECT_EQ(probe().string_field("migrationlogs", R"({"name": "001-a.json"})", "version"), "001");

  ASSERT_TRUE(store().finish_applied(m, *key, "ci", 1700000000000, 5));
  EXPECT_EQ(status_of(m.name), "applied");
  EXPECT_EQ(probe().count("migrationlogs", R"({"name": "001-a.json", "lockOwner": {"$exists": true}})"), 0);
  EXPECT_EQ(probe().count("migrationlogs"), 1);
}

TEST_F(TrackingStoreTest, ASecondRunnerStartingTheSameMigrationIsRefused) {
  core::Migration m = migration("001-a.json");
  ASSERT_TRUE(store().begin(m, "ci", kUpRefuses, "owner-1", true));
  // Another runner that also read the log before the first wrote: its
  // insert hits the unique index, and the fallback update refuses `running`.
  auto second = store().begin(m, "ci", kUpRefuses, "owner-2", true);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().kind, ErrorKind::kRefused) << second.error().message;
  EXPECT_EQ(probe().string_field("migrationlogs", R"({"name": "001-a.json"})", "lockOwner"), "owner-1");
  EXPECT_EQ(probe().count("migrationlogs"), 1);
}

TEST_F(TrackingStoreTest, ARecordThatAppearedMeanwhileIsJudgedByItsStatus) {
  // Written after the caller's read (a `mark`, say): failed may be retried,
  // applied may not.
  probe().insert("migrationlogs", R"({"name": "001-failed.json", "status": "failed", "error": "boom"})");
  probe().insert("migrationlogs", R"({"name": "002-applied.json", "status": "applied"})");

  core::Migration failed = migration("001-failed.json");
  auto key = store().begin(failed, "ci", kUpRefuses, "owner-1", /*expect_absent=*/true);
  ASSERT_TRUE(key) << key.error().message;
  EXPECT_FALSE(key->id.has_value()) << "a record begin() did not insert is addressed by name";
  EXPECT_EQ(status_of(failed.name), "running");
  ASSERT_TRUE(store().finish_applied(failed, *key, "ci", 1700000000000, 5));
  EXPECT_EQ(status_of(failed.name), "applied");
  EXPECT_EQ(probe().count("migrationlogs", R"({"name": "001-failed.json", "error": {"$exists": true}})"), 0);

  auto refused = store().begin(migration("002-applied.json"), "ci", kUpRefuses, "owner-1", true);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::kRefused) << refused.error().message;
  EXPECT_EQ(status_of("002-applied.json"), "applied");
  EXPECT_EQ(probe().count("migrationlogs"), 2);
}

TEST_F(TrackingStoreTest, AnOutcomeNeverOverwritesARecordSomeoneElseChanged) {
  core::Migration m = migration("001-a.json");
  auto key = store().begin(m, "ci", kUpRefuses, "owner-1", true);
  ASSERT_TRUE(key);
  // An operator marks it by hand while it runs.
  probe().command(R"({"update": "migrationlogs", "updates": [{"q": {"name": "001-a.json"},
                      "u": {"$set": {"status": "pending"}}}]})");
  auto finished = store().finish_failed(m, *key, "boom", 5);
  ASSERT_FALSE(finished);
  EXPECT_EQ(finished.error().kind, ErrorKind::kRefused) << finished.error().message;
  EXPECT_EQ(status_of(m.name), "pending");
}

}  // namespace
}  // namespace mongomigrate::testing
