// The storage under the server fails: PostgreSQL killed under a running
// FerretDB mid-run, and PostgreSQL down while FerretDB still answers. Each
// test starts a FerretDB 2 + PostgreSQL of its own (the shared one stays up),
// so with MONGOMIGRATE_TEST_URI these are skipped.
//
// What must hold (DESIGN.md §5, "bad input never costs data"): exit 3 with a
// clear error, nothing recorded applied that did not finish, and the next
// `up` (after `run` of an interrupted migration) correct.
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "support/counter_migrations.h"
#include "support/integration.h"

namespace mongomigrate::testing {
namespace {

using namespace std::chrono_literals;

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

class PostgresFaultTest : public IntegrationTest {
 protected:
  void SetUp() override {
    SKIP_UNLESS_LOCAL_SERVER("it kills and restarts PostgreSQL under FerretDB");
    IntegrationTest::SetUp();
    own_ = std::make_unique<FerretDbServer>();
    own_uri_ = own_->uri(db(), "serverSelectionTimeoutMS=1500&connectTimeoutMS=1000");
    p_ = std::make_unique<DbProbe>(own_uri_, db());
  }

  ProcessResult own_cli(std::vector<std::string> args) {
    args.insert(args.end(), {"--uri", own_uri_, "--dir", dir()});
    return cli(with_short_lease(std::move(args)), bounded(), false);
  }

  // For migrations 1..count: an applied record ran once to its end (counter
  // 1); any other did not reach its end (counter 0), except `unfinished`,
  // which may have. Returns how many are applied.
  int check_consistent(int count, std::optional<int> unfinished = std::nullopt) {
    int applied = 0;
    for (int n = 1; n <= count; ++n) {
      std::string status = log_status(*p_, migration_name(n));
      if (status == "applied") {
        ++applied;
        EXPECT_EQ(counter(*p_, n), 1) << migration_name(n) << " is recorded applied: it ran once";
      } else if (unfinished != n) {
        EXPECT_EQ(counter(*p_, n), 0) << migration_name(n) << " (" << status << ") did not run to its end";
      }
    }
    return applied;
  }

  // Once PostgreSQL is back, FerretDB's pool may still hand out a few
  // connections to the old one, each failing once ("terminating connection
  // due to administrator command"): wait until reads work again, through
  // the tool and through the probe.
  void wait_until_postgres_serves() {
    int good = 0;
    ASSERT_TRUE(wait_until(
        [&] {
          bool ok = own_cli({"status"}).exit_code == 0;
          try {
            p_->collections();
          } catch (const std::exception&) {
            ok = false;
          }
          good = ok ? good + 1 : 0;
          return good >= 3;
        },
        30s));
  }

  std::unique_ptr<FerretDbServer> own_;
  std::string own_uri_;
  std::unique_ptr<DbProbe> p_;
};

TEST_F(PostgresFaultTest, PostgresKilledMidRunExits3AndNothingUnfinishedIsRecordedApplied) {
  constexpr int kCount = 4;
  // About half a second each on FerretDB 2: a wide window to kill it in.
  for (int n = 1; n <= kCount; ++n) write_migration(migration_name(n), slow_migration(n, 150, 200));

  auto runner = cli_background(with_short_lease({"up", "--uri", own_uri_, "--dir", dir()}), bounded(), false);
  const std::string second = migration_name(2);
  // Inside the second migration: claimed, and its first insert sent.
  auto in_flight = [&] { return log_status(*p_, second) == "running" && p_->count("bulk", R"({"m": 2})") > 0; };
  ASSERT_TRUE(caught(in_flight, [&] { return runner->finished(); }, 30s))
      << "stdout: " << runner->out() << "\nstderr: " << runner->err();
  own_->postgres().crash();

  ProcessResult crashed = runner->wait();
  EXPECT_EQ(crashed.exit_code, 3) << describe(crashed);
  EXPECT_FALSE(crashed.err.empty()) << describe(crashed);
  EXPECT_FALSE(contains(crashed.out, "4 applied")) << describe(crashed);

  own_->postgres().start();
  // FerretDB is still the same process: it reconnects to the restarted
  // PostgreSQL by itself.
  wait_until_postgres_serves();
  // The migration in flight is left `running` (its outcome could not be
  // written), or `failed` when one of its commands got the server's own
  // error ("terminating connection due to unexpected postmaster exit") and a
  // backend still alive recorded that: both are true, and both block `up`.
  std::optional<int> left_running, left_failed;
  for (int n = 1; n <= kCount; ++n) {
    std::string status = log_status(*p_, migration_name(n));
    if (status == "running") left_running = n;
    if (status == "failed") left_failed = n;
  }
  EXPECT_LE(p_->count("migrationlogs", R"({"status": {"$in": ["running", "failed"]}})"), 1);
  // A failed one stopped at a failing command, before its counter.
  int applied_before = check_consistent(kCount, left_running);
  EXPECT_GE(applied_before, 1) << "the first migration finished before PostgreSQL went away";
  EXPECT_LT(applied_before, kCount);

  if (std::optional<int> left = left_running ? left_running : left_failed) {
    // Failed, or interrupted once the runner's lease has expired: `up`
    // refuses to pass it, `run` applies it again.
    ProcessResult blocked;
    ASSERT_TRUE(wait_until([&] { return (blocked = own_cli({"up"})).exit_code == 1; }, 20s)) << describe(blocked);
    EXPECT_TRUE(contains(blocked.err, migration_name(*left))) << describe(blocked);
    ProcessResult run = own_cli({"run", migration_name(*left)});
    ASSERT_EQ(run.exit_code, 0) << describe(run);
  }
  ProcessResult up;
  ASSERT_TRUE(wait_until([&] { return (up = own_cli({"up"})).exit_code == 0; }, 20s)) << describe(up);
  // The one left running may have reached its counter before PostgreSQL died.
  EXPECT_EQ(check_consistent(kCount, left_running), kCount);
  if (left_running) {
    EXPECT_GE(counter(*p_, *left_running), 1);
  }
  EXPECT_EQ(own_cli({"validate"}).exit_code, 0);
}

TEST_F(PostgresFaultTest, PostgresDownUnderARunningFerretDbExits3AndWritesNothing) {
  for (int n = 1; n <= 2; ++n) write_migration(migration_name(n), counter_migration(n));
  own_->postgres().stop();

  for (const char* command : {"up", "status", "validate", "history", "unlock"}) {
    SCOPED_TRACE(command);
    ProcessResult r = own_cli({command});
    EXPECT_FALSE(r.timed_out) << describe(r);
    EXPECT_EQ(r.exit_code, 3) << describe(r);
    EXPECT_FALSE(r.err.empty()) << describe(r);
    EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << "one line: " << describe(r);
    // What it could not do ("cannot read the tracking log ...: "), then the
    // server's reason, which varies (a refused or a terminated connection).
    EXPECT_TRUE(contains(r.err, "mongo-migrate: cannot read the ")) << describe(r);
    const std::string line = r.err.substr(0, r.err.find('\n'));
    const std::size_t colon = line.find(": ", line.find("cannot read the "));
    EXPECT_TRUE(colon != std::string::npos && line.size() > colon + 2) << "a reason after it: " << describe(r);
    EXPECT_FALSE(contains(r.out, "applied")) << describe(r);
  }

  own_->postgres().start();
  wait_until_postgres_serves();
  EXPECT_TRUE(p_->collections().empty()) << "nothing was written";
  ProcessResult up = own_cli({"up"});
  ASSERT_EQ(up.exit_code, 0) << describe(up);
  EXPECT_EQ(check_consistent(2), 2);
}

}  // namespace
}  // namespace mongomigrate::testing
