// A replica set election in the middle of `up`: for some seconds no member
// is primary, and the primary that stepped down refuses every command. The
// test server is one FerretDB, so the wire proxy (support/wire_proxy.h)
// plays a one-member set "rs0" in front of it: its hello says primary, then
// (once the command the test picks comes) secondary for the length of the
// election, every command meanwhile refused with NotWritablePrimary before
// the server sees it, then primary again with a later election id. The
// driver retries a tracking write once after such a refusal; the retry must
// wait for the new primary rather than fail at the first look.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "mongomigrate/migrator.h"
#include "support/counter_migrations.h"
#include "support/integration.h"
#include "support/lock_docs.h"
#include "support/wire_proxy.h"

namespace mongomigrate::testing {
namespace {

using namespace std::chrono_literals;

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

bool is_outcome_and_next_claim(const WireProxy::Exchange& e) {
  return e.name == "update" && e.collection == "migrationlogs" && e.statements == 2;
}

class ElectionTest : public IntegrationTest {
 protected:
  // The proxy plays a replica set member, which invites retryable writes
  // (txnNumber): FerretDB, a replica set member and mongos take them, a
  // standalone mongod refuses them.
  void SetUp() override {
    IntegrationTest::SetUp();
    if (!server().external()) return;
    if (server().retry_writes_off()) {
      GTEST_SKIP() << "needs retryable writes, as the replica set the proxy plays invites them: "
                      "MONGOMIGRATE_TEST_URI turns them off (retryWrites=false)";
    }
    if (std::string hello = probe().command(R"({"hello": 1})");
        contains(hello, "\"setName\"") || contains(hello, "isdbgrid")) {
      return;
    }
    if (contains(probe().command(R"({"buildInfo": 1})"), "\"ferretdb")) return;  // ferretdb (2) or ferretdbVersion
    GTEST_SKIP() << "needs a server that takes retryable writes, as the replica set the proxy plays invites them: "
                    "MONGOMIGRATE_TEST_URI names a standalone mongod";
  }

  // The proxy's threads use the members below: stop it before they go.
  void TearDown() override {
    proxy_.reset();
    IntegrationTest::TearDown();
  }

  // From the first command for which `starts` holds, `length` without a
  // primary (that command refused too), then a new primary.
  void start_set(std::function<bool(const WireProxy::Exchange&)> starts, std::chrono::milliseconds length) {
    proxy_ = std::make_unique<WireProxy>(
        server().proxiable_address(nullptr).value(),
        [this](WireProxy::Exchange& e) {
          if (!is_hello(e.name)) return WireProxy::Verdict::kPass;
          std::lock_guard lock(mutex_);
          as_replica_set_member(e.reply, e.name, port_.load(), !electing(), term_, other_members_);
          return WireProxy::Verdict::kEdited;
        },
        [this, starts = std::move(starts), length](WireProxy::Exchange& e) {
          // A secondary answers the handshake and authenticates.
          if (is_hello(e.name) || e.name == "saslStart" || e.name == "saslContinue") return false;
          std::lock_guard lock(mutex_);
          if (!elected_ && !electing() && starts(e)) election_ends_at_ = std::chrono::steady_clock::now() + length;
          if (!electing()) return false;
          refused_.push_back(e.name + " " + e.collection);
          refuse_as_not_primary(e.command, e.reply);
          return true;
        });
    port_ = proxy_->port();
  }

  // The proxy's URI as set rs0. Server selection may wait 10 s, longer than
  // the election.
  std::string set_uri(const std::string& options = "") {
    return server().uri_via(port_.load(), db(),
                            "replicaSet=rs0&serverSelectionTimeoutMS=10000&connectTimeoutMS=2000" + options);
  }

  // mongo-migrate through the proxy, which it takes for set rs0.
  ProcessResult via_set(std::vector<std::string> args, const std::string& options = "") {
    args.insert(args.end(), {"--uri", set_uri(options), "--dir", dir()});
    return cli(std::move(args), bounded(), /*with_defaults=*/false);
  }

  std::vector<std::string> refused() {
    std::lock_guard lock(mutex_);
    return refused_;
  }

 private:
  // Whether the election is under way; once over, the next term's primary
  // is elected for good. Called with mutex_ held.
  bool electing() {
    if (!election_ends_at_) return false;
    if (std::chrono::steady_clock::now() < *election_ends_at_) return true;
    if (!elected_) {
      elected_ = true;
      ++term_;
    }
    return false;
  }

  std::unique_ptr<WireProxy> proxy_;
  std::atomic<int> port_{0};

 protected:
  std::vector<std::string> other_members_;  // set before start_set(): listed in every hello

 private:
  std::mutex mutex_;  // guards the members below
  std::optional<std::chrono::steady_clock::time_point> election_ends_at_;
  bool elected_ = false;
  int term_ = 1;
  std::vector<std::string> refused_;  // "<command> <collection>" of each command refused
};

// The election starts as a migration's outcome is written with the next
// one's claim: the driver's retry waits for the new primary, and the run
// goes on as if nothing happened.
TEST_F(ElectionTest, AnElectionDuringATrackingWriteIsWaitedOut) {
  SKIP_UNLESS_PROXIABLE();
  constexpr int kCount = 5;
  for (int n = 1; n <= kCount; ++n) write_migration(migration_name(n), counter_migration(n));
  start_set(is_outcome_and_next_claim, 2s);

  ProcessResult up = via_set({"up"});
  EXPECT_EQ(up.exit_code, 0) << describe(up);
  const std::vector<std::string> seen = refused();
  ASSERT_FALSE(seen.empty()) << "the election happened\n" << describe(up);
  EXPECT_EQ(seen.front(), "update migrationlogs");
  for (int n = 1; n <= kCount; ++n) {
    EXPECT_EQ(counter(probe(), n), 1) << migration_name(n) << " ran once";
    EXPECT_EQ(log_status(probe(), migration_name(n)), "applied") << migration_name(n);
  }
  EXPECT_EQ(probe().count("migrationlogs_events"), kCount) << "one event each";
  EXPECT_EQ(lock_leftovers(probe()), 0) << "the lock was released";
}

// The election starts at each other kind of tracking write of `up` and
// `down`: every one is retried on the new primary, and both runs finish.
struct ElectionAt {
  const char* name;
  const char* command;     // the command the election starts at
  const char* collection;  // ... on this collection
  bool in_down;            // during `down` rather than `up`
  int nth = 1;             // ... the nth such command
};

class ElectionAtEveryWriteTest : public ElectionTest, public ::testing::WithParamInterface<ElectionAt> {};

TEST_P(ElectionAtEveryWriteTest, IsWaitedOut) {
  SKIP_UNLESS_PROXIABLE();
  const ElectionAt at = GetParam();
  constexpr int kCount = 3;
  for (int n = 1; n <= kCount; ++n) write_migration(migration_name(n), revertible_counter_migration(n));
  if (at.in_down) {
    ASSERT_EQ(cli({"up"}, bounded()).exit_code, 0);
  }
  start_set([at, seen = 0](const WireProxy::Exchange& e) mutable {
    return e.name == at.command && e.collection == at.collection && ++seen == at.nth;
  }, 2s);

  ProcessResult run = at.in_down ? via_set({"down"}) : via_set({"up"});
  EXPECT_EQ(run.exit_code, 0) << describe(run);
  const std::vector<std::string> seen = refused();
  ASSERT_FALSE(seen.empty()) << "the election happened\n" << describe(run);
  EXPECT_EQ(seen.front(), std::string(at.command) + " " + at.collection);
  for (int n = 1; n <= kCount; ++n) {
    const bool reverted = at.in_down && n == kCount;
    EXPECT_EQ(counter(probe(), n), reverted ? 0 : 1) << migration_name(n) << " ran once (and was reverted)";
    EXPECT_EQ(log_status(probe(), migration_name(n)), reverted ? "reverted" : "applied") << migration_name(n);
  }
  EXPECT_EQ(probe().count("migrationlogs", R"({"status": "running"})"), 0);
  EXPECT_EQ(lock_leftovers(probe()), 0) << "the lock was released";
}

INSTANTIATE_TEST_SUITE_P(
    Writes, ElectionAtEveryWriteTest,
    ::testing::Values(ElectionAt{"LeaseInsert", "insert", "migrationlogs_lock", false},
                      ElectionAt{"FirstClaim", "insert", "migrationlogs", false},
                      // The last migration's: an earlier one's is sent while the next migration's command
                      // runs, which the election would refuse (the migration then fails, as tested above).
                      ElectionAt{"Event", "insert", "migrationlogs_events", false, 3},
                      ElectionAt{"LeaseRelease", "delete", "migrationlogs_lock", false},
                      ElectionAt{"RevertClaim", "update", "migrationlogs", true}),
    [](const ::testing::TestParamInfo<ElectionAt>& info) { return std::string(info.param.name); });

// A member of the set that is down fails every check of it, while the
// primary answers: nothing waits, so nothing is announced (on_server_wait);
// with no writable server in sight it would be.
TEST_F(ElectionTest, AMemberThatIsDownIsNotAnnouncedWhileThePrimaryAnswers) {
  SKIP_UNLESS_PROXIABLE();
  for (int n = 1; n <= 2; ++n) write_migration(migration_name(n), counter_migration(n));
  other_members_ = {"127.0.0.1:" + std::to_string(free_loopback_port())};
  start_set([](const WireProxy::Exchange&) { return false; }, 0s);
  std::vector<std::string> told;
  MigratorOptions options;
  // Checked every half second, a member that failed after 5 s (libmongoc's
  // cooldown): the member that is down fails again and again while the run
  // and the reads after it go on.
  options.uri = set_uri("&heartbeatFrequencyMS=500");
  options.directory = dir();
  options.on_server_wait = [&](const std::string& why) { told.push_back(why); };
  auto migrator = Migrator::open(options);
  ASSERT_TRUE(migrator) << migrator.error().message;
  auto report = migrator->run_pending();
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_TRUE(report->ok());
  EXPECT_EQ(counter(probe(), 2), 1);
  for (int i = 0; i < 3; ++i) {
    std::this_thread::sleep_for(2700ms);
    auto status = migrator->status();
    ASSERT_TRUE(status) << status.error().message;
  }
  EXPECT_TRUE(told.empty()) << told.front();
}

// The same election with the driver's single-threaded default, which the
// URI can still ask for: the retry finds no primary, and a migration that
// ran to its end is left marked running (what waiting prevents). Reads are
// not retried here: libmongoc 1.23 leaks the first reply of a read whose
// retry finds no server (128 bytes, which the sanitizer build reports).
TEST_F(ElectionTest, WithSelectionTriedOnceTheSameElectionLeavesAFinishedMigrationRunning) {
  SKIP_UNLESS_PROXIABLE();
  for (int n = 1; n <= 3; ++n) write_migration(migration_name(n), counter_migration(n));
  // Longer than test 1's: the one look must fall inside it, however slow
  // the machine (every call fails at once, so it costs no time).
  start_set(is_outcome_and_next_claim, 8s);

  ProcessResult up = via_set({"up"}, "&serverSelectionTryOnce=true&retryReads=false");
  EXPECT_EQ(up.exit_code, 3) << describe(up);
  EXPECT_TRUE(contains(up.err, "001-step.json ran to its end, but recording it applied failed: cannot record "
                               "001-step.json as applied: not primary; no primary was found in time"))
      << describe(up);
  EXPECT_TRUE(contains(up.err, "if its record still says running, check, then `mark 001-step.json --as applied`"))
      << describe(up);
  EXPECT_FALSE(refused().empty()) << describe(up);
  EXPECT_EQ(counter(probe(), 1), 1);
  EXPECT_EQ(log_status(probe(), migration_name(1)), "running") << "its outcome was never written";
}

// The election starts at a migration's own command, which the driver does
// not retry (it may not be safe to run twice): that migration fails and is
// recorded failed once a primary is back, and `run` applies it.
TEST_F(ElectionTest, AnElectionDuringAMigrationCommandFailsThatMigrationCleanly) {
  SKIP_UNLESS_PROXIABLE();
  constexpr int kCount = 3;
  for (int n = 1; n <= kCount; ++n) write_migration(migration_name(n), counter_migration(n));
  start_set([commands = 0](const WireProxy::Exchange& e) mutable {
    return e.collection == "counters" && ++commands == 2;
  }, 2s);

  ProcessResult up = via_set({"up"});
  EXPECT_EQ(up.exit_code, 1) << describe(up);
  EXPECT_TRUE(contains(up.err, "not primary; the replica set's primary stepped down as it ran (an election"))
      << describe(up);
  EXPECT_EQ(counter(probe(), 1), 1);
  EXPECT_EQ(counter(probe(), 2), 0) << "its command was refused";
  EXPECT_EQ(log_status(probe(), migration_name(1)), "applied");
  EXPECT_EQ(log_status(probe(), migration_name(2)), "failed");
  EXPECT_EQ(probe().count("migrationlogs", R"({"status": "running"})"), 0) << "nothing shows interrupted";
  EXPECT_EQ(lock_leftovers(probe()), 0) << "the lock was released";

  // A failed migration blocks `up` until it is run again by name.
  ProcessResult blocked = via_set({"up"});
  EXPECT_EQ(blocked.exit_code, 1) << describe(blocked);
  ProcessResult run = via_set({"run", migration_name(2)});
  ASSERT_EQ(run.exit_code, 0) << describe(run);
  ProcessResult again = via_set({"up"});
  ASSERT_EQ(again.exit_code, 0) << describe(again);
  for (int n = 1; n <= kCount; ++n) {
    EXPECT_EQ(counter(probe(), n), 1) << migration_name(n) << " ran once";
    EXPECT_EQ(log_status(probe(), migration_name(n)), "applied");
  }
}

}  // namespace
}  // namespace mongomigrate::testing
