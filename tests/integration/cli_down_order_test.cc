// Issue 16, items 2-5, through the real binary against the real server:
// names without their extension, `down` (last, --count, --to, <name> under
// later ones, --force, --dry-run), out-of-order migrations and
// --strict-order, `status --exit-code`, `validate` on failed migrations.
// Every refusal writes nothing.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "support/counter_migrations.h"
#include "support/integration.h"
#include "support/temp_dir.h"

namespace mongomigrate::testing {
namespace {

using namespace std::chrono_literals;

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// Up inserts {_id: id} into `things`, down deletes it.
std::string thing(const std::string& id) {
  return fmt::format(R"({{"up": [{{"insert": "things", "documents": [{{"_id": "{0}"}}]}}],
    "down": [{{"delete": "things", "deletes": [{{"q": {{"_id": "{0}"}}, "limit": 1}}]}}]}})",
                     id);
}

// Its down fails (a duplicate key).
std::string failing_down(const std::string& id) {
  return fmt::format(R"({{"up": [{{"insert": "things", "documents": [{{"_id": "{0}"}}]}}],
    "down": [{{"insert": "things", "documents": [{{"_id": "dup"}}, {{"_id": "dup"}}]}}]}})",
                     id);
}

class CliDownOrderTest : public IntegrationTest {
 protected:
  std::string status_of(const std::string& name) { return log_status(probe(), name); }
  bool has_thing(const std::string& id) { return probe().count("things", R"({"_id": ")" + id + "\"}") == 1; }
  // 001..00n written (thing "1".."n") and applied.
  void apply(int n) {
    for (int i = 1; i <= n; ++i) write_migration(fmt::format("00{}-m.json", i), thing(std::to_string(i)));
    ProcessResult up = cli({"up"});
    ASSERT_EQ(up.exit_code, 0) << describe(up);
  }
  // Runs `args`, expects `code`, one line on stderr holding every word, and
  // no change to the database.
  ProcessResult expect_refused(const std::vector<std::string>& args, int code, const std::vector<std::string>& words) {
    std::vector<std::string> before = probe().snapshot();
    ProcessResult r = cli(args);
    EXPECT_EQ(r.exit_code, code) << describe(r);
    for (const std::string& w : words) EXPECT_TRUE(contains(r.err, w)) << "'" << w << "' in " << describe(r);
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << describe(r);
    EXPECT_EQ(probe().snapshot(), before) << "nothing is written";
    return r;
  }
};

// ---- names with or without their extension ----------------------------------

TEST_F(CliDownOrderTest, EveryCommandTakesANameWithoutItsExtension) {
  write_migration("001-a.json", thing("a"));
  write_migration("002-b.json", thing("b"));
  write_migration("003-c.json", thing("c"));
  ProcessResult run = cli({"run", "001-a"});
  ASSERT_EQ(run.exit_code, 0) << describe(run);
  EXPECT_EQ(status_of("001-a.json"), "applied");
  ProcessResult baseline = cli({"baseline", "002-b"});
  ASSERT_EQ(baseline.exit_code, 0) << describe(baseline);
  EXPECT_EQ(status_of("002-b.json"), "applied");
  ProcessResult mark = cli({"mark", "002-b", "--as", "pending"});
  ASSERT_EQ(mark.exit_code, 0) << describe(mark);
  EXPECT_EQ(status_of("002-b.json"), "pending");
  ProcessResult down = cli({"down", "001-a"});
  ASSERT_EQ(down.exit_code, 0) << describe(down);
  EXPECT_EQ(status_of("001-a.json"), "reverted");
  ASSERT_EQ(cli({"up"}).exit_code, 0);
  ProcessResult to = cli({"down", "--to", "001-a"});
  ASSERT_EQ(to.exit_code, 0) << describe(to);
  EXPECT_EQ(status_of("003-c.json"), "reverted");
  EXPECT_EQ(status_of("002-b.json"), "reverted");
  EXPECT_EQ(status_of("001-a.json"), "applied");
}

TEST_F(CliDownOrderTest, UpToAppliesUpToAndIncludingTheNamedOne) {
  for (int i = 1; i <= 3; ++i) write_migration(fmt::format("00{}-m.json", i), thing(std::to_string(i)));
  expect_refused({"up", "--to", "009-nope"}, 2, {"009-nope"});
  expect_refused({"up", "--to", ""}, 2, {"--to"});
  std::vector<std::string> before = probe().snapshot();
  ProcessResult dry = cli({"up", "--to", "002-m", "--dry-run"});
  EXPECT_EQ(dry.exit_code, 0) << describe(dry);
  EXPECT_TRUE(contains(dry.out, "002-m.json")) << dry.out;
  EXPECT_FALSE(contains(dry.out, "003-m.json")) << dry.out;
  EXPECT_EQ(probe().snapshot(), before);
  ProcessResult up = cli({"up", "--to", "002-m"});
  ASSERT_EQ(up.exit_code, 0) << describe(up);
  EXPECT_EQ(status_of("001-m.json"), "applied");
  EXPECT_EQ(status_of("002-m.json"), "applied");
  EXPECT_EQ(status_of("003-m.json"), "");
  ProcessResult again = cli({"up", "--to", "002-m.json"});
  EXPECT_EQ(again.exit_code, 0) << describe(again);
  EXPECT_TRUE(contains(again.out, "nothing to apply")) << describe(again);
}

TEST_F(CliDownOrderTest, AStemMatchingTwoMigrationsIsAnErrorListingThem) {
  write_migration("001-a.json", thing("a"));
  ASSERT_EQ(cli({"up"}).exit_code, 0);
  // The log also knows 001-a.js (a record whose file is gone, as a
  // migrate-mongo or seed-made log would hold).
  probe().insert("migrationlogs", R"({"name": "001-a.js", "status": "applied", "checksum": "x"})");
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"down", "001-a"}, {"down", "--to", "001-a"}, {"mark", "001-a", "--as", "pending"}}) {
    SCOPED_TRACE(args[0] + " " + args[1]);
    expect_refused(args, 2, {"001-a.js,", "001-a.json", "matches 2 migrations"});
  }
  // The full name is not ambiguous.
  ProcessResult full = cli({"mark", "001-a.js", "--as", "reverted"});
  EXPECT_EQ(full.exit_code, 0) << describe(full);
}

// ---- down ---------------------------------------------------------------------

TEST_F(CliDownOrderTest, DownWithNoNameRevertsTheLastAppliedOne) {
  apply(3);
  ProcessResult down = cli({"down", "--by", "ops"});
  ASSERT_EQ(down.exit_code, 0) << describe(down);
  EXPECT_EQ(status_of("003-m.json"), "reverted");
  EXPECT_EQ(status_of("002-m.json"), "applied");
  EXPECT_FALSE(has_thing("3"));
  EXPECT_TRUE(has_thing("2"));
  // The newest applied in migration order, not the newest by time.
  ASSERT_EQ(cli({"run", "003-m"}).exit_code, 0);
  ASSERT_EQ(cli({"down", "001-m", "--force"}).exit_code, 0);
  ASSERT_EQ(cli({"run", "001-m"}).exit_code, 0);
  ProcessResult again = cli({"down"});
  ASSERT_EQ(again.exit_code, 0) << describe(again);
  EXPECT_EQ(status_of("003-m.json"), "reverted");
  EXPECT_EQ(status_of("001-m.json"), "applied");
}

TEST_F(CliDownOrderTest, DownCountRevertsTheNewestNNewestFirst) {
  apply(4);
  ProcessResult down = cli({"down", "--count", "2"});
  ASSERT_EQ(down.exit_code, 0) << describe(down);
  EXPECT_TRUE(contains(down.out, "2 reverted")) << describe(down);
  EXPECT_LT(down.out.find("004-m.json"), down.out.find("003-m.json")) << "newest first: " << down.out;
  EXPECT_EQ(status_of("004-m.json"), "reverted");
  EXPECT_EQ(status_of("003-m.json"), "reverted");
  EXPECT_EQ(status_of("002-m.json"), "applied");
  // The events say the same order.
  std::vector<std::string> events = probe().find("migrationlogs_events", R"({"action": "reverted"})");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_TRUE(contains(events[0], "004-m.json")) << events[0];
}

TEST_F(CliDownOrderTest, DownToRevertsEveryAppliedOneAfterItAndKeepsIt) {
  apply(4);
  ProcessResult down = cli({"down", "--to", "002-m.json"});
  ASSERT_EQ(down.exit_code, 0) << describe(down);
  EXPECT_EQ(status_of("004-m.json"), "reverted");
  EXPECT_EQ(status_of("003-m.json"), "reverted");
  EXPECT_EQ(status_of("002-m.json"), "applied");
  EXPECT_EQ(status_of("001-m.json"), "applied");
  ProcessResult nothing = cli({"down", "--to", "002-m"});
  EXPECT_EQ(nothing.exit_code, 0) << describe(nothing);
  EXPECT_TRUE(contains(nothing.out, "nothing to revert")) << describe(nothing);
}

TEST_F(CliDownOrderTest, DownToAnUnappliedNameRevertsWhatIsAppliedAfterIt) {
  apply(2);
  write_migration("003-m.json", thing("3"));
  write_migration("004-m.json", thing("4"));
  ASSERT_EQ(cli({"run", "004-m"}).exit_code, 0);
  ProcessResult down = cli({"down", "--to", "003-m"});
  ASSERT_EQ(down.exit_code, 0) << describe(down);
  EXPECT_EQ(status_of("004-m.json"), "reverted");
  EXPECT_EQ(status_of("003-m.json"), "");
  EXPECT_EQ(status_of("002-m.json"), "applied");
}

TEST_F(CliDownOrderTest, DownToAnUnknownNameIsExit2AndWritesNothing) {
  apply(2);
  expect_refused({"down", "--to", "009-nope"}, 2, {"009-nope"});
  expect_refused({"down", "--to", "../002-m.json"}, 2, {"invalid migration name"});
}

TEST_F(CliDownOrderTest, DownToStopsAtTheFirstFailure) {
  write_migration("001-m.json", thing("1"));
  write_migration("002-m.json", failing_down("2"));
  write_migration("003-m.json", thing("3"));
  ASSERT_EQ(cli({"up"}).exit_code, 0);
  ProcessResult down = cli({"down", "--to", "001-m"});
  EXPECT_EQ(down.exit_code, 1) << describe(down);
  EXPECT_TRUE(contains(down.err, "002-m.json failed")) << describe(down);
  EXPECT_EQ(status_of("003-m.json"), "reverted");
  EXPECT_EQ(status_of("002-m.json"), "running") << "its revert failed half-way: interrupted (revert)";
  EXPECT_EQ(status_of("001-m.json"), "applied");
  EXPECT_TRUE(has_thing("1"));
  EXPECT_EQ(probe().count("migrationlogs_lock"), 0) << "the lease is released";
}

TEST_F(CliDownOrderTest, DownOfAnOldOneUnderLaterAppliedOnesIsRefusedUnlessForced) {
  apply(3);
  ProcessResult refused = expect_refused({"down", "001-m"}, 1, {"001-m.json", "002-m.json, 003-m.json", "--force"});
  ProcessResult forced = cli({"down", "001-m.json", "--force"});
  ASSERT_EQ(forced.exit_code, 0) << describe(forced);
  EXPECT_EQ(status_of("001-m.json"), "reverted");
  EXPECT_EQ(status_of("002-m.json"), "applied");
  EXPECT_FALSE(has_thing("1"));
  // Now 001 is pending work out of order.
  ProcessResult status = cli({"status"});
  EXPECT_TRUE(contains(status.out, "reverted (out of order)")) << status.out;
}

TEST_F(CliDownOrderTest, DryRunsPrintThePlanAndWriteNothing) {
  apply(3);
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"down", "--dry-run"}, {"down", "--count", "2", "--dry-run"}, {"down", "--to", "001-m", "--dry-run"},
           {"down", "003-m", "--dry-run"}}) {
    SCOPED_TRACE(args[1]);
    std::vector<std::string> before = probe().snapshot();
    ProcessResult dry = cli(args);
    EXPECT_EQ(dry.exit_code, 0) << describe(dry);
    EXPECT_TRUE(contains(dry.out, "would revert 003-m.json")) << dry.out;
    EXPECT_FALSE(contains(dry.out, "would run")) << dry.out;
    EXPECT_TRUE(contains(dry.out, R"("delete")")) << "its down's commands: " << dry.out;
    EXPECT_TRUE(contains(dry.out, "nothing was written")) << dry.out;
    EXPECT_EQ(probe().snapshot(), before);
  }
  ProcessResult json = cli({"down", "--to", "001-m", "--dry-run", "--json"});
  EXPECT_TRUE(contains(json.out, R"("dryRun":true)")) << json.out;
  EXPECT_LT(json.out.find("003-m.json"), json.out.find("002-m.json")) << json.out;
  // A refused dry run is refused as the real one would be.
  expect_refused({"down", "001-m", "--dry-run"}, 1, {"002-m.json"});
}

// SIGTERM while the newest one's down runs: that revert is recorded, the
// older ones are not started, the lease is released.
TEST_F(CliDownOrderTest, ASignalStopsTheSequenceAfterTheCurrentRevert) {
  write_migration("001-m.json", thing("1"));
  write_migration("002-m.json", thing("2"));
  std::string slow_down = "[";
  for (int c = 0; c < 150; ++c) {
    std::string documents;
    for (int d = 0; d < 200; ++d) documents += fmt::format("{}{{\"c\":{},\"d\":{}}}", d ? "," : "", c, d);
    slow_down += fmt::format(R"({{"insert": "bulk", "documents": [{}]}},)", documents);
  }
  slow_down += R"({"delete": "things", "deletes": [{"q": {"_id": "3"}, "limit": 1}]}])";
  write_migration("003-m.json", R"({"up": [{"insert": "things", "documents": [{"_id": "3"}]}], "down": )" +
                                    slow_down + "}");
  ASSERT_EQ(cli({"up"}).exit_code, 0);
  auto reverter = cli_background({"down", "--to", "001-m"}, bounded());
  ASSERT_TRUE(wait_until([&] { return probe().count("bulk") > 0 || reverter->finished(); }, 30s));
  ASSERT_TRUE(reverter->signal(SIGTERM));
  ProcessResult result = reverter->wait();
  EXPECT_EQ(result.exit_code, 128 + SIGTERM) << describe(result);
  EXPECT_EQ(status_of("002-m.json"), "applied") << "not started";
  EXPECT_TRUE(has_thing("2"));
  EXPECT_EQ(status_of("003-m.json"), "running") << "stopped between two commands of its down";
  EXPECT_EQ(probe().count("migrationlogs_lock"), 0) << "the lease is released";
}

// ---- order --------------------------------------------------------------------

TEST_F(CliDownOrderTest, AnOutOfOrderMigrationIsShownAndAppliedWithAWarning) {
  write_migration("001-m.json", thing("1"));
  write_migration("003-m.json", thing("3"));
  ASSERT_EQ(cli({"up"}).exit_code, 0);
  write_migration("002-m.json", thing("2"));
  write_migration("004-m.json", thing("4"));
  ProcessResult status = cli({"status"});
  EXPECT_TRUE(contains(status.out, "pending (out of order)")) << status.out;
  EXPECT_EQ(status.out.find("out of order"), status.out.rfind("out of order")) << "004 is in order: " << status.out;
  ProcessResult json = cli({"status", "--json"});
  EXPECT_TRUE(contains(json.out, R"("outOfOrder":true)")) << json.out;

  ProcessResult up = cli({"up"});
  ASSERT_EQ(up.exit_code, 0) << describe(up);
  EXPECT_TRUE(contains(up.err, "warning")) << describe(up);
  EXPECT_TRUE(contains(up.err, "002-m.json")) << describe(up);
  EXPECT_FALSE(contains(up.err, "004-m.json")) << describe(up);
  EXPECT_EQ(status_of("002-m.json"), "applied");
  EXPECT_EQ(status_of("004-m.json"), "applied");
}

TEST_F(CliDownOrderTest, StrictOrderRefusesBeforeAnyWriteFromTheFlagOrTheConfigFile) {
  write_migration("001-m.json", thing("1"));
  write_migration("003-m.json", thing("3"));
  ASSERT_EQ(cli({"up"}).exit_code, 0);
  write_migration("002-m.json", thing("2"));
  write_migration("004-m.json", thing("4"));
  expect_refused({"up", "--strict-order"}, 1, {"strict order", "002-m.json"});
  expect_refused({"up", "--strict-order", "--dry-run"}, 1, {"002-m.json"});

  TempDir project;
  std::string config = project.write("mongo-migrate.toml", "strict_order = true\n");
  ProcessResult from_file = cli({"up", "--config", config});
  EXPECT_EQ(from_file.exit_code, 1) << describe(from_file);
  EXPECT_TRUE(contains(from_file.err, "002-m.json")) << describe(from_file);
  EXPECT_EQ(status_of("004-m.json"), "") << "nothing ran, not even the one in order";
  EXPECT_EQ(status_of("002-m.json"), "");
}

// ---- CI gates -----------------------------------------------------------------

TEST_F(CliDownOrderTest, StatusExitCodeSaysAppliedPendingOrAProblem) {
  auto code = [&] {
    ProcessResult r = cli({"status", "--exit-code"});
    EXPECT_TRUE(r.exit_code == 2 || contains(r.out, "total")) << "it still prints the status: " << describe(r);
    return r.exit_code;
  };
  EXPECT_EQ(code(), 0) << "nothing at all";
  write_migration("001-m.json", thing("1"));
  EXPECT_EQ(code(), 5) << "pending";
  EXPECT_EQ(cli({"status"}).exit_code, 0) << "without --exit-code: 0 whatever it shows";
  ASSERT_EQ(cli({"up"}).exit_code, 0);
  EXPECT_EQ(code(), 0) << "applied";
  ProcessResult json = cli({"status", "--exit-code", "--json"});
  EXPECT_EQ(json.exit_code, 0) << describe(json);

  // Modified.
  write_migration("001-m.json", thing("1") + " ");
  EXPECT_EQ(code(), 1);
  write_migration("001-m.json", thing("1"));
  EXPECT_EQ(code(), 0);
  // Failed, and a failure beats pending work.
  write_migration("002-m.json", R"({"up": [{"noSuchCommand": 1}]})");
  write_migration("003-m.json", thing("3"));
  ASSERT_EQ(cli({"up"}).exit_code, 1);
  EXPECT_EQ(code(), 1);
  ProcessResult failed_json = cli({"status", "--exit-code", "--json"});
  EXPECT_EQ(failed_json.exit_code, 1) << describe(failed_json);
  EXPECT_TRUE(failed_json.out.starts_with(R"({"schema":1,"ok":false,)")) << "ok says whether it exits 0: "
                                                                         << failed_json.out;
  EXPECT_TRUE(cli({"status", "--json"}).out.starts_with(R"({"schema":1,"ok":true,)")) << "without --exit-code";
  ASSERT_EQ(cli({"mark", "002-m", "--as", "applied"}).exit_code, 0);
  EXPECT_EQ(code(), 5) << "003 pending";
  ASSERT_EQ(cli({"up"}).exit_code, 0);
  EXPECT_EQ(code(), 0);
  // Missing.
  std::filesystem::remove(std::filesystem::path(dir()) / "003-m.json");
  EXPECT_EQ(code(), 1);
  write_migration("003-m.json", thing("3"));
  // Interrupted: a record left running by no one.
  probe().insert("migrationlogs", R"({"name": "004-m.json", "status": "running"})");
  write_migration("004-m.json", thing("4"));
  EXPECT_EQ(code(), 1);
  // Invalid: a file that cannot be read is shown invalid, a problem.
  write_migration("005-m.json", "{not json");
  EXPECT_EQ(code(), 1);
}

TEST_F(CliDownOrderTest, ValidateFailsOnAFailedMigrationNamingIt) {
  write_migration("001-m.json", thing("1"));
  write_migration("002-m.json", R"({"up": [{"noSuchCommand": 1}]})");
  ASSERT_EQ(cli({"up"}).exit_code, 1);
  ProcessResult validate = cli({"validate"});
  EXPECT_EQ(validate.exit_code, 1) << describe(validate);
  EXPECT_TRUE(contains(validate.out, "failed:")) << validate.out;
  EXPECT_TRUE(contains(validate.out, "002-m.json")) << validate.out;
  EXPECT_TRUE(contains(validate.err, "1 failed")) << describe(validate);
  ASSERT_EQ(cli({"mark", "002-m", "--as", "pending"}).exit_code, 0);
  ProcessResult clean = cli({"validate"});
  EXPECT_EQ(clean.exit_code, 0) << describe(clean);
}

}  // namespace
}  // namespace mongomigrate::testing
