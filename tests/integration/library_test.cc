// The C++ library API (include/mongomigrate/migrator.h) against a real
// server: the same operations the CLI is a thin layer over.
#include "mongomigrate/migrator.h"

#include <gtest/gtest.h>

#include "support/integration.h"

namespace mongomigrate::testing {
namespace {

class LibraryTest : public IntegrationTest {
 protected:
  Migrator open() {
    auto m = Migrator::open({.uri = uri(), .directory = dir()});
    EXPECT_TRUE(m.has_value()) << (m ? "" : m.error().message);
    return std::move(*m);
  }
};

const char* kA = R"({"description": "insert a",
                     "up": [{"insert": "things", "documents": [{"_id": "a"}]}],
                     "down": [{"delete": "things", "deletes": [{"q": {"_id": "a"}, "limit": 1}]}]})";
const char* kB = R"({"up": [{"insert": "things", "documents": [{"_id": "b"}]}]})";
const char* kFails = R"({"up": [{"insert": "things", "documents": [{"_id": "a"}]}]})";  // duplicate _id

TEST_F(LibraryTest, RunPendingStatusValidateHistory) {
  write_migration("001-a.json", kA);
  write_migration("002-b.json", kB);
  Migrator migrator = open();

  auto status = migrator.status();
  ASSERT_TRUE(status) << status.error().message;
  EXPECT_EQ(status->summary.total, 2);
  EXPECT_EQ(status->summary.pending, 2);
  EXPECT_EQ(status->migrations[0].description, "insert a");

  std::vector<std::string> progress;
  auto report = migrator.run_pending({.applied_by = "lib", .on_progress = [&](const ProgressEvent& e) {
                                        progress.push_back(std::string(e.kind == ProgressEvent::Kind::kStarting ? "start " : "end ") + e.step.name);
                                      }});
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_TRUE(report->ok());
  ASSERT_EQ(report->steps.size(), 2u);
  EXPECT_EQ(report->steps[0].outcome, StepOutcome::kApplied);
  EXPECT_EQ(progress, (std::vector<std::string>{"start 001-a.json", "end 001-a.json", "start 002-b.json",
                                                "end 002-b.json"}));

  status = migrator.status();
  ASSERT_TRUE(status);
  EXPECT_EQ(status->summary.applied, 2);
  EXPECT_EQ(status->migrations[1].applied_by, "lib");
  EXPECT_TRUE(status->migrations[1].applied_at.has_value());
  EXPECT_EQ(status->migrations[1].recorded_checksum, status->migrations[1].checksum);

  auto valid = migrator.validate();
  ASSERT_TRUE(valid);
  EXPECT_TRUE(valid->valid);

  auto history = migrator.history({.limit = 1});
  ASSERT_TRUE(history);
  ASSERT_EQ(history->size(), 1u);
  EXPECT_EQ((*history)[0].name, "002-b.json");
  EXPECT_EQ((*history)[0].action, "applied");
  EXPECT_EQ((*history)[0].by, "lib");
  EXPECT_GT((*history)[0].pid, 0);
}

TEST_F(LibraryTest, RunRevertAndRefusals) {
  write_migration("001-a.json", kA);
  write_migration("002-b.json", kB);
  Migrator migrator = open();

  auto ran = migrator.run("002-b.json");
  ASSERT_TRUE(ran) << ran.error().message;
  EXPECT_TRUE(ran->ok());
  EXPECT_EQ(probe().count("things", R"({"_id": "b"})"), 1);

  auto again = migrator.run("002-b.json");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind, ErrorKind::kRefused);

  auto irreversible = migrator.revert("002-b.json");
  ASSERT_FALSE(irreversible);
  EXPECT_EQ(irreversible.error().kind, ErrorKind::kRefused);
  EXPECT_NE(irreversible.error().message.find("irreversible"), std::string::npos);

  auto not_applied = migrator.revert("001-a.json");
  ASSERT_FALSE(not_applied);
  EXPECT_EQ(not_applied.error().kind, ErrorKind::kRefused);

  ASSERT_TRUE(migrator.run("001-a.json"));
  auto under_later = migrator.revert("001-a.json", {.reverted_by = "ops"});
  ASSERT_FALSE(under_later);
  EXPECT_EQ(under_later.error().kind, ErrorKind::kRefused);
  EXPECT_NE(under_later.error().message.find("002-b.json"), std::string::npos) << under_later.error().message;
  EXPECT_EQ(probe().count("things", R"({"_id": "a"})"), 1);
  auto reverted = migrator.revert("001-a", {.force = true, .reverted_by = "ops"});
  ASSERT_TRUE(reverted) << reverted.error().message;
  EXPECT_EQ(reverted->steps.at(0).outcome, StepOutcome::kReverted);
  EXPECT_EQ(probe().count("things", R"({"_id": "a"})"), 0);
  EXPECT_EQ(probe().string_field("migrationlogs", R"({"name": "001-a.json"})", "status"), "reverted");
  EXPECT_EQ(probe().string_field("migrationlogs", R"({"name": "001-a.json"})", "revertedBy"), "ops");

  auto unknown = migrator.run("nope.json");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().kind, ErrorKind::kBadInput);
  auto traversal = migrator.run("../001-a.json");
  ASSERT_FALSE(traversal);
  EXPECT_EQ(traversal.error().kind, ErrorKind::kBadInput);
}

TEST_F(LibraryTest, FailureIsAnOutcomeThatBlocksUpUntilRun) {
  write_migration("001-a.json", kA);
  write_migration("002-fails.json", kFails);
  write_migration("003-b.json", kB);
  Migrator migrator = open();

  auto report = migrator.run_pending();
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_FALSE(report->ok());
  ASSERT_EQ(report->steps.size(), 2u);
  EXPECT_EQ(report->steps[1].outcome, StepOutcome::kFailed);
  // The server's own words: MongoDB says "E11000 duplicate key error",
  // FerretDB 2 "Duplicate key violation … (code 11000)".
  EXPECT_NE(report->steps[1].error.find("11000"), std::string::npos) << report->steps[1].error;
  EXPECT_EQ(probe().count("things", R"({"_id": "b"})"), 0);

  auto blocked = migrator.run_pending();
  ASSERT_TRUE(blocked);
  EXPECT_FALSE(blocked->ok());
  EXPECT_TRUE(blocked->steps.empty());
  EXPECT_EQ(blocked->blocked_by, "002-fails.json");

  // Fixed file, re-run directly: no hand edit of the database.
  write_migration("002-fails.json", R"({"up": [{"insert": "things", "documents": [{"_id": "c"}]}]})");
  auto fixed = migrator.run("002-fails.json");
  ASSERT_TRUE(fixed) << fixed.error().message;
  EXPECT_TRUE(fixed->ok());
  auto rest = migrator.run_pending();
  ASSERT_TRUE(rest);
  EXPECT_TRUE(rest->ok());
  EXPECT_EQ(probe().count("things"), 3);
  // The failure stays in the audit trail.
  EXPECT_EQ(probe().count("migrationlogs_events", R"({"action": "failed", "name": "002-fails.json"})"), 1);
}

TEST_F(LibraryTest, DryRunWritesNothing) {
  write_migration("001-a.json", kA);
  Migrator migrator = open();
  auto report = migrator.run_pending({.dry_run = true});
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_TRUE(report->dry_run);
  ASSERT_EQ(report->steps.size(), 1u);
  EXPECT_EQ(report->steps[0].outcome, StepOutcome::kPlanned);
  ASSERT_EQ(report->steps[0].commands.size(), 1u);
  EXPECT_NE(report->steps[0].commands[0].find("\"insert\""), std::string::npos);
  EXPECT_TRUE(probe().collections().empty());
}

TEST_F(LibraryTest, OpenRejectsBadOptionsWithoutContactingTheServer) {
  auto no_db = Migrator::open({.uri = "mongodb://127.0.0.1:1", .directory = dir()});
  ASSERT_FALSE(no_db);
  EXPECT_EQ(no_db.error().kind, ErrorKind::kUsage);

  auto bad_uri = Migrator::open({.uri = "mongodb://u:Hunter2Secret@", .directory = dir()});
  ASSERT_FALSE(bad_uri);
  EXPECT_EQ(bad_uri.error().kind, ErrorKind::kUsage);
  EXPECT_EQ(bad_uri.error().message.find("Hunter2Secret"), std::string::npos) << bad_uri.error().message;

  auto no_dir = Migrator::open({.uri = uri(), .directory = dir() + "/nope"});
  ASSERT_FALSE(no_dir);
  EXPECT_EQ(no_dir.error().kind, ErrorKind::kBadInput);

  auto db_option = Migrator::open({.uri = "mongodb://127.0.0.1:1/fromuri", .database = "fromflag", .directory = dir()});
  ASSERT_TRUE(db_option);
  EXPECT_EQ(db_option->database(), "fromflag");
}

}  // namespace
}  // namespace mongomigrate::testing
