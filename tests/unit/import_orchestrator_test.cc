// Migrator::import_from on the in-memory stores (tests/support/
// memory_migrator.h): what it writes (one claim and one event per migration,
// under the lock), what a dry run and a second run write (nothing), and a
// held lock. The same is proven against the real server in
// tests/integration/import_test.cc.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>

#include "support/memory_migrator.h"
#include "support/temp_dir.h"

namespace mongomigrate::testing {
namespace {

using namespace std::chrono_literals;

const char* const kMigration = R"({"up": [{"insert": "things", "documents": [{"x": 1}]}]})";

class ImportOrchestratorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : {"001-a.json", "002-b.json", "003-c.json"}) dir_.write(name, kMigration);
    db_.migrate_mongo["changelog"] = {
        {.file_name = "001-a.js", .applied_at = 1000, .migration_block = 5, .defect = ""},
        {.file_name = "002-b.js", .applied_at = 2000, .migration_block = std::nullopt, .defect = ""}};
    db_.golang_migrate["schema_migrations"] = {{.version = 2, .dirty = false, .defect = ""}};
  }
  Migrator migrator(LockOptions lock = {}) {
    return MigratorTesting::make({.uri = "memory://", .database = "test", .directory = dir_.path(), .lock = lock},
                                 db_);
  }
  int events(const std::string& action) {
    int n = 0;
    for (const HistoryEvent& e : db_.log->events()) n += e.action == action;
    return n;
  }

  TempDir dir_;
  MemoryDatabase db_;
};

TEST_F(ImportOrchestratorTest, RecordsEachMigrationByOneClaimAndOneEventUnderTheLock) {
  Migrator m = migrator();
  auto report = m.import_from(ImportSource::kMigrateMongo, {.by = "ops", .reason = "switching"});
  ASSERT_TRUE(report) << report.error().message;
  ASSERT_EQ(report->imported.size(), 2u);
  EXPECT_FALSE(report->dry_run);
  core::LogRecord a = db_.log->record("001-a.json");
  EXPECT_EQ(a.status, "applied");
  EXPECT_EQ(a.applied_at, 1000);
  EXPECT_EQ(a.applied_by, "import from migrate-mongo");
  EXPECT_TRUE(a.lock_owner.empty());
  EXPECT_EQ(db_.log->record("002-b.json").applied_at, 2000);
  EXPECT_EQ(db_.log->record("003-c.json").status, "");
  EXPECT_EQ(db_.log->record_writes(), 2) << "one write per migration";
  EXPECT_EQ(events("imported"), 2);
  std::string reason;
  for (const HistoryEvent& e : db_.log->events()) {
    if (e.name == "001-a.json") reason = e.reason;
  }
  EXPECT_EQ(reason, "switching (from migrate-mongo's changelog: 001-a.js, migrationBlock 5)");
  EXPECT_TRUE(db_.target->commands().empty()) << "nothing is run";
  EXPECT_FALSE(db_.lock->holder()) << "released";

  auto again = m.import_from(ImportSource::kMigrateMongo);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_TRUE(again->imported.empty());
  EXPECT_EQ(again->already_recorded, (std::vector<std::string>{"001-a.json", "002-b.json"}));
  EXPECT_EQ(db_.log->record_writes(), 2) << "a second import writes nothing";
  EXPECT_EQ(events("imported"), 2);
}

// A stop asked for between two migrations: the ones before are recorded
// with their events, the rest are not, the lock is released, and the
// message says how far it got; import again finishes.
TEST_F(ImportOrchestratorTest, AStopRequestEndsTheImportBetweenTwoMigrations) {
  std::atomic<int> stop{0};
  db_.log->after_set_status = [&](const std::string&) { stop = 15; };
  auto stopped = MigratorTesting::make(
      {.uri = "memory://", .database = "test", .directory = dir_.path(), .stop = &stop}, db_)
                     .import_from(ImportSource::kMigrateMongo);
  ASSERT_FALSE(stopped);
  EXPECT_EQ(stopped.error().kind, ErrorKind::kInterrupted);
  EXPECT_TRUE(stopped.error().message.ends_with(
      "stopped after importing 1 of 2 migrations (up to 001-a.json), each recorded applied with its event; the "
      "rest are not recorded: run import again to finish"))
      << stopped.error().message;
  EXPECT_EQ(db_.log->record("001-a.json").status, "applied");
  EXPECT_EQ(db_.log->record("002-b.json").status, "") << "not recorded";
  EXPECT_EQ(events("imported"), 1);
  EXPECT_FALSE(db_.lock->holder()) << "released";

  stop = 0;
  db_.log->after_set_status = nullptr;
  auto rest = migrator().import_from(ImportSource::kMigrateMongo);
  ASSERT_TRUE(rest) << rest.error().message;
  ASSERT_EQ(rest->imported.size(), 1u);
  EXPECT_EQ(rest->imported[0].name, "002-b.json");
  EXPECT_EQ(events("imported"), 2);
}

// Stopped during the last write: everything is recorded, and it says so.
TEST_F(ImportOrchestratorTest, AStopDuringTheLastWriteSaysNothingIsLeft) {
  std::atomic<int> stop{0};
  db_.log->after_set_status = [&](const std::string& name) {
    if (name == "002-b.json") stop = 2;
  };
  auto stopped = MigratorTesting::make(
      {.uri = "memory://", .database = "test", .directory = dir_.path(), .stop = &stop}, db_)
                     .import_from(ImportSource::kMigrateMongo);
  ASSERT_FALSE(stopped);
  EXPECT_EQ(stopped.error().kind, ErrorKind::kInterrupted);
  EXPECT_TRUE(stopped.error().message.ends_with("stopped after importing all 2 migrations (up to 002-b.json), each "
                                                "recorded applied with its event: nothing is left to do"))
      << stopped.error().message;
  EXPECT_EQ(events("imported"), 2);
}

TEST_F(ImportOrchestratorTest, GolangMigrateRecordsUpToItsVersionWithTheImportTime) {
  auto report = migrator().import_from(ImportSource::kGolangMigrate);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->version, 2);
  EXPECT_EQ(db_.log->record("002-b.json").status, "applied");
  EXPECT_EQ(db_.log->record("002-b.json").applied_by, "import from golang-migrate");
  EXPECT_GT(db_.log->record("002-b.json").applied_at.value_or(0), 1'700'000'000'000) << "now";
  EXPECT_EQ(db_.log->record("003-c.json").status, "");
}

TEST_F(ImportOrchestratorTest, ADryRunAndARefusalWriteNothing) {
  auto dry = migrator().import_from(ImportSource::kMigrateMongo, {.dry_run = true});
  ASSERT_TRUE(dry) << dry.error().message;
  EXPECT_TRUE(dry->dry_run);
  EXPECT_EQ(dry->imported.size(), 2u);
  db_.golang_migrate["schema_migrations"] = {{.version = 2, .dirty = true, .defect = ""}};
  auto dirty = migrator().import_from(ImportSource::kGolangMigrate);
  ASSERT_FALSE(dirty);
  EXPECT_EQ(dirty.error().kind, ErrorKind::kBadInput);
  auto missing = migrator().import_from(ImportSource::kMigrateMongo, {.source_collection = "nope"});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::kBadInput);
  EXPECT_EQ(db_.log->record_writes(), 0);
  EXPECT_TRUE(db_.log->events().empty());
}

TEST_F(ImportOrchestratorTest, AHeldLockIsWaitedForThenGivesUp) {
  MemoryLockStore store(db_.lock);
  TimestampMs now = *store.now();
  ASSERT_TRUE(*store.try_acquire({.owner = "other:1:ff", .host = "elsewhere", .pid = 4242, .user = "ops",
                                  .acquired_at = now, .expires_at = now + 60'000}));
  auto report = migrator({.lease = 1s, .renew_every = 300ms, .timeout = 50ms, .poll = 10ms})
                    .import_from(ImportSource::kMigrateMongo);
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().kind, ErrorKind::kLockTimeout);
  EXPECT_EQ(db_.log->record_writes(), 0);
}

}  // namespace
}  // namespace mongomigrate::testing

namespace mongomigrate::testing {
namespace {

TEST_F(ImportOrchestratorTest, RefusesWhileTheOtherToolHoldsItsOwnLockBeforeOrUnderOurs) {
  db_.foreign_locks["changelog_lock"] = "since 2024-01-05T10:00:00.000Z";
  auto held = migrator().import_from(ImportSource::kMigrateMongo);
  ASSERT_FALSE(held);
  EXPECT_EQ(held.error().kind, ErrorKind::kLockTimeout);
  EXPECT_NE(held.error().message.find("migrate-mongo is running"), std::string::npos) << held.error().message;
  EXPECT_FALSE(migrator().import_from(ImportSource::kMigrateMongo, {.dry_run = true})) << "a dry run too";
  // Kept elsewhere (their lockCollectionName): the default one is not theirs then.
  db_.foreign_locks.clear();
  db_.foreign_locks["mm_lock"] = "since then";
  EXPECT_FALSE(migrator().import_from(ImportSource::kMigrateMongo, {.source_lock_collection = "mm_lock"}));
  EXPECT_EQ(db_.log->record_writes(), 0);

  // Taken after our first look, while we wait for our own lock: refused under it, nothing recorded.
  db_.foreign_locks.clear();
  int checks = 0;
  db_.before_foreign_lock_check = [&] {
    if (++checks == 2) db_.foreign_locks["migrate_advisory_lock"] = "pid 7 on ci";
  };
  auto raced = migrator().import_from(ImportSource::kGolangMigrate);
  ASSERT_FALSE(raced);
  EXPECT_EQ(raced.error().kind, ErrorKind::kLockTimeout);
  EXPECT_NE(raced.error().message.find("pid 7 on ci"), std::string::npos) << raced.error().message;
  EXPECT_EQ(checks, 2);
  EXPECT_EQ(db_.log->record_writes(), 0);
  EXPECT_TRUE(db_.log->events().empty());
  EXPECT_FALSE(db_.lock->holder()) << "ours released";
}

}  // namespace
}  // namespace mongomigrate::testing
