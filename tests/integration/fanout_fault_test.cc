// The server killed in the middle of a fan-out over several databases (issue
// 18): every database's log stays true (nothing recorded applied whose
// effect is absent), and once the server is back a second run finishes the
// rest. Label `fault`: it kills and restarts a FerretDB of its own.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/counter_migrations.h"
#include "support/fanout_fixture.h"
#include "support/file_checks.h"

namespace mongomigrate::testing {
namespace {

using namespace std::chrono_literals;

constexpr int kDatabases = 4;
constexpr int kMigrations = 3;

// Each migration recorded applied ran once to its end; one not applied did
// not, unless it is the one left `running`. Returns it, if any.
std::optional<int> check_log_is_true(DbProbe& p, const std::string& db) {
  std::optional<int> running;
  for (int n = 1; n <= kMigrations; ++n) {
    std::string status = log_status(p, migration_name(n));
    if (status == "applied") {
      EXPECT_EQ(counter(p, n), 1) << db << " " << migration_name(n) << " is recorded applied: its effect is there";
    } else if (status == "running") {
      running = n;
    } else {
      EXPECT_EQ(counter(p, n), 0) << db << " " << migration_name(n) << " (" << status << ") did not run to its end";
    }
  }
  return running;
}

TEST_F(FanOutTest, ServerKilledMidFanOutLeavesEveryLogTrueAndASecondRunFinishes) {
  SKIP_UNLESS_LOCAL_SERVER("it kills and restarts FerretDB");
  FerretDbServer own;
  const std::string query = "serverSelectionTimeoutMS=1500&connectTimeoutMS=1000";
  const std::string own_uri = own.uri(db(), query);
  std::vector<std::unique_ptr<DbProbe>> probes;
  for (int i = 1; i <= kDatabases; ++i) probes.push_back(std::make_unique<DbProbe>(own.uri(name(i), query), name(i)));
  for (int n = 1; n <= kMigrations; ++n) write_migration(migration_name(n), slow_migration(n, 40, 200));
  auto args = [&](std::vector<std::string> a) {
    a.insert(a.end(), {"--uri", own_uri, "--dir", dir(), "--lock-lease", "2s", "--lock-renew", "300ms"});
    return a;
  };

  auto runner = cli_background(args({"up", "--dbs", names(kDatabases), "--parallel", "2"}), bounded(), false);
  // Some database is inside a migration: claimed, its first insert sent.
  auto in_flight = [&] {
    for (auto& p : probes) {
      if (p->count("migrationlogs", R"({"status": "running"})") > 0 && p->count("bulk") > 0) return true;
    }
    return false;
  };
  ASSERT_TRUE(caught(in_flight, [&] { return runner->finished(); }, 60s))
      << "stdout: " << runner->out() << "\nstderr: " << runner->err();
  own.crash();
  ProcessResult crashed = runner->wait();
  EXPECT_EQ(crashed.exit_code, 3) << describe(crashed);
  EXPECT_TRUE(contains(crashed.out, "cannot reach the database")) << describe(crashed);
  // The databases in flight failed; a ping then found the server gone, so
  // the others were not started (each would have waited for it in vain).
  EXPECT_TRUE(contains(crashed.out, "skipped (not started: a ping to the server failed)")) << describe(crashed);
  EXPECT_TRUE(contains(crashed.err, "no database was started after a ping to the server failed: ")) << describe(crashed);

  own.start();
  std::vector<std::optional<int>> left_running;
  // The counter of each migration left running: 1 if the crash came after
  // its last command but before its outcome was written.
  std::vector<std::int64_t> counter_left;
  for (int i = 1; i <= kDatabases; ++i) {
    left_running.push_back(check_log_is_true(*probes[i - 1], name(i)));
    counter_left.push_back(left_running.back() ? counter(*probes[i - 1], *left_running.back()) : 0);
  }

  // A migration the crash left `running` is interrupted once its lease has
  // expired: the operator checks it and runs it on that database.
  for (int i = 1; i <= kDatabases; ++i) {
    if (!left_running[i - 1]) continue;
    std::string interrupted = migration_name(*left_running[i - 1]);
    ProcessResult run;
    ASSERT_TRUE(wait_until(
        [&] {
          run = cli(args({"run", interrupted, "--db", name(i), "--lock-timeout", "0s"}), bounded(), false);
          return run.exit_code == 0;
        },
        30s))
        << describe(run);
  }
  ProcessResult again = cli(args({"up", "--dbs", names(kDatabases), "--parallel", "2"}), bounded(), false);
  ASSERT_EQ(again.exit_code, 0) << describe(again);
  EXPECT_TRUE(contains(again.out, std::to_string(kDatabases) + " databases: " + std::to_string(kDatabases) + " ok"))
      << again.out;
  for (int i = 1; i <= kDatabases; ++i) {
    DbProbe& p = *probes[i - 1];
    for (int n = 1; n <= kMigrations; ++n) {
      EXPECT_EQ(log_status(p, migration_name(n)), "applied") << name(i);
      if (left_running[i - 1] == n) {
        EXPECT_EQ(counter(p, n), counter_left[i - 1] + 1) << name(i) << " " << migration_name(n) << ": `run` ran it once more";
      } else {
        EXPECT_EQ(counter(p, n), 1) << name(i) << " " << migration_name(n) << " ran to its end once";
      }
    }
  }
}

}  // namespace
}  // namespace mongomigrate::testing
