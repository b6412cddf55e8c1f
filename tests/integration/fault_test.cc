// Faults while migrations run, through the real binary against a real server
// (DESIGN.md §5): concurrent runners, a runner killed with SIGKILL, the server
// killed and restarted, a lease stolen mid-run, SIGTERM/SIGINT, a runner
// waiting on a held lock, and a no-op deploy that must not touch the lock.
//
// Every test bounds its time (short leases, short --lock-timeout, process
// timeouts) and ends by checking that nothing was applied twice and that the
// log agrees with what the migrations did (per-migration counters).
#include <bson/bson.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "mongo/bson_handles.h"
#include "mongo/bson_handles.h"
#include "support/counter_migrations.h"
#include "support/integration.h"
#include "support/lock_docs.h"

namespace mongomigrate::testing {
namespace {

using namespace std::chrono_literals;

// ---- helpers ---------------------------------------------------------------

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

std::string host_name() {
  char buffer[256] = {};
  gethostname(buffer, sizeof buffer - 1);
  return buffer;
}

// name -> status ("pending", "running", "interrupted", ...) from `status --json`.
std::map<std::string, std::string> reported_statuses(const std::string& status_json) {
  std::map<std::string, std::string> out;
  mongo::OwnedBson doc = parse_json(status_json);
  bson_iter_t it, array, entry;
  if (!doc || !bson_iter_init_find(&it, doc.get(), "migrations") || !BSON_ITER_HOLDS_ARRAY(&it) ||
      !bson_iter_recurse(&it, &array)) {
    return out;
  }
  while (bson_iter_next(&array)) {
    if (!BSON_ITER_HOLDS_DOCUMENT(&array) || !bson_iter_recurse(&array, &entry)) continue;
    std::string name, status;
    while (bson_iter_next(&entry)) {
      std::string_view key = bson_iter_key(&entry);
      if (!BSON_ITER_HOLDS_UTF8(&entry)) continue;
      if (key == "name") name = bson_iter_utf8(&entry, nullptr);
      if (key == "status") status = bson_iter_utf8(&entry, nullptr);
    }
    out[name] = status;
  }
  return out;
}

class FaultTest : public IntegrationTest {
 protected:
  // Everything below reads through `p` so that a test on a server of its own can use it too.

  // Events of `name` with `action`.
  static std::int64_t events(DbProbe& p, const std::string& name, const std::string& action) {
    return p.count("migrationlogs_events", R"({"name": ")" + name + R"(", "action": ")" + action + R"("})");
  }

  // The invariant every test ends with: for migrations 1..count, each applied
  // record ran exactly once to its end (counter 1, one `applied` event), and
  // nothing not recorded applied ran to its end (counter 0, no `applied`
  // event) unless `allow_unrecorded` names it. The events of the two
  // migrations before `allow_unrecorded` (the one a crash left running) may
  // be missing: a migration's event is written while the next one runs, and
  // the runner waits for it only after the next outcome, which is written
  // with the claim of the one after (docs/design.md §3). Returns how many
  // are applied.
  int check_consistent(DbProbe& p, int count, std::optional<int> allow_unrecorded = std::nullopt) {
    return check_consistent(p, count, allow_unrecorded,
                            allow_unrecorded ? std::optional<int>(*allow_unrecorded - 1) : std::nullopt);
  }
  // As above; the events of `last_finished` and the one before it may be missing.
  int check_consistent(DbProbe& p, int count, std::optional<int> allow_unrecorded, std::optional<int> last_finished) {
    auto event_may_lack = [&](int n) { return last_finished && (n == *last_finished || n == *last_finished - 1); };
    int applied = 0;
    int lacking = 0;
    for (int n = 1; n <= count; ++n) {
      std::string name = migration_name(n);
      std::string status = log_status(p, name);
      EXPECT_LE(p.count("migrationlogs", R"({"name": ")" + name + R"("})"), 1) << name << ": one record at most";
      if (status == "applied") {
        ++applied;
        EXPECT_EQ(counter(p, n), ran_twice_ == n ? 2 : 1) << name << " is recorded applied: its effect is there, once";
        std::int64_t applied_events = events(p, name, "applied");
        if (event_may_lack(n) && applied_events == 0) {
          ++lacking;
        } else {
          EXPECT_EQ(applied_events, 1) << name << ": one applied event";
        }
      } else {
        EXPECT_EQ(events(p, name, "applied"), 0) << name << " (" << status << ") has no applied event";
        if (allow_unrecorded != n) {
          EXPECT_EQ(counter(p, n), 0) << name << " (" << status << ") did not run to its end";
        }
      }
    }
    EXPECT_EQ(p.count("migrationlogs_events", R"({"action": "applied"})"), applied - lacking)
        << "no applied event of a migration not applied";
    return applied;
  }

  // A migration left `running` that had reached its end (a crash after its
  // last command, before its outcome) and that `run` then applied again:
  // its counter is 2.
  std::optional<int> ran_twice_;
};

// ---- concurrency -------------------------------------------------------------

TEST_F(FaultTest, EightConcurrentUpsApplyEachMigrationExactlyOnce) {
  constexpr int kCount = 50;
  for (int n = 1; n <= kCount; ++n) write_migration(migration_name(n), counter_migration(n));

  std::vector<std::unique_ptr<BackgroundProcess>> runners;
  for (int i = 0; i < 8; ++i) {
    // A lease long enough that a runner starved of CPU (8 sanitized processes
    // on a shared machine) keeps it: this test is about the lock, not expiry.
    runners.push_back(cli_background({"up", "--lock-lease", "10s", "--lock-renew", "1s", "--by",
                                      "runner" + std::to_string(i)},
                                     bounded(120s)));
  }
  for (auto& r : runners) {
    ProcessResult result = r->wait();
    EXPECT_EQ(result.exit_code, 0) << describe(result);
  }

  EXPECT_EQ(check_consistent(probe(), kCount), kCount);
  for (int n = 1; n <= kCount; ++n) EXPECT_EQ(counter(probe(), n), 1) << migration_name(n);
  EXPECT_EQ(probe().count("migrationlogs", R"({"status": "applied"})"), kCount);
  EXPECT_EQ(probe().count("migrationlogs_events", R"({"action": "applied"})"), kCount);
  EXPECT_EQ(probe().count("migrationlogs_events", R"({"action": {"$ne": "applied"}})"), 0)
      << "no failure, no refusal";
  EXPECT_EQ(lock_leftovers(probe()), 0) << "every runner released the lock";
}

TEST_F(FaultTest, ConcurrentUpsWithAShortLockTimeoutEitherApplyOrGiveUpWith4) {
  constexpr int kCount = 50;
  // Ten inserts per migration: the whole run outlasts a 1 s timeout.
  for (int n = 1; n <= kCount; ++n) write_migration(migration_name(n), slow_migration(n, 10, 50));

  std::vector<std::unique_ptr<BackgroundProcess>> runners;
  for (int i = 0; i < 8; ++i) {
    runners.push_back(cli_background({"up", "--lock-timeout", "1s", "--lock-lease", "10s", "--lock-renew", "1s"},
                                     bounded(120s)));
  }
  int succeeded = 0, gave_up = 0;
  for (auto& r : runners) {
    ProcessResult result = r->wait();
    EXPECT_TRUE(result.exit_code == 0 || result.exit_code == 4) << describe(result);
    if (result.exit_code == 0) ++succeeded;
    if (result.exit_code == 4) {
      ++gave_up;
      EXPECT_TRUE(contains(result.err, "--lock-timeout")) << describe(result);
      EXPECT_TRUE(contains(result.err, host_name())) << "names the holder: " << describe(result);
    }
  }
  EXPECT_GE(succeeded, 1);
  check_consistent(probe(), kCount);

  // Whatever is left is applied by one more deploy; nothing twice.
  ProcessResult last = cli({"up"}, bounded());
  EXPECT_EQ(last.exit_code, 0) << describe(last);
  EXPECT_EQ(check_consistent(probe(), kCount), kCount);
  EXPECT_EQ(lock_leftovers(probe()), 0);
}

// ---- a runner killed with SIGKILL ----------------------------------------------

TEST_F(FaultTest, KilledRunnerLeavesAnInterruptedMigrationThatBlocksUpUntilRun) {
  write_migration(migration_name(1), slow_migration(1, 150, 200));
  write_migration(migration_name(2), counter_migration(2));
  write_migration(migration_name(3), counter_migration(3));
  const std::string first = migration_name(1);

  auto runner = cli_background(with_short_lease({"up", "--by", "doomed"}), bounded());
  ASSERT_TRUE(wait_until([&] { return log_status(probe(), first) == "running" || runner->finished(); }, 30s))
      << "stdout: " << runner->out() << "\nstderr: " << runner->err();
  ASSERT_EQ(log_status(probe(), first), "running") << "the runner ended before it could be killed: " << runner->err();
  ASSERT_TRUE(runner->signal(SIGKILL));
  ProcessResult killed = runner->wait();
  ASSERT_EQ(killed.exit_code, 128 + SIGKILL) << describe(killed);
  EXPECT_EQ(counter(probe(), 1), 0) << "killed before its last command";

  // Right after: the lease may still be live (running) or already expired (interrupted).
  ProcessResult status = cli({"status", "--json"}, bounded());
  ASSERT_EQ(status.exit_code, 0) << describe(status);
  auto statuses = reported_statuses(status.out);
  EXPECT_TRUE(statuses[first] == "running" || statuses[first] == "interrupted") << status.out;
  EXPECT_EQ(statuses[migration_name(2)], "pending") << status.out;
  EXPECT_EQ(number_in(lease_document(probe()), "pid"), runner->pid())
      << "the dead runner's lease is still there";

  // Once the lease has expired the record is reported interrupted.
  ProcessResult later;
  ASSERT_TRUE(wait_until(
      [&] {
        later = cli({"status", "--json"}, bounded());
        return reported_statuses(later.out)[first] == "interrupted";
      },
      15s))
      << describe(later);
  ProcessResult human = cli({"status"}, bounded());
  EXPECT_TRUE(contains(human.out, "interrupted")) << describe(human);
  EXPECT_TRUE(contains(human.out, "run " + first)) << "says how to recover: " << describe(human);

  ProcessResult validate = cli({"validate"}, bounded());
  EXPECT_EQ(validate.exit_code, 1) << describe(validate);
  EXPECT_TRUE(contains(validate.out + validate.err, first)) << describe(validate);

  // `up` refuses to pass it and runs nothing after it.
  ProcessResult up = cli(with_short_lease({"up", "--lock-timeout", "5s"}), bounded());
  EXPECT_EQ(up.exit_code, 1) << describe(up);
  EXPECT_TRUE(contains(up.err, first)) << describe(up);
  EXPECT_TRUE(contains(up.err, "run " + first)) << describe(up);
  EXPECT_EQ(log_status(probe(), first), "running") << "still the crash evidence";
  EXPECT_EQ(probe().count("migrationlogs", R"({"name": {"$ne": ")" + first + R"("}})"), 0)
      << "no later migration was started";
  EXPECT_EQ(counter(probe(), 2), 0);
  EXPECT_EQ(counter(probe(), 3), 0);

  // `run` recovers it (taking over the expired lease), then `up` applies the rest.
  ProcessResult run = cli(with_short_lease({"run", first, "--by", "rescuer"}), bounded());
  ASSERT_EQ(run.exit_code, 0) << describe(run);
  EXPECT_EQ(log_status(probe(), first), "applied");
  EXPECT_EQ(probe().string_field("migrationlogs", R"({"name": ")" + first + R"("})", "appliedBy"), "rescuer");
  ProcessResult rest = cli(with_short_lease({"up"}), bounded());
  ASSERT_EQ(rest.exit_code, 0) << describe(rest);

  EXPECT_EQ(check_consistent(probe(), 3), 3);
  EXPECT_EQ(lock_leftovers(probe()), 0) << "the lease is released";
  ProcessResult valid = cli({"validate"}, bounded());
  EXPECT_EQ(valid.exit_code, 0) << describe(valid);
}

// ---- what a killed runner left ------------------------------------------------

// Migrations that finished before the kill are in the log, each once (the log
// never lags), and the one it had started is `running`: interrupted once its
// lease is gone, whether cleared (`unlock`) or taken over (`up` after expiry).
class KilledRunnerTest : public FaultTest, public ::testing::WithParamInterface<bool> {};

TEST_P(KilledRunnerTest, FinishedMigrationsReachTheLogOnceAndTheStartedOneIsInterrupted) {
  const bool by_unlock = GetParam();
  constexpr int kFast = 5;
  for (int n = 1; n <= kFast; ++n) write_migration(migration_name(n), counter_migration(n));
  const std::string slow = migration_name(kFast + 1);
  write_migration(slow, slow_migration(kFast + 1, 150, 200));
  write_migration(migration_name(kFast + 2), counter_migration(kFast + 2));

  auto runner = cli_background(with_short_lease({"up", "--by", "doomed"}), bounded());
  ASSERT_TRUE(wait_until([&] { return log_status(probe(), slow) == "running" || runner->finished(); }, 30s))
      << runner->err();
  ASSERT_TRUE(runner->signal(SIGKILL));
  ASSERT_EQ(runner->wait().exit_code, 128 + SIGKILL);
  ASSERT_EQ(counter(probe(), kFast + 1), 0) << "killed before its last command";

  // Readers see the finished ones applied.
  ProcessResult status = cli({"status", "--json"}, bounded());
  ASSERT_EQ(status.exit_code, 0) << describe(status);
  auto statuses = reported_statuses(status.out);
  for (int n = 1; n <= kFast; ++n) EXPECT_EQ(statuses[migration_name(n)], "applied") << status.out;
  EXPECT_TRUE(statuses[slow] == "running" || statuses[slow] == "interrupted") << status.out;
  EXPECT_EQ(statuses[migration_name(kFast + 2)], "pending") << status.out;
  ProcessResult history = cli({"history", "--json", "--limit", "100"}, bounded());
  ASSERT_EQ(history.exit_code, 0) << describe(history);
  std::size_t applied_events = 0;
  for (std::size_t at = history.out.find(R"("action":"applied")"); at != std::string::npos;
       at = history.out.find(R"("action":"applied")", at + 1)) {
    ++applied_events;
  }
  // The last two events may be lost: the last one's was being written while
  // the slow one ran, and the one before it is waited for only after the
  // outcome that claimed the slow one.
  EXPECT_GE(applied_events, static_cast<std::size_t>(kFast - 2)) << history.out;
  EXPECT_LE(applied_events, static_cast<std::size_t>(kFast)) << history.out;
  check_consistent(probe(), kFast + 2, kFast + 1);
  std::map<int, std::int64_t> events_before;
  for (int n = 1; n <= kFast; ++n) events_before[n] = events(probe(), migration_name(n), "applied");

  if (by_unlock) {
    ProcessResult unlock = cli({"unlock", "--force", "--reason", "runner killed"}, bounded());
    ASSERT_EQ(unlock.exit_code, 0) << describe(unlock);
  } else {
    // Once the lease has expired, `up` takes it over and is then blocked by
    // the interrupted migration.
    ProcessResult up;
    ASSERT_TRUE(wait_until(
        [&] {
          up = cli(with_short_lease({"up", "--lock-timeout", "0s"}), bounded());
          return up.exit_code != 4;
        },
        15s))
        << describe(up);
    EXPECT_EQ(up.exit_code, 1) << describe(up);
    EXPECT_TRUE(contains(up.err, slow)) << describe(up);
  }
  // The log itself now has everything, once; the lock is gone.
  EXPECT_EQ(lock_leftovers(probe()), 0);
  for (int n = 1; n <= kFast; ++n) {
    EXPECT_EQ(log_status(probe(), migration_name(n)), "applied") << n;
    EXPECT_EQ(events(probe(), migration_name(n), "applied"), events_before[n]) << n << ": recovery adds no event";
  }
  EXPECT_EQ(log_status(probe(), slow), "running") << "the crash evidence";
  EXPECT_EQ(probe().count("migrationlogs", R"({"name": ")" + migration_name(kFast + 2) + R"("})"), 0);

  ProcessResult run = cli(with_short_lease({"run", slow}), bounded());
  ASSERT_EQ(run.exit_code, 0) << describe(run);
  ProcessResult rest = cli(with_short_lease({"up"}), bounded());
  ASSERT_EQ(rest.exit_code, 0) << describe(rest);
  EXPECT_EQ(check_consistent(probe(), kFast + 2, std::nullopt, kFast), kFast + 2);
  EXPECT_EQ(lock_leftovers(probe()), 0);
}

INSTANTIATE_TEST_SUITE_P(Recovery, KilledRunnerTest, ::testing::Values(true, false),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? std::string("ByUnlock") : std::string("ByTakeover");
                         });

// ---- the server killed and restarted ------------------------------------------

TEST_F(FaultTest, ServerKilledMidRunExits3AndTheLogStaysConsistentAfterRestart) {
  SKIP_UNLESS_LOCAL_SERVER("it kills and restarts FerretDB");
  // A server of its own: the shared one stays up for the other tests.
  FerretDbServer own;
  const std::string own_uri = own.uri(db(), "serverSelectionTimeoutMS=1500&connectTimeoutMS=1000");
  DbProbe p(own_uri, db());
  auto own_cli = [&](std::vector<std::string> args) {
    args.insert(args.end(), {"--uri", own_uri, "--dir", dir()});
    return cli(with_short_lease(std::move(args)), bounded(), false);
  };
  constexpr int kCount = 4;
  for (int n = 1; n <= kCount; ++n) write_migration(migration_name(n), slow_migration(n, 60, 200));

  auto runner = cli_background(with_short_lease({"up", "--uri", own_uri, "--dir", dir()}), bounded(), false);
  const std::string second = migration_name(2);
  // Inside the second migration: claimed, and its first insert sent.
  auto in_flight = [&] { return log_status(p, second) == "running" && p.count("bulk", R"({"m": 2})") > 0; };
  ASSERT_TRUE(caught(in_flight, [&] { return runner->finished(); }, 30s))
      << "stdout: " << runner->out() << "\nstderr: " << runner->err();
  own.crash();  // not stop(): FerretDB would finish serving the open connection

  ProcessResult crashed = runner->wait();
  EXPECT_EQ(crashed.exit_code, 3) << describe(crashed);
  EXPECT_TRUE(contains(crashed.err, "cannot reach the database")) << describe(crashed);
  EXPECT_FALSE(contains(crashed.err, "applied.")) << describe(crashed);

  own.start();
  // Nothing is recorded applied that did not complete. The migration left
  // `running` (if the server died inside one) may have got anywhere.
  std::optional<int> left_running;
  for (int n = 1; n <= kCount; ++n) {
    if (log_status(p, migration_name(n)) == "running") left_running = n;
  }
  EXPECT_LE(p.count("migrationlogs", R"({"status": "running"})"), 1);
  int applied_before = check_consistent(p, kCount, left_running);
  if (left_running) {
    // Its commands were under way, or (the next one, claimed with the
    // outcome of the one before) not started and not given back.
    EXPECT_TRUE(contains(crashed.err, migration_name(*left_running) + " did not finish") ||
                contains(crashed.err, migration_name(*left_running) + " was not started and stays marked running") ||
                contains(crashed.err, migration_name(*left_running) + " ran to its end, but recording it applied failed"))
        << describe(crashed);
  }
  EXPECT_GE(applied_before, 1) << "the first migration finished before the server went away";
  EXPECT_LT(applied_before, kCount);

  // After the lease has expired, status shows no live runner.
  ProcessResult status;
  ASSERT_TRUE(wait_until(
      [&] {
        status = own_cli({"status", "--json"});
        if (status.exit_code != 0) return false;
        for (const auto& [name, s] : reported_statuses(status.out)) {
          if (s == "running") return false;
        }
        return true;
      },
      20s))
      << describe(status);
  auto statuses = reported_statuses(status.out);
  std::optional<std::string> interrupted;
  int applied_reported = 0;
  for (const auto& [name, s] : statuses) {
    if (s == "interrupted") interrupted = name;
    if (s == "applied") ++applied_reported;
    EXPECT_TRUE(s == "applied" || s == "pending" || s == "interrupted") << name << " " << s;
  }
  EXPECT_EQ(applied_reported, applied_before) << status.out;
  EXPECT_EQ(interrupted.has_value(), left_running.has_value()) << status.out;
  if (interrupted && left_running) {
    EXPECT_EQ(*interrupted, migration_name(*left_running));
  }

  if (interrupted) {
    // Left running: reported interrupted, blocks `up` until `run`.
    ProcessResult blocked = own_cli({"up"});
    EXPECT_EQ(blocked.exit_code, 1) << describe(blocked);
    EXPECT_TRUE(contains(blocked.err, *interrupted)) << describe(blocked);
    EXPECT_EQ(check_consistent(p, kCount, left_running), applied_before) << "a blocked up runs nothing";
    if (left_running && counter(p, *left_running) == 1) ran_twice_ = left_running;
    ProcessResult run = own_cli({"run", *interrupted});
    ASSERT_EQ(run.exit_code, 0) << describe(run);
  }
  ProcessResult up = own_cli({"up"});
  ASSERT_EQ(up.exit_code, 0) << describe(up);
  EXPECT_EQ(check_consistent(p, kCount, std::nullopt,
                             left_running ? std::optional<int>(*left_running - 1) : std::nullopt),
            kCount);
  EXPECT_EQ(lock_leftovers(p), 0);
  ProcessResult validate = own_cli({"validate"});
  EXPECT_EQ(validate.exit_code, 0) << describe(validate);
}

// ---- the lease stolen mid-run ---------------------------------------------------

TEST_F(FaultTest, RunnerThatLosesItsLeaseStopsBeforeTheNextMigration) {
  constexpr int kCount = 10;
  // About half a second each: a window wide enough to see the second in flight.
  for (int n = 1; n <= kCount; ++n) write_migration(migration_name(n), slow_migration(n, 150, 200));

  auto runner = cli_background(with_short_lease({"up", "--by", "victim"}, "200ms"), bounded());
  const std::string second = migration_name(2);
  // In flight: claimed, and its lease check passed (its first insert is in).
  auto in_flight = [&] { return log_status(probe(), second) == "running" && probe().count("bulk", R"({"m": 2})") > 0; };
  ASSERT_TRUE(caught(in_flight, [&] { return runner->finished(); }, 30s))
      << "stdout: " << runner->out() << "\nstderr: " << runner->err();

  // Another process takes the lease over (as after an expiry, or a forced unlock).
  steal_lease(probe());

  ProcessResult result = runner->wait();
  EXPECT_EQ(result.exit_code, 4) << describe(result);
  EXPECT_TRUE(contains(result.err, "lost")) << describe(result);

  int applied = check_consistent(probe(), kCount);
  EXPECT_GE(applied, 2) << "the migration in flight is finished and recorded";
  EXPECT_LT(applied, kCount) << "the runner stopped before the end";
  EXPECT_EQ(probe().count("migrationlogs", R"({"status": {"$ne": "applied"}})"), 0)
      << "nothing left running or failed: it stopped between migrations";
  ASSERT_EQ(probe().count("migrationlogs_events", R"({"action": "stopped"})"), 1);
  EXPECT_EQ(probe().string_field("migrationlogs_events", R"({"action": "stopped"})", "name"),
            migration_name(applied + 1))
      << "stopped before the first one it did not run";
  // Why it stopped is the event's `reason` (as for unlock and mark); it is
  // not an error of the migration, which never ran.
  std::string why = probe().string_field("migrationlogs_events", R"({"action": "stopped"})", "reason");
  EXPECT_TRUE(contains(why, "lease")) << why;
  EXPECT_EQ(probe().count("migrationlogs_events", R"({"action": "stopped", "error": {"$exists": true}})"), 0);
  EXPECT_EQ(probe().string_field("migrationlogs_events", R"({"action": "stopped"})", "by"), "victim");
  EXPECT_EQ(lease_field(probe(), "owner"), "thief:1:feedface")
      << "the runner does not release a lease that is not its own";
}

// ---- SIGTERM / SIGINT -------------------------------------------------------------

class SignalTest : public FaultTest, public ::testing::WithParamInterface<int> {};

TEST_P(SignalTest, StopsAfterTheCurrentCommandRecordsFailedAndReleasesTheLock) {
  const int signo = GetParam();
  const std::string first = migration_name(1);
  // Many commands, so the signal lands between two of them.
  write_migration(first, slow_migration(1, 400, 40));
  write_migration(migration_name(2), counter_migration(2));

  auto runner = cli_background(with_short_lease({"up", "--by", "deployer"}), bounded());
  ASSERT_TRUE(wait_until(
      [&] { return (log_status(probe(), first) == "running" && probe().count("bulk") > 0) || runner->finished(); },
      30s))
      << runner->err();
  ASSERT_EQ(log_status(probe(), first), "running") << "stdout: " << runner->out() << "\nstderr: " << runner->err();
  ASSERT_TRUE(runner->signal(signo));
  ProcessResult result = runner->wait();

  EXPECT_EQ(result.exit_code, 128 + signo) << describe(result);
  EXPECT_TRUE(contains(result.err, "interrupted by signal " + std::to_string(signo))) << describe(result);
  EXPECT_EQ(log_status(probe(), first), "failed");
  std::string error = probe().string_field("migrationlogs", R"({"name": ")" + first + R"("})", "error");
  EXPECT_TRUE(contains(error, "interrupted by signal")) << error;
  EXPECT_EQ(events(probe(), first, "failed"), 1);
  EXPECT_LT(probe().count("bulk"), 400 * 40) << "it stopped before its last command";
  EXPECT_EQ(lock_leftovers(probe()), 0) << "the lease is released";
  EXPECT_EQ(probe().count("migrationlogs", R"({"name": ")" + migration_name(2) + R"("})"), 0)
      << "later migrations are not run";
  check_consistent(probe(), 2);

  // The failure blocks `up`; `run` re-runs it, then `up` applies the rest.
  ProcessResult dry = cli({"up", "--dry-run"}, bounded());
  EXPECT_EQ(dry.exit_code, 1) << describe(dry);
  EXPECT_TRUE(contains(dry.err, "blocked by " + first)) << describe(dry);
  EXPECT_FALSE(contains(dry.out, "every migration is applied")) << describe(dry);
  ProcessResult blocked = cli(with_short_lease({"up"}), bounded());
  EXPECT_EQ(blocked.exit_code, 1) << describe(blocked);
  EXPECT_TRUE(contains(blocked.err, "blocked by " + first)) << describe(blocked);
  EXPECT_EQ(counter(probe(), 2), 0);
  ASSERT_EQ(cli(with_short_lease({"run", first}), bounded()).exit_code, 0);
  ASSERT_EQ(cli(with_short_lease({"up"}), bounded()).exit_code, 0);
  EXPECT_EQ(check_consistent(probe(), 2), 2);
  EXPECT_EQ(events(probe(), first, "failed"), 1);
}

INSTANTIATE_TEST_SUITE_P(Signals, SignalTest, ::testing::Values(SIGTERM, SIGINT),
                         [](const ::testing::TestParamInfo<int>& info) {
                           return info.param == SIGTERM ? std::string("SIGTERM") : std::string("SIGINT");
                         });

// ---- a held lock ---------------------------------------------------------------------

TEST_F(FaultTest, WaiterGivesUpWith4NamingTheHolderAndReadersNeverTakeTheLock) {
  constexpr int kCount = 2;
  for (int n = 1; n <= kCount; ++n) write_migration(migration_name(n), slow_migration(n, 40, 200));

  // The holder is frozen (SIGSTOP) in the middle of its first migration, so
  // it holds a live lease for as long as the checks take and writes nothing
  // meanwhile; its lease outlasts the checks.
  auto holder = cli_background({"up", "--by", "holder", "--lock-lease", "30s", "--lock-renew", "1s"}, bounded());
  const std::string first = migration_name(1);
  // Inside the first migration: claimed, and its first insert (which
  // creates `bulk`, slow on DocumentDB) done.
  ASSERT_TRUE(wait_until(
      [&] {
        return (log_status(probe(), first) == "running" && probe().count("bulk", R"({"m": 1})") > 0) ||
               holder->finished();
      },
      30s))
      << holder->err();
  ASSERT_TRUE(holder->signal(SIGSTOP));
  ASSERT_EQ(log_status(probe(), first), "running") << "stdout: " << holder->out() << "\nstderr: " << holder->err();
  // A command already sent (an insert, a renewal) completes: the database
  // holds still once two snapshots 200 ms apart agree.
  std::vector<std::string> before, again = probe().snapshot();
  for (int i = 0; i < 50 && again != before; ++i) {
    before = std::move(again);
    std::this_thread::sleep_for(200ms);
    again = probe().snapshot();
  }
  ASSERT_EQ(again, before) << "the stopped holder's commands ended";
  ASSERT_EQ(number_in(lease_document(probe()), "pid"), holder->pid()) << lease_document(probe());

  auto start = std::chrono::steady_clock::now();
  ProcessResult waiter = cli(with_short_lease({"up", "--lock-timeout", "1s", "--by", "waiter"}), bounded());
  EXPECT_GE(std::chrono::steady_clock::now() - start, 1s) << "it waited for --lock-timeout";
  EXPECT_EQ(waiter.exit_code, 4) << describe(waiter);
  EXPECT_TRUE(contains(waiter.err, "pid " + std::to_string(holder->pid()))) << describe(waiter);
  EXPECT_TRUE(contains(waiter.err, host_name())) << describe(waiter);
  EXPECT_TRUE(contains(waiter.err, "holder")) << "names who holds it: " << describe(waiter);
  ProcessResult waiter_json = cli({"up", "--lock-timeout", "200ms", "--json"}, bounded());
  EXPECT_EQ(waiter_json.exit_code, 4) << describe(waiter_json);
  EXPECT_TRUE(contains(waiter_json.out, R"("exitCode":4)")) << describe(waiter_json);

  // Readers work while the lock is held and write nothing.
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"status"}, {"status", "--json"}, {"validate"}, {"history"}, {"up", "--dry-run"}}) {
    ProcessResult r = cli(args, bounded());
    EXPECT_EQ(r.exit_code, 0) << args.front() << ": " << describe(r);
  }
  ProcessResult dry = cli({"up", "--dry-run"}, bounded());
  EXPECT_TRUE(contains(dry.out, "another runner is applying or reverting " + first)) << describe(dry);
  EXPECT_FALSE(contains(dry.out, "every migration is applied")) << describe(dry);
  ProcessResult dry_json = cli({"up", "--dry-run", "--json"}, bounded());
  EXPECT_EQ(dry_json.exit_code, 0) << describe(dry_json);
  EXPECT_TRUE(contains(dry_json.out, R"("runningElsewhere":")" + first)) << describe(dry_json);
  EXPECT_TRUE(contains(dry_json.out, R"("blockedBy":null)")) << describe(dry_json);
  ProcessResult status = cli({"status"}, bounded());
  EXPECT_TRUE(contains(status.out, "Lock: held by holder")) << describe(status);
  EXPECT_TRUE(contains(status.out, "pid " + std::to_string(holder->pid()))) << describe(status);
  EXPECT_TRUE(contains(status.out, "running")) << describe(status);
  EXPECT_EQ(probe().snapshot(), before) << "neither the waiters nor the readers wrote anything";

  ASSERT_TRUE(holder->signal(SIGCONT));
  ProcessResult done = holder->wait();
  EXPECT_EQ(done.exit_code, 0) << describe(done);
  EXPECT_EQ(check_consistent(probe(), kCount), kCount);
  EXPECT_EQ(probe().count("migrationlogs_events", R"({"by": "waiter"})"), 0) << "the waiter wrote nothing";
  EXPECT_EQ(lock_leftovers(probe()), 0);
}

TEST_F(FaultTest, ReadersWriteNothingWhileAnotherProcessHoldsTheLock) {
  write_migration(migration_name(1), counter_migration(1));
  write_migration(migration_name(2), counter_migration(2));
  ASSERT_EQ(cli({"run", migration_name(1)}, bounded()).exit_code, 0);
  // A live lease held by a process elsewhere, between two of its migrations.
  write_lease(probe(), {});
  std::vector<std::string> before = probe().snapshot();

  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"status"}, {"status", "--json"}, {"validate"}, {"history"}, {"up", "--dry-run"}}) {
    ProcessResult r = cli(args, bounded());
    EXPECT_EQ(r.exit_code, 0) << args.front() << ": " << describe(r);
  }
  ProcessResult dry = cli({"up", "--dry-run"}, bounded());
  EXPECT_TRUE(contains(dry.out, migration_name(2))) << describe(dry);
  ProcessResult status = cli({"status"}, bounded());
  EXPECT_TRUE(contains(status.out, "elsewhere")) << describe(status);
  EXPECT_TRUE(contains(status.out, "4242")) << describe(status);
  EXPECT_EQ(probe().snapshot(), before) << "readers wrote nothing, to the lock or anywhere";

  ProcessResult up = cli({"up", "--lock-timeout", "500ms"}, bounded());
  EXPECT_EQ(up.exit_code, 4) << describe(up);
  EXPECT_TRUE(contains(up.err, "elsewhere")) << describe(up);
  EXPECT_TRUE(contains(up.err, "4242")) << describe(up);
  EXPECT_EQ(counter(probe(), 2), 0);
  EXPECT_EQ(probe().snapshot(), before) << "a runner that gave up wrote nothing";
}

// ---- a no-op deploy --------------------------------------------------------------------

TEST_F(FaultTest, NoOpDeployDoesNotCreateTheLockCollection) {
  write_migration(migration_name(1), counter_migration(1));
  write_migration(migration_name(2), counter_migration(2));
  ProcessResult first = cli({"up"}, bounded());
  ASSERT_EQ(first.exit_code, 0) << describe(first);
  ASSERT_TRUE(probe().has_collection("migrationlogs_lock")) << "a real deploy takes the lock";
  EXPECT_EQ(lock_leftovers(probe()), 0);
  probe().command(R"({"drop": "migrationlogs_lock"})");
  ASSERT_FALSE(probe().has_collection("migrationlogs_lock"));
  std::vector<std::string> before = probe().snapshot();

  ProcessResult again = cli({"up"}, bounded());
  EXPECT_EQ(again.exit_code, 0) << describe(again);
  EXPECT_TRUE(contains(again.out, "every migration is applied")) << describe(again);
  for (std::vector<std::string> args :
       std::vector<std::vector<std::string>>{{"status"}, {"validate"}, {"history"}, {"up", "--dry-run"}}) {
    ProcessResult r = cli(args, bounded());
    EXPECT_EQ(r.exit_code, 0) << args.front() << ": " << describe(r);
  }
  EXPECT_FALSE(probe().has_collection("migrationlogs_lock")) << "a no-op deploy does not touch the lock";
  EXPECT_EQ(probe().snapshot(), before);
  EXPECT_EQ(check_consistent(probe(), 2), 2);
}

}  // namespace
}  // namespace mongomigrate::testing
