// The orchestrator (Migrator: up, run, down, lock waits, recovery) on the
// in-memory stores of tests/support/memory_migrator.h: every branch without a
// server. The same behaviours are proven against the real server by the
// integration tests.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <chrono>
#include <string>

#include "migrator_impl.h"
#include "support/memory_migrator.h"
#include "support/temp_dir.h"

namespace mongomigrate::testing {
namespace {

using namespace std::chrono_literals;

// A migration that runs one insert into `coll`; `down` deletes from it.
std::string migration(const std::string& coll, bool reversible = true) {
  std::string up = R"("up": [{"insert": ")" + coll + R"(", "documents": [{"x": 1}]}])";
  if (!reversible) return "{" + up + "}";
  return "{" + up + R"(, "down": [{"delete": ")" + coll + R"(", "deletes": [{"q": {}, "limit": 0}]}]})";
}

class OrchestratorTest : public ::testing::Test {
 protected:
  Migrator migrator(LockOptions lock = {}) {
    return MigratorTesting::make(
        {.uri = "memory://", .database = "test", .directory = dir_.path(), .lock = lock}, db_);
  }
  void write(const std::string& name, const std::string& content) { dir_.write(name, content); }
  std::string status(const std::string& name) { return db_.log->record(name).status; }
  int events(const std::string& action) {
    int n = 0;
    for (const HistoryEvent& e : db_.log->events()) n += e.action == action;
    return n;
  }
  // A lease held by another runner, live for `ms` on the lock's clock.
  void hold_lease(TimestampMs ms) {
    MemoryLockStore store(db_.lock);
    TimestampMs now = *store.now();
    ASSERT_TRUE(*store.try_acquire({.owner = "other:1:ff", .host = "elsewhere", .pid = 4242, .user = "ops",
                                    .acquired_at = now, .expires_at = now + ms}));
  }

  TempDir dir_;
  MemoryDatabase db_;
};

TEST_F(OrchestratorTest, UpAppliesEveryMigrationInOrderWithThreeTrackingWritesEach) {
  write("001-a.json", migration("a"));
  write("002-b.json", migration("b"));
  Migrator m = migrator();
  auto report = m.run_pending();
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_TRUE(report->ok());
  ASSERT_EQ(report->steps.size(), 2u);
  ASSERT_EQ(db_.target->commands().size(), 2u);
  EXPECT_NE(db_.target->commands()[0].find("\"a\""), std::string::npos) << "in order";
  EXPECT_EQ(status("001-a.json"), "applied");
  EXPECT_EQ(status("002-b.json"), "applied");
  EXPECT_TRUE(db_.log->record("001-a.json").lock_owner.empty());
  EXPECT_EQ(db_.log->record_writes(), 4) << "a claim and an outcome per migration";
  EXPECT_EQ(events("applied"), 2) << "and one event";
  EXPECT_FALSE(db_.lock->holder()) << "the lease is released";

  auto again = m.run_pending();
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->steps.empty());
  EXPECT_EQ(db_.target->commands().size(), 2u) << "nothing runs twice";
}

TEST_F(OrchestratorTest, TheRecordSaysRunningBeforeTheFirstCommand) {
  write("001-a.json", migration("a"));
  std::string seen_while_running;
  db_.target->on_command = [&](const std::string&) { seen_while_running = status("001-a.json"); };
  Migrator m = migrator();
  ASSERT_TRUE(m.run_pending());
  EXPECT_EQ(seen_while_running, "running");
}

TEST_F(OrchestratorTest, AFailureStopsUpAndBlocksItUntilRun) {
  write("001-a.json", migration("a"));
  write("002-fail.json", migration("fail"));
  write("003-c.json", migration("c"));
  Migrator m = migrator();
  auto report = m.run_pending();
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_FALSE(report->ok());
  EXPECT_EQ(status("002-fail.json"), "failed");
  EXPECT_EQ(status("003-c.json"), "");
  EXPECT_EQ(db_.target->commands().size(), 2u);

  auto blocked = m.run_pending();
  ASSERT_TRUE(blocked);
  EXPECT_EQ(blocked->blocked_by, "002-fail.json");
  EXPECT_EQ(db_.target->commands().size(), 2u) << "a failed migration is neither run again nor passed";

  auto applied_again = m.run("001-a.json");
  ASSERT_FALSE(applied_again);
  EXPECT_EQ(applied_again.error().kind, ErrorKind::kRefused) << "run refuses an applied one";
}

TEST_F(OrchestratorTest, AnInterruptedRecordBlocksUpAndRunRecoversIt) {
  write("001-a.json", migration("a"));
  write("002-b.json", migration("b"));
  // Left running by a runner that is gone (its lease is not the live one).
  db_.log->put({.name = "001-a.json", .status = "running", .lock_owner = "gone:1:dead"});
  Migrator m = migrator();
  auto st = m.status();
  ASSERT_TRUE(st);
  EXPECT_EQ(st->summary.interrupted, 1);
  auto blocked = m.run_pending();
  ASSERT_TRUE(blocked) << blocked.error().message;
  EXPECT_EQ(blocked->blocked_by, "001-a.json");
  EXPECT_TRUE(db_.target->commands().empty());
  ASSERT_TRUE(m.run("001-a.json"));
  EXPECT_EQ(status("001-a.json"), "applied");
  ASSERT_TRUE(m.run_pending());
  EXPECT_EQ(status("002-b.json"), "applied");
}

TEST_F(OrchestratorTest, ALiveRunnersMigrationIsRunningElsewhereToADryRun) {
  write("001-a.json", migration("a"));
  Migrator m = migrator();
  hold_lease(60'000);
  db_.log->put({.name = "001-a.json", .status = "running", .lock_owner = "other:1:ff"});
  auto dry = m.run_pending({.dry_run = true});
  ASSERT_TRUE(dry) << dry.error().message;
  EXPECT_TRUE(dry->ok());
  EXPECT_EQ(dry->running_elsewhere, "001-a.json");
  auto st = m.status();
  ASSERT_TRUE(st);
  EXPECT_EQ(st->summary.running, 1);
  EXPECT_TRUE(st->lock_live);
}

TEST_F(OrchestratorTest, AHeldLockIsWaitedForThenGivesUpNamingTheHolder) {
  write("001-a.json", migration("a"));
  hold_lease(60'000);
  Migrator m = migrator({.lease = 1s, .renew_every = 300ms, .timeout = 100ms, .poll = 20ms});
  auto report = m.run_pending();
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().kind, ErrorKind::kLockTimeout);
  EXPECT_NE(report.error().message.find("elsewhere"), std::string::npos) << report.error().message;
  EXPECT_NE(report.error().message.find("4242"), std::string::npos) << report.error().message;
  EXPECT_TRUE(db_.target->commands().empty());
  EXPECT_EQ(status("001-a.json"), "");
}

TEST_F(OrchestratorTest, AnExpiredLeaseIsTakenOver) {
  write("001-a.json", migration("a"));
  hold_lease(1000);
  db_.lock->advance(5000);
  Migrator m = migrator({.lease = 1s, .renew_every = 300ms, .timeout = 0ms, .poll = 20ms});
  auto report = m.run_pending();
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(status("001-a.json"), "applied");
  EXPECT_FALSE(db_.lock->holder());
}

TEST_F(OrchestratorTest, ALeaseTakenOverStopsTheRunBeforeItsNextMigration) {
  write("001-a.json", migration("a"));
  write("002-b.json", migration("b"));
  Migrator m = migrator();
  // While the first one runs, another process takes the lease over. The
  // second one's claim, written with the first one's outcome, is checked
  // against the lease and given back.
  int commands = 0;
  db_.target->on_command = [&](const std::string&) {
    if (++commands != 1) return;
    MemoryLockStore store(db_.lock);
    auto holder = *db_.lock->holder();
    ASSERT_TRUE(*store.clear(holder));
    hold_lease(60'000);
  };
  auto report = m.run_pending();
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().kind, ErrorKind::kLockLost) << report.error().message;
  EXPECT_EQ(status("001-a.json"), "applied") << "its record is still its runner's: the fence lets the outcome in";
  EXPECT_EQ(db_.target->commands().size(), 1u) << "the second one is not run";
  EXPECT_EQ(status("002-b.json"), "") << "claimed, then found the lease lost: the claim is given back";
  EXPECT_EQ(events("stopped"), 1);
  EXPECT_EQ(db_.lock->holder()->owner, "other:1:ff") << "it releases no lease of another's";
}

// Taken over, and the renewer has noticed, while a migration runs: its
// outcome is written (the record is still its own) but no claim of the next
// one goes with it, for a successor would read that claim as interrupted.
TEST_F(OrchestratorTest, ARunnerThatKnowsItsLeaseLostChainsNoClaim) {
  write("001-a.json", migration("a"));
  write("002-b.json", migration("b"));
  Migrator m = migrator({.lease = 1s, .renew_every = 20ms, .timeout = 1s, .poll = 10ms});
  int commands = 0;
  db_.target->on_command = [&](const std::string&) {
    if (++commands != 1) return;
    MemoryLockStore store(db_.lock);
    ASSERT_TRUE(*store.clear(*db_.lock->holder()));
    hold_lease(60'000);
    // The renewer finds the lease gone (bounded: a starved thread is late,
    // not absent), then has a moment to say so.
    for (int i = 0; i < 1'000 && db_.lock->lost_renewals() == 0; ++i) std::this_thread::sleep_for(10ms);
    ASSERT_GE(db_.lock->lost_renewals(), 1) << "the renewer noticed";
    std::this_thread::sleep_for(50ms);
  };
  auto report = m.run_pending();
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().kind, ErrorKind::kLockLost) << report.error().message;
  EXPECT_EQ(status("001-a.json"), "applied");
  EXPECT_EQ(db_.log->claimed(), std::vector<std::string>{"001-a.json"}) << "002 was never claimed";
  EXPECT_EQ(status("002-b.json"), "");
}

// Fencing: while the runner runs a migration it is taken over, and its
// successor claims the same record; the paused runner's outcome is refused.
TEST_F(OrchestratorTest, AnOutcomeIsNotWrittenOverASuccessorsClaim) {
  write("001-a.json", migration("a"));
  Migrator m = migrator();
  db_.target->on_command = [&](const std::string&) {
    core::LogRecord seen = db_.log->record("001-a.json");
    core::Migration mig{.name = "001-a.json"};
    ASSERT_TRUE(db_.log->claim_run(mig, {.seen = seen, .owner = "successor:1:aa", .by = "successor"}));
  };
  auto report = m.run_pending();
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().kind, ErrorKind::kLockLost) << report.error().message;
  EXPECT_EQ(status("001-a.json"), "running");
  EXPECT_EQ(db_.log->record("001-a.json").lock_owner, "successor:1:aa");
  EXPECT_EQ(events("applied"), 0);
}

TEST_F(OrchestratorTest, DownRevertsAndRefusesWhatItCannotRevert) {
  write("001-a.json", migration("a"));
  write("002-once.json", migration("once", /*reversible=*/false));
  Migrator m = migrator();
  ASSERT_TRUE(m.run_pending());
  auto under_later = m.revert("001-a.json");
  ASSERT_FALSE(under_later);
  EXPECT_EQ(under_later.error().kind, ErrorKind::kRefused);
  EXPECT_NE(under_later.error().message.find("002-once.json"), std::string::npos) << under_later.error().message;
  EXPECT_EQ(status("001-a.json"), "applied");
  auto reverted = m.revert("001-a", {.force = true});
  ASSERT_TRUE(reverted) << reverted.error().message;
  EXPECT_EQ(status("001-a.json"), "reverted");
  EXPECT_FALSE(db_.log->record("001-a.json").reverted_by.empty());
  EXPECT_EQ(events("reverted"), 1);
  auto again = m.revert("001-a.json");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind, ErrorKind::kRefused);
  auto irreversible = m.revert("002-once.json");
  ASSERT_FALSE(irreversible);
  EXPECT_EQ(irreversible.error().kind, ErrorKind::kRefused);
  EXPECT_NE(irreversible.error().message.find("irreversible"), std::string::npos);
  EXPECT_EQ(status("002-once.json"), "applied");
}

TEST_F(OrchestratorTest, DownRevertsNewestFirstUnderOneLeaseAndStopsAtTheFirstFailure) {
  write("001-a.json", migration("a"));
  write("002-b.json", R"({"up": [{"insert": "b", "documents": [{}]}], "down": [{"drop": "fail"}]})");
  write("003-c.json", migration("c"));
  write("004-d.json", migration("d"));
  Migrator m = migrator();
  ASSERT_TRUE(m.run_pending());
  std::vector<std::string> owners;
  RevertOptions options{.on_progress = [&](const ProgressEvent& e) {
    if (e.kind == ProgressEvent::Kind::kStarting) owners.push_back(db_.lock->holder()->owner);
  }};
  auto report = m.revert_after("001-a", options);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_FALSE(report->ok());
  ASSERT_EQ(report->steps.size(), 3u);
  EXPECT_EQ(report->steps[0].name, "004-d.json");
  EXPECT_EQ(report->steps[1].name, "003-c.json");
  EXPECT_EQ(report->steps[2].outcome, StepOutcome::kFailed);
  ASSERT_EQ(owners.size(), 3u);
  EXPECT_EQ(owners[0], owners[2]) << "one lease for the whole sequence";
  EXPECT_EQ(status("004-d.json"), "reverted");
  EXPECT_EQ(status("003-c.json"), "reverted");
  EXPECT_EQ(status("002-b.json"), "running") << "its down failed: half reverted";
  EXPECT_EQ(status("001-a.json"), "applied") << "the target is kept";
  EXPECT_FALSE(db_.lock->holder()) << "released";
}

TEST_F(OrchestratorTest, DownLastAndCountAndTheirDryRunWhichWritesNothing) {
  write("001-a.json", migration("a"));
  write("002-b.json", migration("b"));
  write("003-c.json", migration("c"));
  Migrator m = migrator();
  ASSERT_TRUE(m.run_pending());
  std::size_t commands = db_.target->commands().size();
  int writes = db_.log->record_writes();
  std::size_t event_count = db_.log->events().size();
  auto dry = m.revert_last(2, {.dry_run = true});
  ASSERT_TRUE(dry) << dry.error().message;
  ASSERT_EQ(dry->steps.size(), 2u);
  EXPECT_EQ(dry->steps[0].name, "003-c.json");
  EXPECT_EQ(dry->steps[0].outcome, StepOutcome::kPlanned);
  EXPECT_EQ(dry->steps[0].commands.size(), 1u) << "its down, as JSON";
  EXPECT_EQ(db_.target->commands().size(), commands);
  EXPECT_EQ(db_.log->record_writes(), writes);
  EXPECT_EQ(db_.log->events().size(), event_count);
  EXPECT_FALSE(db_.lock->holder()) << "no lock taken";

  auto last = m.revert_last();
  ASSERT_TRUE(last) << last.error().message;
  ASSERT_EQ(last->steps.size(), 1u);
  EXPECT_EQ(status("003-c.json"), "reverted");
  auto two = m.revert_last(5);
  ASSERT_TRUE(two) << two.error().message;
  EXPECT_EQ(two->steps.size(), 2u) << "only two were applied";
  EXPECT_EQ(status("001-a.json"), "reverted");
  auto none = m.revert_last();
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->steps.empty());
  auto zero = m.revert_last(0);
  ASSERT_FALSE(zero);
  EXPECT_EQ(zero.error().kind, ErrorKind::kUsage);
}

// A lease that cannot be released after the work is recorded is a warning:
// the run keeps its report, and a warning callback that throws changes
// nothing (migrator.h: its exceptions are dropped).
TEST_F(OrchestratorTest, ALeaseLeftBehindIsAWarningEvenWhenItsCallbackThrows) {
  write("001-a.json", migration("a"));
  write("002-b.json", migration("b"));
  db_.lock->set_release_refused(true);
  std::vector<std::string> warnings;
  Migrator told = MigratorTesting::make({.uri = "memory://", .database = "test", .directory = dir_.path(),
                                         .on_warning = [&](const std::string& w) { warnings.push_back(w); }},
                                        db_);
  auto first = told.run_pending({.to = "001-a.json"});
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_TRUE(first->ok());
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("the in-memory lock refuses the release (test); the work itself finished and is "
                             "recorded, and the lease expires by itself within 60 s"),
            std::string::npos)
      << warnings[0];
  EXPECT_EQ(status("001-a.json"), "applied");
  ASSERT_TRUE(db_.lock->holder().has_value()) << "the lease is still there, to expire by itself";

  db_.lock->advance(61'000);  // the lease left behind expires
  int calls = 0;
  Migrator throwing = MigratorTesting::make(
      {.uri = "memory://", .database = "test", .directory = dir_.path(),
       .on_warning = [&](const std::string&) {
         ++calls;
         throw std::runtime_error("the reader failed");
       }},
      db_);
  auto second = throwing.run_pending();
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_TRUE(second->ok());
  EXPECT_EQ(calls, 1);
  ASSERT_EQ(second->steps.size(), 1u);
  EXPECT_EQ(status("002-b.json"), "applied");
}

// A library caller's lock settings are checked as the CLI's are; a polling
// interval of 0 would ask for the lock in a tight loop while waiting.
TEST(LockOptionsCheck, APollingIntervalOfZeroIsRefused) {
  using namespace std::chrono_literals;
  EXPECT_TRUE(check_lock_options(LockOptions{}));
  auto zero = check_lock_options(LockOptions{.poll = 0ms});
  ASSERT_FALSE(zero);
  EXPECT_EQ(zero.error().kind, ErrorKind::kUsage);
  EXPECT_EQ(zero.error().message, "lock settings: the polling interval must be longer than 0");
}

// Events written while the next migration runs, which fail: a run that
// ends early (here a stop after the first migration, for `up` and `down`)
// still says the audit trail lacks them.
TEST_F(OrchestratorTest, ARunStoppedEarlySaysWhichEventsCouldNotBeRecorded) {
  write("001-a.json", migration("a"));
  write("002-b.json", migration("b"));
  db_.open_events = []() -> Result<std::unique_ptr<store::LogStore>> {
    return std::unexpected(Error{ErrorKind::kDatabase, "cannot reach the audit trail"});
  };
  std::atomic<int> stop{0};
  Migrator m = MigratorTesting::make(
      {.uri = "memory://", .database = "test", .directory = dir_.path(), .stop = &stop}, db_);
  auto stop_after_first = [&](const ProgressEvent& e) {
    if (e.kind == ProgressEvent::Kind::kFinished) stop = 15;
  };
  auto up = m.run_pending({.on_progress = stop_after_first});
  ASSERT_FALSE(up);
  EXPECT_EQ(up.error().kind, ErrorKind::kInterrupted) << up.error().message;
  EXPECT_NE(up.error().message.find("1 event(s) could not be recorded in the audit trail: cannot reach"),
            std::string::npos)
      << up.error().message;
  EXPECT_EQ(status("001-a.json"), "applied");
  EXPECT_EQ(status("002-b.json"), "");

  stop = 0;
  auto rest = m.run_pending({});
  ASSERT_FALSE(rest) << "b's event fails too: the run says so";
  EXPECT_EQ(status("002-b.json"), "applied");
  auto down = m.revert_last(2, {.on_progress = stop_after_first});
  ASSERT_FALSE(down);
  EXPECT_EQ(down.error().kind, ErrorKind::kInterrupted) << down.error().message;
  EXPECT_NE(down.error().message.find("could not be recorded in the audit trail"), std::string::npos)
      << down.error().message;
  EXPECT_EQ(status("002-b.json"), "reverted");
  EXPECT_EQ(status("001-a.json"), "applied");
}

TEST_F(OrchestratorTest, AStopRequestEndsTheSequenceAfterTheCurrentRevert) {
  write("001-a.json", migration("a"));
  write("002-b.json", migration("b"));
  write("003-c.json", migration("c"));
  std::atomic<int> stop{0};
  Migrator m = MigratorTesting::make(
      {.uri = "memory://", .database = "test", .directory = dir_.path(), .stop = &stop}, db_);
  ASSERT_TRUE(m.run_pending());
  auto report = m.revert_last(3, {.on_progress = [&](const ProgressEvent& e) {
    if (e.kind == ProgressEvent::Kind::kFinished) stop = 15;
  }});
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().kind, ErrorKind::kInterrupted) << report.error().message;
  EXPECT_EQ(status("003-c.json"), "reverted");
  EXPECT_EQ(status("002-b.json"), "applied");
  EXPECT_FALSE(db_.lock->holder()) << "released";
}

// `up` claims a migration with the outcome of the one before it; a stop
// asked for once that is written gives the claim back, and the next run
// starts from a log with no trace of it.
TEST_F(OrchestratorTest, AStopAfterTheNextClaimIsWrittenGivesTheClaimBack) {
  write("001-a.json", migration("a"));
  write("002-b.json", migration("b"));
  std::atomic<int> stop{0};
  Migrator m = MigratorTesting::make(
      {.uri = "memory://", .database = "test", .directory = dir_.path(), .stop = &stop}, db_);
  std::string b_when_a_finished;
  auto report = m.run_pending({.on_progress = [&](const ProgressEvent& e) {
    if (e.kind != ProgressEvent::Kind::kFinished) return;
    b_when_a_finished = status("002-b.json");
    stop = 15;
  }});
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().kind, ErrorKind::kInterrupted) << report.error().message;
  EXPECT_EQ(b_when_a_finished, "running") << "claimed with a's outcome";
  EXPECT_EQ(status("001-a.json"), "applied");
  EXPECT_EQ(status("002-b.json"), "") << "given back: the record the claim inserted is gone";
  EXPECT_EQ(db_.target->commands().size(), 1u);
  EXPECT_FALSE(db_.lock->holder()) << "released";

  stop = 0;
  auto rest = m.run_pending();
  ASSERT_TRUE(rest) << rest.error().message;
  EXPECT_EQ(status("002-b.json"), "applied");
  EXPECT_EQ(events("applied"), 2);
}

// A stop asked for while a migration runs: its outcome is written alone,
// and the next one is not claimed.
TEST_F(OrchestratorTest, AStopDuringAMigrationClaimsNothingMore) {
  write("001-a.json", migration("a"));
  write("002-b.json", migration("b"));
  std::atomic<int> stop{0};
  Migrator m = MigratorTesting::make(
      {.uri = "memory://", .database = "test", .directory = dir_.path(), .stop = &stop}, db_);
  db_.target->on_command = [&](const std::string&) { stop = 2; };
  auto report = m.run_pending();
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().kind, ErrorKind::kInterrupted) << report.error().message;
  EXPECT_EQ(status("001-a.json"), "applied");
  EXPECT_EQ(status("002-b.json"), "");
  EXPECT_EQ(db_.log->record_writes(), 2) << "a's claim and outcome, and no claim of b";
}

TEST_F(OrchestratorTest, StrictOrderRefusesBeforeAnyWriteAndOtherwiseUpSaysOutOfOrder) {
  write("001-a.json", migration("a"));
  write("003-c.json", migration("c"));
  Migrator m = migrator();
  ASSERT_TRUE(m.run_pending());
  write("002-b.json", migration("b"));
  write("004-d.json", migration("d"));
  int writes = db_.log->record_writes();
  std::size_t commands = db_.target->commands().size();
  for (bool dry_run : {false, true}) {
    auto refused = m.run_pending({.dry_run = dry_run, .strict_order = true});
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().kind, ErrorKind::kRefused);
    EXPECT_NE(refused.error().message.find("002-b.json"), std::string::npos) << refused.error().message;
    EXPECT_EQ(refused.error().message.find("004-d.json"), std::string::npos) << refused.error().message;
  }
  EXPECT_EQ(db_.log->record_writes(), writes);
  EXPECT_EQ(db_.target->commands().size(), commands);
  EXPECT_FALSE(db_.lock->holder());

  auto applied = m.run_pending();
  ASSERT_TRUE(applied) << applied.error().message;
  EXPECT_EQ(applied->steps.size(), 2u);
  EXPECT_EQ(applied->out_of_order, (std::vector<std::string>{"002-b.json"}));
}

TEST_F(OrchestratorTest, AFailedDownLeavesTheRevertInterrupted) {
  write("001-a.json", R"({"up": [{"insert": "a", "documents": [{}]}], "down": [{"drop": "fail"}]})");
  Migrator m = migrator();
  ASSERT_TRUE(m.run_pending());
  auto report = m.revert("001-a.json");
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_FALSE(report->ok());
  core::LogRecord r = db_.log->record("001-a.json");
  EXPECT_EQ(r.status, "running");
  EXPECT_TRUE(r.reverting);
  EXPECT_TRUE(r.lock_owner.empty()) << "no runner: interrupted at once";
  EXPECT_EQ(events("revert_failed"), 1);
}

TEST_F(OrchestratorTest, MarkAndBaselineWriteUnderTheLock) {
  write("001-a.json", migration("a"));
  write("002-b.json", migration("b"));
  write("003-c.json", migration("c"));
  Migrator m = migrator();
  auto marked = m.mark("002-b.json", MarkAs::kApplied, {.by = "ops", .reason = "done by hand"});
  ASSERT_TRUE(marked) << marked.error().message;
  EXPECT_EQ(marked->previous_status, "");
  EXPECT_EQ(status("002-b.json"), "applied");
  auto baselined = m.baseline("003-c.json", {.by = "ops"});
  ASSERT_TRUE(baselined) << baselined.error().message;
  EXPECT_EQ(*baselined, (std::vector<std::string>{"001-a.json", "003-c.json"}));
  EXPECT_EQ(status("003-c.json"), "applied");
  EXPECT_TRUE(db_.target->commands().empty()) << "nothing is run";
  EXPECT_EQ(events("marked_applied"), 1);
  EXPECT_EQ(events("baselined"), 2);
  EXPECT_FALSE(db_.lock->holder());

  hold_lease(60'000);
  Migrator waiting = migrator({.lease = 1s, .renew_every = 300ms, .timeout = 50ms, .poll = 10ms});
  auto refused = waiting.mark("001-a.json", MarkAs::kPending);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::kLockTimeout);
  EXPECT_EQ(status("001-a.json"), "applied");
}

// A mark paused past its lease between its lease check and its write: a
// successor took the lease over and claimed the record. The write is
// refused, and the mark says the lock was lost (exit 4), not "refused".
TEST_F(OrchestratorTest, AMarkWhoseLeaseWasTakenOverMeanwhileSaysTheLockWasLost) {
  write("001-a.json", migration("a"));
  db_.log->put({.id = "000000000000000000000042", .name = "001-a.json", .status = "failed", .error = "boom"});
  db_.log->before_set_status = [&](const std::string&) {  // mark writes once
    MemoryLockStore store(db_.lock);
    ASSERT_TRUE(*store.clear(*db_.lock->holder()));
    hold_lease(60'000);
    db_.log->put({.id = "000000000000000000000042", .name = "001-a.json", .status = "running",
                  .lock_owner = "other:1:ff"});
  };
  Migrator m = migrator({.lease = 60s, .renew_every = 20s, .timeout = 1s, .poll = 10ms});
  auto marked = m.mark("001-a.json", MarkAs::kApplied);
  ASSERT_FALSE(marked);
  EXPECT_EQ(marked.error().kind, ErrorKind::kLockLost) << marked.error().message;
  EXPECT_NE(marked.error().message.find("the migration lock was lost"), std::string::npos) << marked.error().message;
  EXPECT_EQ(status("001-a.json"), "running") << "the successor's claim stays";
  EXPECT_EQ(events("marked_applied"), 0);
  EXPECT_EQ(db_.lock->holder()->owner, "other:1:ff") << "it releases no lease of another's";
}

// Issue 15 item 6: commands are checked against the server's own
// maxBsonObjectSize (injected here) before anything is written.
TEST_F(OrchestratorTest, ACommandOverTheServersLimitIsRefusedBeforeAnythingIsWritten) {
  write("001-a.json", migration("a"));
  write("002-b.json", R"({"up": [{"insert": "b", "documents": [{"s": "a long string, longer than the limit"}]}],
                         "down": [{"drop": "b"}]})");
  db_.max_command_bytes = 60;
  Migrator m = migrator();
  for (auto result : {m.run_pending(), m.run_pending({.dry_run = true}), m.run("002-b.json")}) {
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().kind, ErrorKind::kBadInput) << result.error().message;
    EXPECT_NE(result.error().message.find("002-b.json"), std::string::npos) << result.error().message;
    EXPECT_NE(result.error().message.find("up[0]"), std::string::npos) << result.error().message;
  }
  EXPECT_TRUE(db_.target->commands().empty());
  EXPECT_EQ(db_.log->record_writes(), 0);
  EXPECT_TRUE(db_.log->events().empty());
  EXPECT_FALSE(db_.lock->holder());

  db_.max_command_bytes = 1000;
  ASSERT_TRUE(migrator().run_pending());
  EXPECT_EQ(status("002-b.json"), "applied");
}

// The plan made again under the lock is checked too: `down` that waited
// while another runner applied a migration with an oversized `down`
// reverts nothing.
TEST_F(OrchestratorTest, AnOversizedCommandPlannedUnderTheLockIsRefusedBeforeAnythingIsWritten) {
  write("001-a.json", migration("a"));
  write("002-b.json", R"({"up": [{"insert": "b", "documents": [{"_id": 1}]}],
                         "down": [{"delete": "b", "deletes": [{"q": {"s": "a long string, longer than the limit"},
                                                              "limit": 0}]}]})");
  ASSERT_TRUE(migrator().run("001-a.json"));
  db_.max_command_bytes = 90;
  hold_lease(60'000);
  const std::size_t writes = db_.log->record_writes();
  MigratorOptions options{.uri = "memory://", .database = "test", .directory = dir_.path(),
                          .lock = {.lease = 1s, .renew_every = 300ms, .timeout = 5s, .poll = 10ms}};
  bool applied_meanwhile = false;
  options.on_lock_wait = [&](const LeaseHolder& holder) {
    if (applied_meanwhile) return;
    applied_meanwhile = true;
    db_.log->put({.id = "000000000000000000000042", .name = "002-b.json", .status = "applied", .checksum = "x"});
    ASSERT_TRUE(MemoryLockStore(db_.lock).release(holder));
  };
  auto refused = MigratorTesting::make(options, db_).revert_last(1);
  ASSERT_TRUE(applied_meanwhile);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::kBadInput) << refused.error().message;
  EXPECT_NE(refused.error().message.find("002-b.json"), std::string::npos) << refused.error().message;
  EXPECT_EQ(status("002-b.json"), "applied") << "not claimed";
  EXPECT_EQ(status("001-a.json"), "applied");
  EXPECT_EQ(db_.log->record_writes(), writes) << "nothing written";
  EXPECT_FALSE(db_.lock->holder()) << "the lease is released";
}

// baseline while another runner is running a migration up to the target:
// it is not called interrupted; baseline waits for the lock and judges it
// then. Here it failed meanwhile: refused, naming it as it is now, and with
// --include-unfinished refused too (the operator never saw that failure).
// Nothing is written.
TEST_F(OrchestratorTest, BaselineJudgesALiveRunnersMigrationOnlyOnceItsOutcomeIsKnown) {
  for (const char* n : {"001-a.json", "002-b.json", "003-c.json"}) write(n, migration(n));
  for (bool include : {false, true}) {
    SCOPED_TRACE(include ? "--include-unfinished" : "");
    db_.log->put({.id = "000000000000000000000077", .name = "002-b.json", .status = "running",
                  .lock_owner = "other:1:ff"});
    hold_lease(60'000);
    const int writes = db_.log->record_writes();
    MigratorOptions options{.uri = "memory://", .database = "test", .directory = dir_.path(),
                            .lock = {.lease = 1s, .renew_every = 300ms, .timeout = 5s, .poll = 10ms}};
    bool waited = false;
    options.on_lock_wait = [&](const LeaseHolder& holder) {
      if (waited) return;
      waited = true;
      db_.log->put({.id = "000000000000000000000077", .name = "002-b.json", .status = "failed", .error = "boom"});
      ASSERT_TRUE(MemoryLockStore(db_.lock).release(holder));
    };
    auto refused = MigratorTesting::make(options, db_).baseline("003-c.json", {.include_unfinished = include});
    EXPECT_TRUE(waited) << "it waited for the runner instead of refusing at once";
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().kind, ErrorKind::kRefused);
    EXPECT_NE(refused.error().message.find(include ? "002-b.json's record changed while baseline waited"
                                                   : "002-b.json (failed)"),
              std::string::npos)
        << refused.error().message;
    EXPECT_EQ(db_.log->record_writes(), writes) << "nothing written";
    EXPECT_EQ(status("001-a.json"), "");
    EXPECT_EQ(status("002-b.json"), "failed");
    EXPECT_FALSE(db_.lock->holder());
  }
}

// A stop asked for during baseline's last batch: everything is recorded,
// and the message says so (it said "the rest are not recorded").
TEST_F(OrchestratorTest, BaselineStoppedDuringItsLastBatchSaysNothingIsLeft) {
  for (const char* n : {"001-a.json", "002-b.json"}) write(n, migration(n));
  std::atomic<int> stop{0};
  db_.log->after_insert_applied = [&] { stop = 15; };
  auto stopped = MigratorTesting::make(
      {.uri = "memory://", .database = "test", .directory = dir_.path(), .stop = &stop}, db_).baseline("002-b.json");
  ASSERT_FALSE(stopped);
  EXPECT_EQ(stopped.error().kind, ErrorKind::kInterrupted);
  EXPECT_TRUE(stopped.error().message.ends_with("stopped after baselining all 2 migrations (up to 002-b.json), each "
                                                "recorded applied with its event: nothing is left to do"))
      << stopped.error().message;
  EXPECT_EQ(status("002-b.json"), "applied");
  EXPECT_EQ(events("baselined"), 2);
}

// A write error part-way through baseline's many-record insert: the records
// that landed get their events (a second baseline skips recorded names, so
// they would never get them), and the message counts them.
TEST_F(OrchestratorTest, BaselineWhoseInsertFailsPartWayStillRecordsTheEventsOfWhatLanded) {
  for (const char* n : {"001-a.json", "002-b.json", "003-c.json", "004-d.json"}) write(n, migration(n));
  db_.log->insert_applied_error = [](const std::string& name) -> std::optional<Error> {
    if (name == "003-c.json") return Error{ErrorKind::kDatabase, "cannot record 003-c.json applied (2 of 4 recorded)"};
    return std::nullopt;
  };
  auto failed = migrator().baseline("004-d.json", {.by = "ops"});
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().kind, ErrorKind::kDatabase);
  EXPECT_TRUE(failed.error().message.ends_with("(2 of 4 recorded); 2 migration(s) baselined"))
      << failed.error().message;
  EXPECT_EQ(status("002-b.json"), "applied");
  EXPECT_EQ(status("003-c.json"), "");
  EXPECT_EQ(events("baselined"), 2) << "each record that landed has its event";
  EXPECT_FALSE(db_.lock->holder());

  db_.log->insert_applied_error = nullptr;
  auto finished = migrator().baseline("004-d.json", {.by = "ops"});
  ASSERT_TRUE(finished) << finished.error().message;
  EXPECT_EQ(*finished, (std::vector<std::string>{"003-c.json", "004-d.json"}));
  EXPECT_EQ(events("baselined"), 4);
}

TEST_F(OrchestratorTest, BaselineRefusesUnfinishedRecordsAndStopsOnARequest) {
  for (const char* n : {"001-a.json", "002-b.json", "003-c.json", "004-d.json"}) write(n, migration(n));
  db_.log->put({.id = "000000000000000000000099", .name = "002-b.json", .status = "failed"});
  Migrator m = migrator();
  auto refused = m.baseline("003-c.json");
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::kRefused);
  EXPECT_NE(refused.error().message.find("002-b.json (failed)"), std::string::npos) << refused.error().message;
  EXPECT_EQ(db_.log->record_writes(), 0);
  EXPECT_FALSE(db_.lock->holder());

  std::atomic<int> stop{15};
  Migrator stopping = MigratorTesting::make(
      {.uri = "memory://", .database = "test", .directory = dir_.path(), .stop = &stop}, db_);
  auto stopped = stopping.baseline("003-c.json", {.include_unfinished = true});
  ASSERT_FALSE(stopped);
  EXPECT_EQ(stopped.error().kind, ErrorKind::kInterrupted) << stopped.error().message;
  EXPECT_EQ(status("001-a.json"), "") << "stopped before the first write";
  EXPECT_FALSE(db_.lock->holder()) << "the lease is released";

  auto included = m.baseline("003-c.json", {.by = "ops", .include_unfinished = true});
  ASSERT_TRUE(included) << included.error().message;
  EXPECT_EQ(*included, (std::vector<std::string>{"001-a.json", "002-b.json", "003-c.json"}));
  EXPECT_EQ(status("002-b.json"), "applied");
  EXPECT_EQ(status("004-d.json"), "");
  EXPECT_EQ(events("baselined"), 3);
}

TEST_F(OrchestratorTest, UnlockClearsAnExpiredLeaseAndUnknownDocumentsOnlyWithForce) {
  Migrator m = migrator();
  auto free = m.unlock();
  ASSERT_TRUE(free);
  EXPECT_FALSE(free->cleared);

  hold_lease(60'000);
  auto live = m.unlock();
  ASSERT_FALSE(live);
  EXPECT_EQ(live.error().kind, ErrorKind::kRefused);
  db_.lock->advance(120'000);
  auto expired = m.unlock();
  ASSERT_TRUE(expired) << expired.error().message;
  EXPECT_TRUE(expired->cleared);
  EXPECT_FALSE(db_.lock->holder());

  db_.lock->set_unknown_lease(R"({"_id": "lease", "lockedBy": "bot"})");
  auto unknown = m.unlock();
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().kind, ErrorKind::kRefused);
  EXPECT_NE(unknown.error().message.find("unknown shape"), std::string::npos) << unknown.error().message;
  auto forced = m.unlock({.force = true, .by = "ops"});
  ASSERT_TRUE(forced) << forced.error().message;
  EXPECT_TRUE(forced->cleared);
  EXPECT_EQ(forced->unknown.size(), 1u);
  EXPECT_EQ(events("unlocked"), 2);
  write("001-a.json", migration("a"));
  ASSERT_TRUE(m.run_pending());
  EXPECT_EQ(status("001-a.json"), "applied");
}

TEST_F(OrchestratorTest, AnUnreachableLockIsADatabaseError) {
  write("001-a.json", migration("a"));
  db_.lock->set_unreachable(true);
  Migrator m = migrator();
  auto report = m.run_pending();
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().kind, ErrorKind::kDatabase);
  EXPECT_EQ(exit_code(report.error().kind), 3);
  EXPECT_TRUE(db_.target->commands().empty());
}

}  // namespace
}  // namespace mongomigrate::testing
