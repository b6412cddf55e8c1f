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
#include "mongo/log_bson.h"
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


// ---- the run journal's moves into the log (core/journal.h) -------------------

namespace journal_moves {

core::JournaledRecord applied(const std::string& name, const std::string& claimer = "owner-1") {
  core::LogRecord r;
  r.name = name;
  r.version = name.substr(0, 3);
  r.status = core::kStatusApplied;
  r.applied_at = 1700000000000;
  r.duration_ms = 3;
  r.checksum = std::string(64, 'b');
  r.applied_by = "journal";
  return {mongo::new_object_id(), r, claimer};
}

}  // namespace journal_moves

TEST_F(TrackingStoreTest, MovingJournaledRecordsTwiceInsertsEachOnce) {
  std::vector<core::JournaledRecord> records = {journal_moves::applied("001-a.json"),
                                                journal_moves::applied("002-b.json")};
  ASSERT_TRUE(store().insert_journaled(records));
  auto again = store().insert_journaled(records);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(probe().count("migrationlogs"), 2);
  EXPECT_EQ(status_of("002-b.json"), "applied");
  EXPECT_EQ(probe().string_field("migrationlogs", R"({"name": "001-a.json"})", "appliedBy"), "journal");
  EXPECT_EQ(probe().count("migrationlogs", R"({"_id": {"$oid": ")" + records[0].id + R"("}})"), 1)
      << "inserted with the ObjectId the journal chose";

  HistoryEvent event{.name = "001-a.json", .action = "applied", .at = 1700000000000, .by = "journal"};
  std::vector<core::JournaledEvent> events = {{mongo::new_object_id(), event}};
  ASSERT_TRUE(store().insert_journaled_events(events));
  ASSERT_TRUE(store().insert_journaled_events(events));
  EXPECT_EQ(probe().count("migrationlogs_events"), 1);
}

TEST_F(TrackingStoreTest, AJournaledOutcomeReplacesOnlyARunningRecordOfTheSameRunner) {
  // `running` under the runner that finished it: its evidence, or what a
  // recovery made of its claim while the migration ran; the outcome replaces it.
  core::Migration running = migration("001-a.json");
  ASSERT_TRUE(store().begin(running, "ci", kUpRefuses, "owner-1", /*expect_absent=*/true));
  // Any other status is the log's own word and stays.
  core::Migration reverted = migration("002-b.json");
  ASSERT_TRUE(store().set_status(reverted.name, &reverted, core::kStatusReverted, "ops", 1700000000000));
  // So is another runner's `running` record (someone's `run` of it since).
  core::Migration rerun = migration("003-c.json");
  ASSERT_TRUE(store().begin(rerun, "ops", kUpRefuses, "owner-2", /*expect_absent=*/true));

  auto moved = store().insert_journaled({journal_moves::applied(running.name, "owner-1"),
                                         journal_moves::applied(reverted.name, "owner-1"),
                                         journal_moves::applied(rerun.name, "owner-1")});
  ASSERT_TRUE(moved) << moved.error().message;
  EXPECT_EQ(probe().count("migrationlogs"), 3);
  EXPECT_EQ(status_of(running.name), "applied");
  EXPECT_EQ(probe().string_field("migrationlogs", R"({"name": "001-a.json"})", "appliedBy"), "journal");
  EXPECT_EQ(probe().count("migrationlogs", R"({"name": "001-a.json", "lockOwner": {"$exists": true}})"), 0);
  EXPECT_EQ(status_of(reverted.name), "reverted");
  EXPECT_EQ(status_of(rerun.name), "running");
  EXPECT_EQ(probe().string_field("migrationlogs", R"({"name": "003-c.json"})", "lockOwner"), "owner-2");
}

TEST_F(TrackingStoreTest, NoteRunningLeavesEvidenceOnlyWhereTheLogHasNoRecord) {
  core::LogRecord started{.name = "003-c.json", .version = "003", .checksum = std::string(64, 'c'), .applied_by = "ci"};
  ASSERT_TRUE(store().note_running(started, "owner-9"));
  EXPECT_EQ(status_of("003-c.json"), "running");
  EXPECT_EQ(probe().string_field("migrationlogs", R"({"name": "003-c.json"})", "lockOwner"), "owner-9");

  ASSERT_TRUE(store().insert_journaled({journal_moves::applied("004-d.json")}));
  core::LogRecord finished{.name = "004-d.json"};
  ASSERT_TRUE(store().note_running(finished, "owner-9"));
  EXPECT_EQ(status_of("004-d.json"), "applied") << "a record already there is not evidence to add";
  EXPECT_EQ(probe().count("migrationlogs"), 2);
}

}  // namespace
}  // namespace mongomigrate::testing
