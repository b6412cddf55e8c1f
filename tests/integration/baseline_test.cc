// `baseline` through the real binary against the real server (issue 15,
// items 1 and 2): it never records applied a migration whose record is
// evidence of something else (failed, interrupted, reverted, marked pending)
// unless --include-unfinished says the operator has checked, and never
// touches an interrupted revert; it writes in batches, so thousands of
// migrations take one write per batch, not three round trips each; and it
// stops on a signal as `up` does (the batch in flight is recorded with its
// events, the lease released, exit 128+signal).
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "source/sha256.h"
#include "support/counter_migrations.h"
#include "support/integration.h"
#include "support/lock_docs.h"

namespace mongomigrate::testing {
namespace {

using namespace std::chrono_literals;

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// "00001-step.json": names that sort as their numbers up to 99,999.
std::string name(int n) { return fmt::format("{:05}-step.json", n); }

class BaselineTest : public IntegrationTest {
 protected:
  ProcessResult run(std::vector<std::string> args) { return cli(std::move(args), bounded()); }
  void write_counters(int count, int from = 1) {
    for (int n = from; n <= count; ++n) write_migration(name(n), counter_migration(n));
  }
  // A record as a runner or an operator left it.
  void put_record(int n, const std::string& fields) {
    probe().insert("migrationlogs", fmt::format(R"({{"name": "{}", {}}})", name(n), fields));
  }
  std::int64_t events(const std::string& action) {
    return probe().count("migrationlogs_events", R"({"action": ")" + action + R"("})");
  }
};

TEST_F(BaselineTest, RefusesUnfinishedMigrationsUpToTheTargetNamingThemUnlessIncludeUnfinished) {
  write_counters(6);
  put_record(1, R"("status": "applied")");
  put_record(2, R"("status": "failed", "error": "boom")");
  put_record(3, R"("status": "running", "lockOwner": "gone:1:dead")");  // interrupted
  put_record(4, R"("status": "reverted")");
  put_record(5, R"("status": "pending")");  // marked pending
  std::vector<std::string> before = probe().snapshot();

  ProcessResult refused = run({"baseline", name(6), "--by", "ops"});
  EXPECT_EQ(refused.exit_code, 1) << describe(refused);
  for (int n = 2; n <= 5; ++n) EXPECT_TRUE(contains(refused.err, name(n))) << n << describe(refused);
  EXPECT_FALSE(contains(refused.err, name(1))) << "an applied one is no problem: " << describe(refused);
  EXPECT_TRUE(contains(refused.err, "--include-unfinished")) << describe(refused);
  EXPECT_EQ(probe().snapshot(), before) << "a refused baseline writes nothing";

  // A target before the unfinished ones is fine.
  ProcessResult first = run({"baseline", name(1)});
  EXPECT_EQ(first.exit_code, 0) << describe(first);
  EXPECT_EQ(probe().snapshot(), before) << "already applied: nothing to write";

  ProcessResult json = run({"baseline", name(6), "--json"});
  EXPECT_EQ(json.exit_code, 1) << describe(json);
  EXPECT_TRUE(contains(json.out, R"("ok":false)")) << describe(json);

  ProcessResult checked =
      run({"baseline", name(6), "--include-unfinished", "--by", "ops", "--reason", "checked by hand"});
  ASSERT_EQ(checked.exit_code, 0) << describe(checked);
  for (int n = 1; n <= 6; ++n) EXPECT_EQ(log_status(probe(), name(n)), "applied") << n;
  EXPECT_EQ(events("baselined"), 5);
  EXPECT_EQ(probe().count("migrationlogs", R"({"error": {"$exists": true}})"), 0);
  EXPECT_EQ(probe().count("migrationlogs", R"({"lockOwner": {"$exists": true}})"), 0);
  EXPECT_EQ(probe().count("counters"), 0) << "baseline runs nothing";
  EXPECT_EQ(lock_leftovers(probe()), 0);
  ProcessResult validate = run({"validate"});
  EXPECT_EQ(validate.exit_code, 0) << describe(validate);
}

TEST_F(BaselineTest, NeverTouchesAnInterruptedRevertEvenWithIncludeUnfinished) {
  write_counters(3);
  put_record(1, R"("status": "applied")");
  put_record(2, R"("status": "running", "reverting": true, "error": "revert failed: boom")");
  std::vector<std::string> before = probe().snapshot();

  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"baseline", name(3)}, {"baseline", name(3), "--include-unfinished"}}) {
    ProcessResult r = run(args);
    EXPECT_EQ(r.exit_code, 1) << describe(r);
    EXPECT_TRUE(contains(r.err, name(2))) << describe(r);
    EXPECT_TRUE(contains(r.err, "down " + name(2))) << "says how to finish it: " << describe(r);
    EXPECT_EQ(probe().snapshot(), before) << "nothing written";
  }
  // validate still reports it.
  ProcessResult validate = run({"validate"});
  EXPECT_EQ(validate.exit_code, 1) << describe(validate);
}

// Thousands of migrations: every one recorded applied exactly once, with its
// checksum and one event each; `up` then has nothing to do.
TEST_F(BaselineTest, BaselinesThousandsOfMigrationsInBatchesEachOnce) {
  constexpr int kCount = 2600;
  // The first three already applied by a run: left as they are.
  write_counters(3);
  ProcessResult up3 = run({"up"});
  ASSERT_EQ(up3.exit_code, 0) << describe(up3);
  write_counters(kCount, 4);

  ProcessResult baseline = run({"baseline", name(kCount), "--json", "--by", "ops"});
  ASSERT_EQ(baseline.exit_code, 0) << baseline.err;
  EXPECT_EQ(probe().count("migrationlogs"), kCount);
  EXPECT_EQ(probe().count("migrationlogs", R"({"status": "applied"})"), kCount);
  EXPECT_EQ(probe().count("migrationlogs", R"({"appliedBy": "ops"})"), kCount - 3);
  EXPECT_EQ(probe().count("migrationlogs", R"({"checksum": {"$exists": false}})"), 0);
  EXPECT_EQ(events("baselined"), kCount - 3);
  for (int n : {4, 5, 500, 501, 1234, kCount - 1, kCount}) {
    EXPECT_EQ(probe().count("migrationlogs_events", R"({"action": "baselined", "name": ")" + name(n) + R"("})"), 1)
        << name(n);
    EXPECT_EQ(probe().string_field("migrationlogs", R"({"name": ")" + name(n) + R"("})", "checksum"),
              source::sha256_hex(counter_migration(n)))
        << name(n);
  }
  EXPECT_EQ(probe().count("migrationlogs_events", R"({"action": "baselined", "name": ")" + name(3) + R"("})"), 0);
  EXPECT_EQ(lock_leftovers(probe()), 0);

  ProcessResult up = run({"up"});
  EXPECT_EQ(up.exit_code, 0) << describe(up);
  EXPECT_EQ(probe().count("counters"), 3) << "nothing baselined was run";
}

// SIGTERM (and SIGINT, SIGHUP) while baseline writes: it stops after the
// batch in flight, whose records and events are written; the lease is
// released; the exit code is 128+signal; a second baseline finishes the rest.
TEST_F(BaselineTest, StopsOnASignalAfterTheBatchInFlightAndReleasesTheLease) {
  constexpr int kCount = 6000;
  write_counters(kCount);
  for (int signo : {SIGTERM, SIGINT, SIGHUP}) {
    SCOPED_TRACE(signo);
    probe().command(R"({"delete": "migrationlogs", "deletes": [{"q": {}, "limit": 0}]})");
    probe().command(R"({"delete": "migrationlogs_events", "deletes": [{"q": {}, "limit": 0}]})");
    auto baseline = cli_background({"baseline", name(kCount), "--lock-lease", "30s", "--lock-renew", "1s"},
                                   bounded());
    // Frozen as soon as its first batch is written, so that the signal lands
    // mid-baseline whatever the machine's speed.
    ASSERT_TRUE(wait_until([&] { return probe().count("migrationlogs") > 0 || baseline->finished(); }, 60s));
    ASSERT_TRUE(baseline->signal(SIGSTOP));
    std::int64_t written = probe().count("migrationlogs");
    ASSERT_LT(written, kCount) << "finished before it could be stopped";
    ASSERT_TRUE(baseline->signal(signo));
    ASSERT_TRUE(baseline->signal(SIGCONT));
    ProcessResult result = baseline->wait();
    EXPECT_EQ(result.killed_by, 0) << describe(result);
    EXPECT_EQ(result.exit_code, 128 + signo) << describe(result);
    EXPECT_TRUE(contains(result.err, fmt::format("interrupted by signal {}", signo))) << describe(result);
    EXPECT_EQ(lock_leftovers(probe()), 0) << "the lease is released";
    std::int64_t recorded = probe().count("migrationlogs");
    EXPECT_LT(recorded, kCount);
    EXPECT_EQ(probe().count("migrationlogs", R"({"status": "applied"})"), recorded);
    EXPECT_EQ(events("baselined"), recorded) << "every record written has its event";
    // What was recorded is the start of the order: nothing skipped.
    EXPECT_EQ(probe().count("migrationlogs", R"({"name": {"$lte": ")" + name(static_cast<int>(recorded)) +
                                                 R"("}})"),
              recorded);
  }
  ProcessResult rest = run({"baseline", name(kCount)});
  ASSERT_EQ(rest.exit_code, 0) << describe(rest);
  EXPECT_EQ(probe().count("migrationlogs", R"({"status": "applied"})"), kCount);
  EXPECT_EQ(events("baselined"), kCount);
}

}  // namespace
}  // namespace mongomigrate::testing
