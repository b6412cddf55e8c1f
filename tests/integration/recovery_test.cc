// The recovery commands through the real binary against a real server
// (DESIGN.md §5): `unlock` (a stale or a live lease), `mark` (fix a record
// after a hand repair), `baseline` (adopt an existing database), each
// recorded as an event with who did it and why, and each refusing to act
// while another process holds the lock.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "source/sha256.h"
#include "support/integration.h"
#include "support/counter_migrations.h"
#include "support/file_checks.h"
#include "support/lock_docs.h"

namespace mongomigrate::testing {
namespace {

using namespace std::chrono_literals;


const char* const kOne = "001-one.json";
const char* const kTwo = "002-two.json";
const char* const kThree = "003-three.json";
const char* const kFour = "004-four.json";

class RecoveryTest : public IntegrationTest {
 protected:
  ProcessResult run(std::vector<std::string> args) { return cli(std::move(args), bounded()); }

  // Writes 001..004 (inserting "one".."four").
  void write_four() {
    write_migration(kOne, insert_migration("one"));
    write_migration(kTwo, insert_migration("two"));
    write_migration(kThree, insert_migration("three"));
    write_migration(kFour, insert_migration("four"));
  }

  // A lease written by hand, as another runner would hold it: expiring
  // `expires_in` from now (negative: already expired).
  void insert_lease(std::chrono::milliseconds expires_in, const std::string& host = "elsewhere", int pid = 4242) {
    testing::write_lease(probe(), {.owner = fmt::format("{}:{}:0badc0de", host, pid), .host = host, .pid = pid,
                                    .user = "ops@" + host,
                                    .expires_at = std::chrono::system_clock::now() + expires_in});
  }

  std::string log_status(const std::string& name) {
    return probe().string_field("migrationlogs", R"({"name": ")" + name + R"("})", "status");
  }
  std::string log_field(const std::string& name, const std::string& field) {
    return probe().string_field("migrationlogs", R"({"name": ")" + name + R"("})", field);
  }
  std::int64_t things(const std::string& id) { return probe().count("things", R"({"_id": ")" + id + R"("})"); }
  std::int64_t events(const std::string& action) {
    return probe().count("migrationlogs_events", R"({"action": ")" + action + R"("})");
  }
  std::int64_t events(const std::string& name, const std::string& action) {
    return probe().count("migrationlogs_events", R"({"name": ")" + name + R"(", "action": ")" + action + R"("})");
  }
  std::string event_field(const std::string& name, const std::string& action, const std::string& field) {
    return probe().string_field("migrationlogs_events",
                                R"({"name": ")" + name + R"(", "action": ")" + action + R"("})", field);
  }
};

// ---- unlock ------------------------------------------------------------------

TEST_F(RecoveryTest, UnlockWithNoLockSaysFreeAndWritesNothing) {
  write_four();
  ProcessResult unlock = run({"unlock"});
  EXPECT_EQ(unlock.exit_code, 0) << describe(unlock);
  EXPECT_TRUE(contains(unlock.out, "free")) << describe(unlock);
  EXPECT_TRUE(probe().collections().empty()) << "no lock, no event, no collection created";
}

TEST_F(RecoveryTest, UnlockClearsAnExpiredLeaseAndRecordsWhoAndWhy) {
  write_four();
  insert_lease(-10s);
  ProcessResult unlock = run({"unlock", "--by", "ops", "--reason", "runner host died"});
  EXPECT_EQ(unlock.exit_code, 0) << describe(unlock);
  EXPECT_TRUE(contains(unlock.out, "expired")) << describe(unlock);
  EXPECT_TRUE(contains(unlock.out, "elsewhere")) << describe(unlock);
  EXPECT_TRUE(contains(unlock.out, "4242")) << describe(unlock);
  EXPECT_EQ(lock_leftovers(probe()), 0);
  ASSERT_EQ(events("unlocked"), 1);
  EXPECT_EQ(probe().string_field("migrationlogs_events", R"({"action": "unlocked"})", "by"), "ops");
  EXPECT_EQ(probe().string_field("migrationlogs_events", R"({"action": "unlocked"})", "reason"), "runner host died");

  // A second unlock finds it free and records nothing more.
  ProcessResult again = run({"unlock"});
  EXPECT_EQ(again.exit_code, 0) << describe(again);
  EXPECT_TRUE(contains(again.out, "free")) << describe(again);
  EXPECT_EQ(events("unlocked"), 1);

  // And a deploy can take the lock again.
  ProcessResult up = run({"up", "--lock-timeout", "1s"});
  EXPECT_EQ(up.exit_code, 0) << describe(up);
  EXPECT_EQ(probe().count("things"), 4);
}

TEST_F(RecoveryTest, UnlockRefusesALiveLeaseNamingTheHolderAndForceClearsIt) {
  write_four();
  insert_lease(1h);
  std::vector<std::string> before = probe().snapshot();

  ProcessResult refused = run({"unlock", "--by", "ops"});
  EXPECT_EQ(refused.exit_code, 1) << describe(refused);
  EXPECT_TRUE(contains(refused.err, "elsewhere")) << describe(refused);
  EXPECT_TRUE(contains(refused.err, "pid 4242")) << describe(refused);
  EXPECT_TRUE(contains(refused.err, "--force")) << describe(refused);
  EXPECT_EQ(probe().snapshot(), before) << "the live lease is untouched and nothing is recorded";

  ProcessResult json = run({"unlock", "--json"});
  EXPECT_EQ(json.exit_code, 1) << describe(json);
  EXPECT_TRUE(contains(json.out, R"("ok":false)")) << describe(json);

  ProcessResult forced = run({"unlock", "--force", "--by", "ops", "--reason", "host decommissioned"});
  EXPECT_EQ(forced.exit_code, 0) << describe(forced);
  EXPECT_TRUE(contains(forced.out, "live")) << describe(forced);
  EXPECT_EQ(lock_leftovers(probe()), 0);
  ASSERT_EQ(events("unlocked"), 1);
  EXPECT_EQ(probe().string_field("migrationlogs_events", R"({"action": "unlocked"})", "by"), "ops");
  EXPECT_EQ(probe().string_field("migrationlogs_events", R"({"action": "unlocked"})", "reason"),
            "host decommissioned");
}

// A lock document this version did not write (a hand-made one, another
// tool's, an older version's lease epochs): `up` does not take it over and
// names it; `unlock` shows it and deletes it only with --force.
TEST_F(RecoveryTest, ALockDocumentOfAnUnknownShapeIsReportedAndClearedOnlyWithForce) {
  write_four();
  probe().insert(kLockCollection, R"({"_id": "lease", "lockedBy": "deploy-bot", "since": "yesterday"})");
  // Documents an older tool may have left: nested values, a dotted name
  // (no filter can hold it: deleted by `_id` alone).
  probe().insert(kLockCollection, R"({"_id": "epoch", "n": 1.5, "held": {"by": ["a", {"b": 2}]}})");
  probe().insert(kLockCollection, R"({"_id": {"k": 1}, "a.b": true})");
  std::vector<std::string> before = probe().snapshot();

  ProcessResult up = run({"up", "--lock-timeout", "300ms"});
  EXPECT_EQ(up.exit_code, 4) << describe(up);
  EXPECT_TRUE(contains(up.err, "unknown shape")) << describe(up);
  EXPECT_TRUE(contains(up.err, "it never expires: `unlock` shows it, and if no other tool or version uses it, "
                               "`unlock --force` deletes it"))
      << "the remedy that works\n" << describe(up);
  EXPECT_EQ(probe().snapshot(), before) << "never taken over";

  ProcessResult status = run({"status"});
  EXPECT_EQ(status.exit_code, 0) << describe(status);

  ProcessResult refused = run({"unlock", "--by", "ops"});
  EXPECT_EQ(refused.exit_code, 1) << describe(refused);
  EXPECT_TRUE(contains(refused.err, "unknown shape")) << describe(refused);
  EXPECT_TRUE(contains(refused.err, "deploy-bot")) << describe(refused);
  EXPECT_TRUE(contains(refused.err, "--force")) << describe(refused);
  EXPECT_EQ(probe().snapshot(), before) << "reported, not cleared";

  ProcessResult forced = run({"unlock", "--force", "--by", "ops", "--reason", "old deploy bot"});
  EXPECT_EQ(forced.exit_code, 0) << describe(forced);
  EXPECT_TRUE(contains(forced.out, "deploy-bot")) << describe(forced);
  EXPECT_EQ(lock_leftovers(probe()), 0);
  ASSERT_EQ(events("unlocked"), 1);
  EXPECT_EQ(probe().string_field("migrationlogs_events", R"({"action": "unlocked"})", "reason"), "old deploy bot");

  ProcessResult deploy = run({"up", "--lock-timeout", "1s"});
  EXPECT_EQ(deploy.exit_code, 0) << describe(deploy);
  EXPECT_EQ(probe().count("things"), 4);
}

// ---- mark ----------------------------------------------------------------------

TEST_F(RecoveryTest, MarkAppliedRecordsTheChecksumAndRunsNothing) {
  write_four();
  ASSERT_EQ(run({"run", kOne}).exit_code, 0);

  ProcessResult mark = run({"mark", kTwo, "--as", "applied", "--by", "ops", "--reason", "applied by hand"});
  ASSERT_EQ(mark.exit_code, 0) << describe(mark);
  EXPECT_TRUE(contains(mark.out, kTwo)) << describe(mark);
  EXPECT_EQ(log_status(kTwo), "applied");
  EXPECT_EQ(log_field(kTwo, "checksum"), source::sha256_hex(insert_migration("two")));
  EXPECT_EQ(log_field(kTwo, "appliedBy"), "ops");
  EXPECT_EQ(things("two"), 0) << "marking runs nothing";
  ASSERT_EQ(events(kTwo, "marked_applied"), 1);
  EXPECT_EQ(event_field(kTwo, "marked_applied", "by"), "ops");
  EXPECT_EQ(event_field(kTwo, "marked_applied", "reason"), "applied by hand");
  EXPECT_EQ(event_field(kTwo, "marked_applied", "checksum"), source::sha256_hex(insert_migration("two")));
  EXPECT_EQ(events(kTwo, "applied"), 0);
  EXPECT_EQ(lock_leftovers(probe()), 0) << "the lock is released";

  ProcessResult validate = run({"validate"});
  EXPECT_EQ(validate.exit_code, 0) << "the recorded checksum matches the file: " << describe(validate);

  // `up` skips it and applies the others.
  ProcessResult up = run({"up"});
  ASSERT_EQ(up.exit_code, 0) << describe(up);
  EXPECT_EQ(things("two"), 0);
  EXPECT_EQ(things("three"), 1);
  EXPECT_EQ(things("four"), 1);
  EXPECT_EQ(events("applied"), 3) << "001, 003, 004 each once";
}

TEST_F(RecoveryTest, MarkPendingAndRevertedChangeTheStatusOnlyAndAreRecorded) {
  write_four();
  ASSERT_EQ(run({"up"}).exit_code, 0);
  ASSERT_EQ(things("three"), 1);

  ProcessResult pending = run({"mark", kThree, "--as", "pending", "--by", "ops", "--reason", "undone by hand"});
  ASSERT_EQ(pending.exit_code, 0) << describe(pending);
  EXPECT_EQ(log_status(kThree), "pending");
  EXPECT_EQ(things("three"), 1) << "marking runs no down";
  ASSERT_EQ(events(kThree, "marked_pending"), 1);
  EXPECT_EQ(event_field(kThree, "marked_pending", "by"), "ops");
  EXPECT_EQ(event_field(kThree, "marked_pending", "reason"), "undone by hand");

  ProcessResult reverted = run({"mark", kFour, "--as", "reverted", "--by", "ops", "--reason", "dropped by hand"});
  ASSERT_EQ(reverted.exit_code, 0) << describe(reverted);
  EXPECT_EQ(log_status(kFour), "reverted");
  EXPECT_EQ(things("four"), 1);
  ASSERT_EQ(events(kFour, "marked_reverted"), 1);
  EXPECT_EQ(event_field(kFour, "marked_reverted", "reason"), "dropped by hand");

  ProcessResult json = run({"mark", kThree, "--as", "pending", "--json"});
  ASSERT_EQ(json.exit_code, 0) << describe(json);
  EXPECT_TRUE(contains(json.out, R"("previousStatus":"pending")")) << describe(json);

  // Both are runnable by `up` again once the hand repair is finished.
  probe().command(R"({"delete": "things", "deletes": [{"q": {"_id": {"$in": ["three", "four"]}}, "limit": 0}]})");
  ProcessResult up = run({"up"});
  ASSERT_EQ(up.exit_code, 0) << describe(up);
  EXPECT_EQ(log_status(kThree), "applied");
  EXPECT_EQ(log_status(kFour), "applied");
  EXPECT_EQ(events(kThree, "applied"), 2);
  EXPECT_EQ(things("three"), 1);
  EXPECT_EQ(things("four"), 1);
}

// Accepting a modified file: `mark --as applied` over an applied record
// records the new checksum and keeps when and by whom it ran; the event
// names the checksum it replaced.
TEST_F(RecoveryTest, MarkAppliedOverAModifiedFileKeepsTheEvidence) {
  write_four();
  ASSERT_EQ(run({"run", kOne, "--by", "ci"}).exit_code, 0);
  const std::string applied_at = probe().find("migrationlogs", R"({"name": "001-one.json"})").at(0);
  const std::string old_sum = log_field(kOne, "checksum");
  write_migration(kOne, insert_migration("one, edited"));
  ASSERT_EQ(run({"validate"}).exit_code, 1) << "modified";

  ProcessResult mark = run({"mark", kOne, "--as", "applied", "--by", "ops", "--reason", "whitespace only"});
  ASSERT_EQ(mark.exit_code, 0) << describe(mark);
  EXPECT_EQ(log_field(kOne, "checksum"), source::sha256_hex(insert_migration("one, edited")));
  EXPECT_EQ(log_field(kOne, "appliedBy"), "ci") << "who applied it stays";
  EXPECT_TRUE(contains(probe().find("migrationlogs", R"({"name": "001-one.json"})").at(0),
                       applied_at.substr(applied_at.find("appliedAt"), 50)))
      << "when it was applied stays";
  EXPECT_EQ(event_field(kOne, "marked_applied", "reason"), "whitespace only; replaced the recorded checksum " + old_sum);
  EXPECT_EQ(run({"validate"}).exit_code, 0);
}

// `mark --as reverted` of a migration that never ran is refused, and
// `--as pending` of one is nothing to do: neither writes anything. Marking
// an applied one pending clears what the record said of its run.
TEST_F(RecoveryTest, MarkInventsNoRunAndPendingClearsTheRun) {
  write_four();
  // On a new database: not even the log, its index or the lock is made.
  EXPECT_EQ(run({"mark", kTwo, "--as", "reverted"}).exit_code, 1);
  EXPECT_EQ(run({"mark", kTwo, "--as", "pending"}).exit_code, 0);
  EXPECT_TRUE(probe().collections().empty()) << "no collection created";

  ASSERT_EQ(run({"run", kOne}).exit_code, 0);
  std::vector<std::string> before = probe().snapshot();
  ProcessResult reverted = run({"mark", kTwo, "--as", "reverted"});
  EXPECT_EQ(reverted.exit_code, 1) << describe(reverted);
  EXPECT_EQ(reverted.err, "mongo-migrate: cannot mark 002-two.json reverted: it has no record, so it never ran\n");
  ProcessResult pending = run({"mark", kTwo, "--as", "pending"});
  EXPECT_EQ(pending.exit_code, 0) << describe(pending);
  EXPECT_EQ(pending.out, "002-two.json has no record: it is pending already (nothing written).\n");
  EXPECT_EQ(probe().snapshot(), before) << "nothing written";

  ASSERT_EQ(run({"mark", kOne, "--as", "pending"}).exit_code, 0);
  const std::string record = probe().find("migrationlogs", R"({"name": "001-one.json"})").at(0);
  for (const char* field : {"appliedAt", "appliedBy", "duration", "checksum"}) {
    EXPECT_FALSE(contains(record, std::string("\"") + field + "\"")) << field << ": " << record;
  }
  ProcessResult status = run({"status"});
  EXPECT_TRUE(contains(status.out, "001-one.json    pending  -                 -")) << describe(status);
}

// A record whose status word was edited by hand ("Applied") may mean the
// migration ran: `up` and `run` refuse to run it again, `status` and
// `validate` say so, and `mark` settles it.
TEST_F(RecoveryTest, ARecordWithAStatusNobodyKnowsBlocksUntilMarked) {
  write_four();
  ASSERT_EQ(run({"up", "--to", kOne}).exit_code, 0);
  probe().insert("migrationlogs", R"({"name": "002-two.json", "status": "Applied"})");
  probe().insert("things", R"({"_id": "two"})");  // what its run did, by hand

  ProcessResult up = run({"up"});
  EXPECT_EQ(up.exit_code, 1) << describe(up);
  EXPECT_TRUE(contains(up.err, "its record's status is \"Applied\", none of applied, failed, reverted, pending and "
                               "running, so whether it ran is unknown"))
      << describe(up);
  EXPECT_EQ(things("three"), 0) << "nothing after it ran";
  ProcessResult again = run({"run", kTwo});
  EXPECT_EQ(again.exit_code, 1) << describe(again);
  EXPECT_TRUE(contains(again.err, "cannot run 002-two.json: its record's status is \"Applied\"")) << describe(again);
  EXPECT_EQ(log_status(kTwo), "Applied") << "nothing written";

  ProcessResult status = run({"status", "--exit-code", "--json"});
  EXPECT_EQ(status.exit_code, 1) << describe(status);
  EXPECT_TRUE(contains(status.out, R"("status":"unknown")")) << status.out;
  EXPECT_TRUE(contains(status.out, R"("recordedStatus":"Applied")")) << status.out;
  EXPECT_TRUE(contains(status.out, R"("unknown":1})")) << status.out;
  ProcessResult validate = run({"validate"});
  EXPECT_EQ(validate.exit_code, 1) << describe(validate);
  EXPECT_TRUE(contains(validate.out + validate.err, "1 unknown")) << describe(validate);

  ASSERT_EQ(run({"mark", kTwo, "--as", "applied"}).exit_code, 0);
  ProcessResult finished = run({"up"});
  EXPECT_EQ(finished.exit_code, 0) << describe(finished);
  EXPECT_EQ(things("two"), 1) << "002 never ran twice";
  EXPECT_EQ(things("four"), 1);
}

// A record whose status is none at all, "" or not a string reads as having
// no status: `mark`, the fix its message names, finds it as read, and says
// it was unknown (not "never run": there is a record).
TEST_F(RecoveryTest, MarkSettlesARecordWithNoStatusWord) {
  write_four();
  int n = 0;
  for (const char* status : {R"()", R"(, "status": "")", R"(, "status": 7)", R"(, "status": null)"}) {
    SCOPED_TRACE(status);
    probe().command(R"({"delete": "migrationlogs", "deletes": [{"q": {}, "limit": 0}]})");
    probe().insert("migrationlogs", std::string(R"({"name": "001-one.json")") + status + "}");
    ProcessResult blocked = run({"up"});
    EXPECT_EQ(blocked.exit_code, 1) << describe(blocked);
    EXPECT_TRUE(contains(blocked.err, "its record has no status")) << describe(blocked);
    const char* as = ++n % 2 ? "pending" : "applied";
    ProcessResult mark = run({"mark", kOne, "--as", as, "--json"});
    EXPECT_EQ(mark.exit_code, 0) << describe(mark);
    EXPECT_TRUE(contains(mark.out, std::string(R"("previousStatus":"unknown","status":")") + as + "\""))
        << describe(mark);
    EXPECT_EQ(log_status(kOne), as);
  }
}

TEST_F(RecoveryTest, MarkRejectsUnknownNamesBadStatusesAndMissingFiles) {
  write_four();
  ASSERT_EQ(run({"run", kOne}).exit_code, 0);
  // A record whose file is gone.
  probe().insert("migrationlogs", R"({"name": "000-gone.json", "status": "failed", "error": "boom"})");
  std::vector<std::string> before = probe().snapshot();

  ProcessResult unknown = run({"mark", "009-nope.json", "--as", "applied"});
  EXPECT_EQ(unknown.exit_code, 2) << describe(unknown);
  EXPECT_TRUE(contains(unknown.err, "009-nope.json")) << describe(unknown);

  ProcessResult bogus = run({"mark", kTwo, "--as", "bogus"});
  EXPECT_EQ(bogus.exit_code, 2) << describe(bogus);
  EXPECT_TRUE(contains(bogus.err, "bogus")) << describe(bogus);

  ProcessResult no_as = run({"mark", kTwo});
  EXPECT_EQ(no_as.exit_code, 2) << describe(no_as);

  ProcessResult traversal = run({"mark", "../001-one.json", "--as", "applied"});
  EXPECT_EQ(traversal.exit_code, 2) << describe(traversal);

  ProcessResult missing = run({"mark", "000-gone.json", "--as", "applied"});
  EXPECT_EQ(missing.exit_code, 2) << describe(missing);
  EXPECT_TRUE(contains(missing.err, "000-gone.json")) << describe(missing);
  EXPECT_TRUE(contains(missing.err, "missing")) << describe(missing);
  EXPECT_EQ(probe().snapshot(), before) << "rejected marks write nothing";

  // A log-only record can still be marked pending (nothing to check it against).
  ProcessResult pending = run({"mark", "000-gone.json", "--as", "pending", "--by", "ops"});
  EXPECT_EQ(pending.exit_code, 0) << describe(pending);
  EXPECT_EQ(log_status("000-gone.json"), "pending");
  EXPECT_EQ(events("000-gone.json", "marked_pending"), 1);
}

// ---- baseline -------------------------------------------------------------------

TEST_F(RecoveryTest, BaselineMarksUpToTheNameAppliedAndUpRunsOnlyTheRest) {
  write_four();
  ProcessResult baseline = run({"baseline", kTwo, "--by", "ops", "--reason", "adopting prod"});
  ASSERT_EQ(baseline.exit_code, 0) << describe(baseline);
  EXPECT_TRUE(contains(baseline.out, kOne)) << describe(baseline);
  EXPECT_TRUE(contains(baseline.out, kTwo)) << describe(baseline);
  EXPECT_FALSE(contains(baseline.out, kThree)) << describe(baseline);

  EXPECT_EQ(log_status(kOne), "applied");
  EXPECT_EQ(log_status(kTwo), "applied");
  EXPECT_EQ(log_field(kOne, "checksum"), source::sha256_hex(insert_migration("one")));
  EXPECT_EQ(probe().count("migrationlogs", R"({"name": {"$in": ["003-three.json", "004-four.json"]}})"), 0)
      << "later ones stay pending";
  EXPECT_EQ(probe().count("things"), 0) << "baseline runs nothing";
  EXPECT_EQ(events("baselined"), 2);
  EXPECT_EQ(event_field(kOne, "baselined", "by"), "ops");
  EXPECT_EQ(event_field(kTwo, "baselined", "reason"), "adopting prod");
  EXPECT_EQ(lock_leftovers(probe()), 0);

  ProcessResult status = run({"status", "--json"});
  EXPECT_TRUE(contains(status.out, R"("applied":2,"pending":2)")) << describe(status);

  ProcessResult up = run({"up"});
  ASSERT_EQ(up.exit_code, 0) << describe(up);
  EXPECT_EQ(things("one"), 0);
  EXPECT_EQ(things("two"), 0);
  EXPECT_EQ(things("three"), 1);
  EXPECT_EQ(things("four"), 1);
  EXPECT_EQ(events("applied"), 2);
  EXPECT_EQ(probe().count("migrationlogs", R"({"status": "applied"})"), 4);
}

TEST_F(RecoveryTest, BaselineSkipsWhatIsAlreadyAppliedAndRejectsUnknownNames) {
  write_four();
  ASSERT_EQ(run({"run", kOne}).exit_code, 0);
  std::vector<std::string> before = probe().snapshot();

  ProcessResult unknown = run({"baseline", "002-nope.json"});
  EXPECT_EQ(unknown.exit_code, 2) << describe(unknown);
  EXPECT_TRUE(contains(unknown.err, "002-nope.json")) << describe(unknown);
  EXPECT_EQ(probe().snapshot(), before) << "a rejected baseline writes nothing";

  ProcessResult baseline = run({"baseline", kThree, "--json", "--by", "ops"});
  ASSERT_EQ(baseline.exit_code, 0) << describe(baseline);
  EXPECT_TRUE(contains(baseline.out, R"("marked":["002-two.json","003-three.json"])")) << describe(baseline);
  EXPECT_EQ(events(kOne, "baselined"), 0) << "already applied: left as it was";
  EXPECT_EQ(events(kOne, "applied"), 1);
  EXPECT_EQ(log_field(kOne, "appliedBy").empty(), false);
  EXPECT_EQ(things("one"), 1);
  EXPECT_EQ(things("two"), 0);
  EXPECT_EQ(things("three"), 0);
}

// ---- recovery while another process holds the lock ----------------------------------

TEST_F(RecoveryTest, RecoveryCommandsWaitForAHeldLockThenExit4) {
  write_four();
  ASSERT_EQ(run({"run", kOne}).exit_code, 0);
  insert_lease(1h);
  std::vector<std::string> before = probe().snapshot();

  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"mark", kTwo, "--as", "applied"}, {"mark", kOne, "--as", "pending"}, {"baseline", kThree}}) {
    args.insert(args.end(), {"--lock-timeout", "1s", "--by", "ops", "--reason", "test"});
    auto start = std::chrono::steady_clock::now();
    ProcessResult r = run(args);
    auto waited = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(r.exit_code, 4) << args.front() << ": " << describe(r);
    EXPECT_TRUE(contains(r.err, "waiting for the migration lock")) << describe(r);
    EXPECT_TRUE(contains(r.err, "elsewhere")) << describe(r);
    EXPECT_TRUE(contains(r.err, "pid 4242")) << describe(r);
    EXPECT_GE(waited, 1s) << args.front() << " waited for --lock-timeout before giving up";
  }
  // unlock does not wait: it shows the holder and refuses.
  ProcessResult unlock = run({"unlock", "--lock-timeout", "1s"});
  EXPECT_EQ(unlock.exit_code, 1) << describe(unlock);
  EXPECT_TRUE(contains(unlock.err, "elsewhere")) << describe(unlock);
  EXPECT_TRUE(contains(unlock.err, "pid 4242")) << describe(unlock);

  EXPECT_EQ(probe().snapshot(), before) << "nothing was marked, baselined or unlocked";
  EXPECT_EQ(log_status(kTwo), "");
  EXPECT_EQ(log_status(kOne), "applied");
}

TEST_F(RecoveryTest, RecoveryCommandsTakeOverAnExpiredLease) {
  write_four();
  insert_lease(-1s);
  ProcessResult mark = run({"mark", kOne, "--as", "applied", "--lock-timeout", "1s"});
  EXPECT_EQ(mark.exit_code, 0) << describe(mark);
  ProcessResult baseline = run({"baseline", kTwo, "--lock-timeout", "1s"});
  EXPECT_EQ(baseline.exit_code, 0) << describe(baseline);
  EXPECT_EQ(probe().count("migrationlogs", R"({"status": "applied"})"), 2);
  EXPECT_EQ(lock_leftovers(probe()), 0) << "taken over, then released";
  EXPECT_EQ(probe().count("things"), 0);
}

}  // namespace
}  // namespace mongomigrate::testing
