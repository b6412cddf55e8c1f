// A hangup and a closed stdout (issue 15, item 3), through the real binary
// against the real server: SIGHUP (an SSH drop, a closed terminal) stops a
// run as SIGTERM does, exit 129; a reader gone from stdout (`mongo-migrate up
// | head -1`, a CI pipe closed early) stops it after the current migration,
// exit 141. Either way the outcome is recorded, nothing is left `running`,
// the lease is released and the next `up` carries on. Before, both ended the
// process like kill -9.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <optional>
#include <memory>
#include <string>
#include <vector>

#include "support/counter_migrations.h"
#include "support/integration.h"
#include "support/lock_docs.h"

namespace mongomigrate::testing {
namespace {

using namespace std::chrono_literals;

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// A lease that outlives the test's checks, so that a runner that did not
// release it leaves it held (the next `up` would wait and exit 4).
std::vector<std::string> with_long_lease(std::vector<std::string> args) {
  args.insert(args.end(), {"--lock-lease", "30s", "--lock-renew", "1s"});
  return args;
}

class HangupTest : public IntegrationTest {};

TEST_F(HangupTest, SighupStopsTheRunLikeSigtermWithExit129) {
  const std::string first = migration_name(1);
  // Many commands, so the signal lands between two of them.
  write_migration(first, slow_migration(1, 400, 40));
  write_migration(migration_name(2), counter_migration(2));

  auto runner = cli_background(with_long_lease({"up", "--by", "deployer"}), bounded());
  ASSERT_TRUE(wait_until(
      [&] { return (log_status(probe(), first) == "running" && probe().count("bulk") > 0) || runner->finished(); },
      30s))
      << runner->err();
  ASSERT_EQ(log_status(probe(), first), "running") << "stdout: " << runner->out() << "\nstderr: " << runner->err();
  ASSERT_TRUE(runner->signal(SIGHUP));
  ProcessResult result = runner->wait();

  EXPECT_EQ(result.killed_by, 0) << "it exits on its own, not killed by the signal: " << describe(result);
  EXPECT_EQ(result.exit_code, 129) << describe(result);
  EXPECT_TRUE(contains(result.err, "interrupted by signal 1")) << describe(result);
  // The migration in flight is recorded: failed (interrupted) or, had its
  // last command completed, applied. Never left running.
  std::string status = log_status(probe(), first);
  EXPECT_TRUE(status == "failed" || status == "applied") << status;
  EXPECT_EQ(log_status(probe(), first), status);
  if (status == "failed") {
    std::string error = probe().string_field("migrationlogs", R"({"name": ")" + first + R"("})", "error");
    EXPECT_TRUE(contains(error, "interrupted by signal 1")) << error;
    EXPECT_EQ(counter(probe(), 1), 0) << "it stopped before its last command";
  }
  EXPECT_EQ(lock_leftovers(probe()), 0) << "the lease is released";
  EXPECT_EQ(probe().count("migrationlogs", R"({"name": ")" + migration_name(2) + R"("})"), 0)
      << "later migrations are not run";

  // The next runs need no waiting for the lease: an interrupted migration is
  // re-run with `run`, then `up` applies the rest.
  if (status == "failed") {
    ProcessResult rerun = cli({"run", first, "--lock-timeout", "2s"}, bounded());
    ASSERT_EQ(rerun.exit_code, 0) << describe(rerun);
  }
  ProcessResult next = cli({"up", "--lock-timeout", "2s"}, bounded());
  EXPECT_EQ(next.exit_code, 0) << describe(next);
  EXPECT_EQ(log_status(probe(), first), "applied");
  EXPECT_EQ(log_status(probe(), migration_name(2)), "applied");
  EXPECT_EQ(counter(probe(), 1), 1);
  EXPECT_EQ(counter(probe(), 2), 1);
}

TEST_F(HangupTest, ClosedStdoutStopsAfterTheCurrentMigrationWithExit141) {
  constexpr int kCount = 5;
  for (int n = 1; n <= kCount; ++n) write_migration(migration_name(n), slow_migration(n, 400, 40));

  // `mongo-migrate up | head -1`: read the first line, then close the pipe.
  // Each migration takes long enough (hundreds of commands) that the second
  // is still running when the pipe closes.
  ProcessOptions options = bounded();
  options.stdout_pipe = true;
  auto runner = cli_background(with_long_lease({"up", "--by", "deployer"}), options);
  std::optional<std::string> line = runner->read_line(60s);
  ASSERT_TRUE(line.has_value()) << runner->err();
  EXPECT_TRUE(contains(*line, "applied") && contains(*line, migration_name(1))) << *line;
  runner->close_stdout();
  ProcessResult result = runner->wait();

  EXPECT_EQ(result.killed_by, 0) << "not killed by SIGPIPE: " << describe(result);
  EXPECT_EQ(result.exit_code, 141) << describe(result);
  EXPECT_TRUE(contains(result.err, "standard output")) << "says why it stopped: " << describe(result);
  // The migration running when the pipe closed completed and is recorded
  // applied; the run stopped there: applied ones first, the rest untouched.
  int applied = 0;
  for (int n = 1; n <= kCount; ++n) {
    std::string status = log_status(probe(), migration_name(n));
    if (n == applied + 1 && status == "applied") {
      ++applied;
      EXPECT_EQ(counter(probe(), n), 1) << migration_name(n);
    } else {
      EXPECT_EQ(status, "") << migration_name(n) << " has no record (pending) after " << applied << " applied";
      EXPECT_EQ(counter(probe(), n), 0) << migration_name(n);
    }
  }
  EXPECT_GE(applied, 2) << "the one in flight when the pipe closed completes";
  EXPECT_LT(applied, kCount) << "the run stopped early";
  EXPECT_EQ(lock_leftovers(probe()), 0) << "the lease is released";

  ProcessResult next = cli({"up", "--lock-timeout", "2s"}, bounded());
  EXPECT_EQ(next.exit_code, 0) << describe(next);
  for (int n = 1; n <= kCount; ++n) {
    EXPECT_EQ(log_status(probe(), migration_name(n)), "applied") << migration_name(n);
    EXPECT_EQ(counter(probe(), n), 1) << migration_name(n);
  }
}

// Commands run with their stdout already closed (`mongo-migrate ... | true`).
class ClosedStdoutTest : public HangupTest {
 protected:
  ProcessResult run_closed(std::vector<std::string> args) {
    ProcessOptions options = bounded();
    options.stdout_pipe = true;
    auto process = cli_background(with_long_lease(std::move(args)), options);
    process->close_stdout();
    return process->wait();
  }
};

constexpr const char* kThings = R"({"up": [{"insert": "things", "documents": [{"_id": "a"}]}],
  "down": [{"delete": "things", "deletes": [{"q": {"_id": "a"}, "limit": 1}]}]})";

TEST_F(ClosedStdoutTest, RunAndDownRecordTheirOutcomeReleaseTheLeaseAndExit141) {
  write_migration("001-things.json", kThings);

  ProcessResult run = run_closed({"run", "001-things.json"});
  EXPECT_EQ(run.killed_by, 0) << describe(run);
  EXPECT_EQ(run.exit_code, 141) << describe(run);
  EXPECT_EQ(log_status(probe(), "001-things.json"), "applied");
  EXPECT_EQ(probe().count("things"), 1);
  EXPECT_EQ(lock_leftovers(probe()), 0) << "the lease is released";

  ProcessResult down = run_closed({"down", "001-things.json"});
  EXPECT_EQ(down.killed_by, 0) << describe(down);
  EXPECT_EQ(down.exit_code, 141) << describe(down);
  EXPECT_EQ(log_status(probe(), "001-things.json"), "reverted");
  EXPECT_EQ(probe().count("things"), 0);
  EXPECT_EQ(lock_leftovers(probe()), 0) << "the lease is released";

  ProcessResult up = cli({"up", "--lock-timeout", "2s"}, bounded());
  EXPECT_EQ(up.exit_code, 0) << describe(up);
  EXPECT_EQ(log_status(probe(), "001-things.json"), "applied");
}

TEST_F(ClosedStdoutTest, EveryCommandExits141WithoutCrashing) {
  write_migration("001-things.json", kThings);
  // `up --json` prints only at the end: the run completes, the lease is
  // released, and the output that could not be written makes it 141.
  ProcessResult up = run_closed({"up", "--json"});
  EXPECT_EQ(up.killed_by, 0) << describe(up);
  EXPECT_EQ(up.exit_code, 141) << describe(up);
  EXPECT_EQ(log_status(probe(), "001-things.json"), "applied");
  EXPECT_EQ(lock_leftovers(probe()), 0) << "the lease is released";
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"up"}, {"status"}, {"status", "--json"}, {"history"}, {"validate"}, {"up", "--dry-run"}}) {
    ProcessResult r = run_closed(args);
    EXPECT_EQ(r.killed_by, 0) << args.front() << ": " << describe(r);
    EXPECT_EQ(r.exit_code, 141) << args.front() << ": " << describe(r);
    EXPECT_FALSE(contains(r.err, "terminate")) << args.front() << ": " << describe(r);
  }
}

TEST_F(HangupTest, SighupIgnoredAtStartStaysIgnored) {
  // `nohup mongo-migrate up`: the run outlives the hangup.
  write_migration(migration_name(1), slow_migration(1, 400, 40));
  struct sigaction ignore {}, previous {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  ASSERT_EQ(sigaction(SIGHUP, &ignore, &previous), 0);
  auto runner = cli_background(with_long_lease({"up"}), bounded());  // inherits SIGHUP ignored
  sigaction(SIGHUP, &previous, nullptr);
  ASSERT_TRUE(wait_until(
      [&] { return (log_status(probe(), migration_name(1)) == "running" && probe().count("bulk") > 0) ||
                   runner->finished(); },
      30s));
  runner->signal(SIGHUP);
  ProcessResult result = runner->wait();
  EXPECT_EQ(result.exit_code, 0) << describe(result);
  EXPECT_EQ(log_status(probe(), migration_name(1)), "applied");
  EXPECT_EQ(counter(probe(), 1), 1);
  EXPECT_EQ(lock_leftovers(probe()), 0);
}

}  // namespace
}  // namespace mongomigrate::testing
