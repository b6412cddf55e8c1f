// `down` under faults, through the real binary and the library against a real
// server: a revert leaves crash evidence before its `down` runs (DESIGN.md §5,
// as `up` does), a killed revert shows as interrupted and `down` finishes it,
// a failed `down` leaves the migration applied with its error, and a reverter
// whose lease was taken over while it was paused never runs `down` a second
// time.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "mongomigrate/migrator.h"
#include "support/counter_migrations.h"
#include "support/integration.h"
#include "support/lock_docs.h"

namespace mongomigrate::testing {
namespace {

using namespace std::chrono_literals;

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// Counts of a migration's `down` runs: counter 100 + n.
constexpr int kDownCounter = 100;

// `up`: counter n. `down`: `commands` inserts of 200 documents (slow enough
// to be caught mid-run), then counter 100 + n, so a counter of 1 means the
// `down` ran to its end once.
std::string reversible_migration(int n, int commands) {
  std::string down = "[";
  for (int c = 0; c < commands; ++c) {
    std::string documents;
    for (int d = 0; d < 200; ++d) documents += fmt::format("{}{{\"m\":{},\"c\":{},\"d\":{}}}", d ? "," : "", n, c, d);
    down += fmt::format(R"({{"insert": "bulk", "documents": [{}]}},)", documents);
  }
  down += counter_command(kDownCounter + n) + "]";
  return R"({"up": [)" + counter_command(n) + R"(], "down": )" + down + "}";
}

class RevertTest : public IntegrationTest {
 protected:
  std::string log_status(const std::string& name) { return testing::log_status(probe(), name); }
  std::int64_t downs(int n) { return testing::counter(probe(), kDownCounter + n); }
  std::int64_t record_count(const std::string& name, const std::string& more_filter = "") {
    return probe().count("migrationlogs", R"({"name": ")" + name + "\"" + more_filter + "}");
  }
  std::int64_t events(const std::string& name, const std::string& action) {
    return probe().count("migrationlogs_events", R"({"name": ")" + name + R"(", "action": ")" + action + R"("})");
  }
  // Migration 1 written and applied.
  void apply_one(int down_commands) {
    write_migration(migration_name(1), reversible_migration(1, down_commands));
    ProcessResult up = cli({"up"}, bounded());
    ASSERT_EQ(up.exit_code, 0) << describe(up);
    ASSERT_EQ(log_status(migration_name(1)), "applied");
  }
  // Starts `down` of migration 1 in the background and kills it once its
  // `down` has half run (some of its inserts done, not its last command).
  void kill_revert_half_way(std::vector<std::string> args) {
    auto reverter = cli_background(with_short_lease(std::move(args)), bounded());
    ASSERT_TRUE(wait_until([&] { return probe().count("bulk") > 0 || reverter->finished(); }, 30s))
        << reverter->err();
    ASSERT_TRUE(reverter->signal(SIGKILL));
    ASSERT_EQ(reverter->wait().exit_code, 128 + SIGKILL);
    ASSERT_GT(probe().count("bulk"), 0);
    ASSERT_EQ(downs(1), 0) << "killed before the last command of its down";
  }
  Migrator open_with_short_lease() {
    auto opened = Migrator::open({.uri = uri(),
                                  .directory = dir(),
                                  .lock = {.lease = 2s, .renew_every = 300ms, .timeout = 10s, .poll = 50ms}});
    EXPECT_TRUE(opened) << opened.error().message;
    return std::move(*opened);
  }
};

TEST_F(RevertTest, KilledRevertShowsInterruptedAndDownFinishesIt) {
  const std::string m = migration_name(1);
  apply_one(/*down_commands=*/150);

  kill_revert_half_way({"down", m, "--by", "doomed"});

  // Not "applied": its down has half run. Running while the dead reverter's
  // lease lasts, interrupted once it has expired.
  EXPECT_EQ(record_count(m, R"(, "status": "running", "reverting": true)"), 1);
  ProcessResult json = cli({"status", "--json"}, bounded());
  ASSERT_EQ(json.exit_code, 0) << describe(json);
  EXPECT_TRUE(contains(json.out, R"("status":"running")") || contains(json.out, R"("status":"interrupted")"))
      << json.out;
  EXPECT_TRUE(contains(json.out, R"("reverting":true)")) << json.out;
  ASSERT_TRUE(wait_until(
      [&] {
        json = cli({"status", "--json"}, bounded());
        return contains(json.out, R"("status":"interrupted")");
      },
      10s))
      << describe(json);
  EXPECT_TRUE(contains(json.out, R"("reverting":true)")) << json.out;
  ProcessResult human = cli({"status"}, bounded());
  ASSERT_EQ(human.exit_code, 0) << describe(human);
  EXPECT_TRUE(contains(human.out, "interrupted (revert)")) << human.out;
  EXPECT_TRUE(contains(human.out, "the revert of " + m + " did not finish")) << human.out;
  EXPECT_TRUE(contains(human.out, "`down " + m + "`")) << human.out;
  ProcessResult validate = cli({"validate"}, bounded());
  EXPECT_EQ(validate.exit_code, 1) << describe(validate);

  // `up` does not pass it.
  write_migration(migration_name(2), counter_migration(2));
  ProcessResult up = cli(with_short_lease({"up", "--lock-timeout", "10s"}), bounded());
  EXPECT_EQ(up.exit_code, 1) << describe(up);
  EXPECT_TRUE(contains(up.err, "revert did not finish")) << describe(up);
  EXPECT_EQ(counter(probe(), 2), 0);

  // `down` finishes it, once the dead reverter's lease has expired.
  ProcessResult down = cli(with_short_lease({"down", m, "--lock-timeout", "10s", "--by", "rescuer"}), bounded());
  ASSERT_EQ(down.exit_code, 0) << describe(down);
  EXPECT_EQ(log_status(m), "reverted");
  EXPECT_EQ(probe().string_field("migrationlogs", R"({"name": ")" + m + R"("})", "revertedBy"), "rescuer");
  EXPECT_EQ(record_count(m, R"(, "reverting": {"$exists": true})"), 0);
  EXPECT_EQ(record_count(m, R"(, "lockOwner": {"$exists": true})"), 0);
  EXPECT_EQ(downs(1), 1);
  EXPECT_EQ(events(m, "reverted"), 1);
  EXPECT_EQ(lock_leftovers(probe()), 0);

  // And the rest applies again.
  ProcessResult again = cli({"up"}, bounded());
  ASSERT_EQ(again.exit_code, 0) << describe(again);
  EXPECT_EQ(log_status(m), "applied");
  EXPECT_EQ(counter(probe(), 1), 2) << "applied, reverted, applied";
  EXPECT_EQ(counter(probe(), 2), 1);
}

TEST_F(RevertTest, InterruptedRevertCanBeAppliedAgainWithRun) {
  const std::string m = migration_name(1);
  apply_one(/*down_commands=*/150);
  kill_revert_half_way({"down", m});

  ProcessResult run = cli(with_short_lease({"run", m, "--lock-timeout", "10s"}), bounded());
  ASSERT_EQ(run.exit_code, 0) << describe(run);
  EXPECT_EQ(log_status(m), "applied");
  EXPECT_EQ(record_count(m, R"(, "reverting": {"$exists": true})"), 0) << "it is no longer a revert";
  EXPECT_EQ(counter(probe(), 1), 2);
  EXPECT_EQ(downs(1), 0);
  ProcessResult json = cli({"status", "--json"}, bounded());
  EXPECT_TRUE(contains(json.out, R"("status":"applied")")) << json.out;
  EXPECT_FALSE(contains(json.out, R"("reverting":true)")) << json.out;
}

// A `down` whose second command fails has half run: not applied any more,
// not reverted either. It says so, and `down` can finish it once fixed.
TEST_F(RevertTest, FailedDownLeavesItHalfRevertedWithItsErrorUntilDownFinishesIt) {
  const std::string m = migration_name(1);
  auto down_inserting = [&](const std::string& second_id) {
    write_migration(m, R"({"up": [)" + counter_command(1) +
                           R"(], "down": [{"insert": "bulk", "documents": [{"_id": 1}]},
                                          {"insert": "bulk", "documents": [{"_id": )" +
                           second_id + R"(}]}]})");
  };
  down_inserting("1");  // a duplicate key: the second command fails
  ProcessResult up = cli({"up"}, bounded());
  ASSERT_EQ(up.exit_code, 0) << describe(up);

  ProcessResult down = cli({"down", m}, bounded());
  EXPECT_EQ(down.exit_code, 1) << describe(down);
  EXPECT_EQ(probe().count("bulk"), 1) << "its first command ran";
  EXPECT_EQ(record_count(m, R"(, "status": "running", "reverting": true)"), 1);
  EXPECT_EQ(record_count(m, R"(, "lockOwner": {"$exists": true})"), 0) << "no runner: interrupted at once";
  EXPECT_TRUE(contains(probe().string_field("migrationlogs", R"({"name": ")" + m + R"("})", "error"),
                       "revert failed: command 2 of 2"));
  EXPECT_EQ(events(m, "revert_failed"), 1);
  EXPECT_EQ(lock_leftovers(probe()), 0);
  ProcessResult status = cli({"status"}, bounded());
  EXPECT_TRUE(contains(status.out, "interrupted (revert)")) << status.out;
  EXPECT_TRUE(contains(status.out, "revert failed: command 2 of 2")) << status.out;
  ProcessResult validate = cli({"validate"}, bounded());
  EXPECT_EQ(validate.exit_code, 1) << describe(validate);

  // Fixed (the file changes: it is not applied, so no checksum warning), `down` finishes it.
  probe().command(R"({"delete": "bulk", "deletes": [{"q": {}, "limit": 0}]})");
  down_inserting("2");
  ProcessResult again = cli({"down", m}, bounded());
  ASSERT_EQ(again.exit_code, 0) << describe(again);
  EXPECT_EQ(log_status(m), "reverted");
  EXPECT_EQ(record_count(m, R"(, "error": {"$exists": true})"), 0);
  EXPECT_EQ(probe().count("bulk"), 2);
  EXPECT_EQ(events(m, "reverted"), 1);
}

// SIGTERM (a pod being stopped) between two commands of `down`: the command
// in flight finishes, the rest does not run, and the record says so.
TEST_F(RevertTest, SignalDuringDownLeavesItHalfRevertedAndReleasesTheLock) {
  const std::string m = migration_name(1);
  apply_one(/*down_commands=*/150);
  auto reverter = cli_background({"down", m}, bounded());
  ASSERT_TRUE(wait_until([&] { return probe().count("bulk") > 0 || reverter->finished(); }, 30s))
      << reverter->err();
  ASSERT_TRUE(reverter->signal(SIGTERM));
  ProcessResult result = reverter->wait();
  EXPECT_EQ(result.exit_code, 128 + SIGTERM) << describe(result);
  EXPECT_TRUE(contains(result.err, "stays recorded as running")) << describe(result);
  EXPECT_EQ(downs(1), 0) << "its last command did not run";
  EXPECT_EQ(record_count(m, R"(, "status": "running", "reverting": true, "lockOwner": {"$exists": false})"), 1);
  EXPECT_TRUE(contains(probe().string_field("migrationlogs", R"({"name": ")" + m + R"("})", "error"),
                       "interrupted by signal"));
  EXPECT_EQ(lock_leftovers(probe()), 0) << "the lease is released";
  ProcessResult down = cli({"down", m}, bounded());
  ASSERT_EQ(down.exit_code, 0) << describe(down);
  EXPECT_EQ(log_status(m), "reverted");
  EXPECT_EQ(downs(1), 1);
}

// A reverter that passed its last lease check, then froze (GC, SIGSTOP, a VM
// pause) past its lease, while another pod's `down` took the lease over and
// reverted the migration: it must not run the `down` a second time.
TEST_F(RevertTest, ReverterThatLostItsLeaseDoesNotRevertASecondTime) {
  const std::string m = migration_name(1);
  apply_one(/*down_commands=*/1);
  Migrator a = open_with_short_lease();
  ProcessResult b;
  auto reverted = a.revert(m, {.reverted_by = "frozen", .on_progress = [&](const ProgressEvent& e) {
    if (e.kind != ProgressEvent::Kind::kStarting) return;
    // A has checked its lease and not yet marked the record: frozen here.
    steal_lease(probe());
    b = cli(with_short_lease({"down", m, "--lock-timeout", "20s", "--by", "other-pod"}), bounded());
  }});
  EXPECT_EQ(b.exit_code, 0) << describe(b);
  EXPECT_FALSE(reverted.has_value()) << "A reports a revert of its own as well";
  EXPECT_EQ(downs(1), 1) << "down ran " << downs(1) << " times";
  EXPECT_EQ(log_status(m), "reverted");
  EXPECT_EQ(probe().string_field("migrationlogs", R"({"name": ")" + m + R"("})", "revertedBy"), "other-pod");
  EXPECT_EQ(events(m, "reverted"), 1);
}

// The same pause, with the lease taken over and no one reverting meanwhile:
// A's mark lands, its check finds the lease gone, and it stops before `down`
// and gives its claim back: nothing ran, so the record says applied again
// (not a revert stopped half-way, which would block `up`), and the next
// `down` reverts it.
TEST_F(RevertTest, ReverterThatLostItsLeaseStopsBeforeItsDownAndGivesItsClaimBack) {
  const std::string m = migration_name(1);
  apply_one(/*down_commands=*/1);
  Migrator a = open_with_short_lease();
  auto reverted = a.revert(m, {.reverted_by = "frozen", .on_progress = [&](const ProgressEvent& e) {
    if (e.kind == ProgressEvent::Kind::kStarting) steal_lease(probe());
  }});
  ASSERT_FALSE(reverted.has_value());
  EXPECT_EQ(reverted.error().kind, ErrorKind::kLockLost) << reverted.error().message;
  EXPECT_TRUE(contains(reverted.error().message, m + "'s down was not started")) << reverted.error().message;
  EXPECT_TRUE(contains(reverted.error().message, "migration lock was lost")) << reverted.error().message;
  EXPECT_EQ(events(m, "stopped"), 1) << "as `up` records a lost lease";
  EXPECT_EQ(downs(1), 0);
  EXPECT_EQ(record_count(m, R"(, "status": "applied", "reverting": {"$exists": false}, )"
                            R"("lockOwner": {"$exists": false})"),
            1);
  EXPECT_EQ(cli({"up"}).exit_code, 0) << "nothing blocks up";

  ProcessResult down = cli(with_short_lease({"down", m, "--lock-timeout", "10s"}), bounded());
  ASSERT_EQ(down.exit_code, 0) << describe(down);
  EXPECT_EQ(log_status(m), "reverted");
  EXPECT_EQ(downs(1), 1);
}

// `unlock --force` while a `down` runs, and another pod's `down` takes the
// lease and the record over: the first one's outcome write matches nothing
// (fenced). It must say so, exit 4 as for any lost lease, and say what the
// log now says, never that it succeeded or that the record "stays running"
// when another runner's write is what the log holds.
TEST_F(RevertTest, ForcedUnlockDuringDownReportsTheFencingLossTruthfully) {
  const std::string m = migration_name(1);
  apply_one(/*down_commands=*/150);
  auto first = cli_background({"down", m, "--by", "first"}, bounded());
  ASSERT_TRUE(wait_until([&] { return probe().count("bulk") > 0 || first->finished(); }, 30s)) << first->err();
  // Frozen mid-down (as a paused pod), so that the rest happens while its
  // down is half run, whatever the machine's speed.
  ASSERT_TRUE(first->signal(SIGSTOP));
  ASSERT_EQ(downs(1), 0) << "frozen before its last command";
  ProcessResult unlock = cli({"unlock", "--force", "--by", "ops"}, bounded());
  ASSERT_EQ(unlock.exit_code, 0) << describe(unlock);
  ProcessResult second = cli({"down", m, "--by", "second", "--lock-timeout", "20s"}, bounded());
  ASSERT_TRUE(first->signal(SIGCONT));
  ProcessResult result = first->wait();

  EXPECT_EQ(second.exit_code, 0) << describe(second);
  EXPECT_EQ(log_status(m), "reverted");
  EXPECT_EQ(probe().string_field("migrationlogs", R"({"name": ")" + m + R"("})", "revertedBy"), "second");
  EXPECT_EQ(result.exit_code, 4) << describe(result);
  EXPECT_TRUE(contains(result.err, "lock")) << describe(result);
  EXPECT_TRUE(contains(result.err, "the log now says " + m + " is reverted (by second)")) << describe(result);
  EXPECT_TRUE(contains(result.err, "matched nothing")) << describe(result);
  EXPECT_FALSE(contains(result.err, "stays recorded as running")) << describe(result);
  EXPECT_FALSE(contains(result.err, "stopped before")) << "its down did run: " << describe(result);
  EXPECT_EQ(events(m, "reverted"), 1) << "only the second down's outcome is recorded";
}

}  // namespace
}  // namespace mongomigrate::testing
