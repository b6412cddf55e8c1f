#include "support/log_store_conformance.h"

#include <fmt/format.h>

#include <optional>
#include <string>
#include <vector>

namespace mongomigrate::testing {
namespace {

constexpr TimestampMs kAt = 1700000000000;

core::Migration migration(const std::string& name) {
  core::Migration m;
  m.name = name;
  m.version = name.substr(0, 3);
  m.checksum = std::string(64, 'a');
  return m;
}

store::ClaimRequest fresh_claim(const std::string& owner, const std::string& by = "ci") {
  return {.seen = std::nullopt, .owner = owner, .by = by};
}

// The record as a runner holding the lease reads it (nullopt: none).
std::optional<core::LogRecord> seen(store::LogStore& s, const std::string& name) {
  auto record = s.find(name);
  EXPECT_TRUE(record) << record.error().message;
  return record ? *record : std::nullopt;
}

// The record, or one with no status when there is none.
core::LogRecord read(store::LogStore& s, const std::string& name) {
  return seen(s, name).value_or(core::LogRecord{.name = name});
}

// Every field of every record, to tell that nothing changed.
std::string everything(store::LogStore& s) {
  auto records = s.load();
  if (!records) return "error: " + records.error().message;
  std::string out;
  for (const core::LogRecord& r : *records) {
    out += fmt::format("{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}|{}\n", r.id, r.name, r.version, r.status,
                       r.applied_at.value_or(-1), r.reverted_at.value_or(-1), r.duration_ms.value_or(-1), r.error,
                       r.checksum, r.applied_by, r.reverted_by, r.lock_owner, r.reverting, r.revision.value_or(-1));
  }
  return out;
}

std::size_t count(store::LogStore& s) {
  auto records = s.load();
  EXPECT_TRUE(records) << records.error().message;
  return records ? records->size() : 0;
}

template <typename T>
void expect_error(const Result<T>& r, ErrorKind kind, const char* what) {
  ASSERT_FALSE(r) << what << " was expected to fail";
  EXPECT_EQ(r.error().kind, kind) << what << ": " << r.error().message;
}

void check_claim_writes_running_and_the_outcome_goes_to_it(LogStoreHarness& h) {
  store::LogStore& s = *h.store;
  core::Migration m = migration("001-a.json");
  auto claim = s.claim_run(m, fresh_claim("owner-1"));
  ASSERT_TRUE(claim) << claim.error().message;
  core::LogRecord r = read(s, m.name);
  EXPECT_EQ(r.status, core::kStatusRunning);
  EXPECT_EQ(r.lock_owner, "owner-1");
  EXPECT_EQ(r.version, "001");
  EXPECT_EQ(r.checksum, m.checksum);
  EXPECT_EQ(r.applied_by, "ci");
  EXPECT_EQ(r.id, claim->id) << "the claim names the record";

  ASSERT_TRUE(s.finish_applied(m, *claim, "ci", kAt, 5));
  r = read(s, m.name);
  EXPECT_EQ(r.status, core::kStatusApplied);
  EXPECT_EQ(r.lock_owner, "") << "an outcome ends the claim";
  EXPECT_EQ(r.applied_at, kAt);
  EXPECT_EQ(r.duration_ms, 5);
  EXPECT_EQ(count(s), 1u);
}

void check_of_two_runners_claiming_a_new_migration_the_second_is_refused(LogStoreHarness& h) {
  store::LogStore& s = *h.store;
  core::Migration m = migration("001-a.json");
  ASSERT_TRUE(s.claim_run(m, fresh_claim("owner-1")));
  expect_error(s.claim_run(m, fresh_claim("owner-2")), ErrorKind::kRefused, "the second claim");
  EXPECT_EQ(read(s, m.name).lock_owner, "owner-1");
  EXPECT_EQ(count(s), 1u);
}

void check_a_running_record_of_the_callers_own_is_its_claim(LogStoreHarness& h) {
  store::LogStore& s = *h.store;
  core::Migration m = migration("001-a.json");
  auto first = s.claim_run(m, fresh_claim("owner-1"));
  ASSERT_TRUE(first) << first.error().message;
  // As after a lost reply: the caller claims again, not knowing it has.
  auto again = s.claim_run(m, fresh_claim("owner-1"));
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->id, first->id);
  ASSERT_TRUE(s.finish_applied(m, *again, "ci", kAt, 5));
  expect_error(s.claim_run(m, fresh_claim("owner-1")), ErrorKind::kRefused, "a claim of an applied record");
  EXPECT_EQ(count(s), 1u);
}

void check_a_claim_of_a_record_changed_since_it_was_read_is_refused(LogStoreHarness& h) {
  store::LogStore& s = *h.store;
  h.put({.name = "001-a.json", .status = core::kStatusFailed, .error = "boom"});
  core::Migration m = migration("001-a.json");
  std::optional<core::LogRecord> both_read = seen(s, m.name);
  ASSERT_TRUE(both_read);
  auto first = s.claim_run(m, {.seen = both_read, .owner = "owner-2", .by = "successor"});
  ASSERT_TRUE(first) << first.error().message;
  expect_error(s.claim_run(m, {.seen = both_read, .owner = "owner-1", .by = "paused"}), ErrorKind::kRefused,
               "a claim of what the other runner claimed meanwhile");
  EXPECT_EQ(read(s, m.name).lock_owner, "owner-2");
  EXPECT_EQ(read(s, m.name).applied_by, "successor");
  ASSERT_TRUE(s.finish_applied(m, *first, "successor", kAt, 5));
  EXPECT_EQ(read(s, m.name).error, "") << "the old failure's error goes with the outcome";
}

// A/B/A: an operator's `mark`, paused past its lease between its read and
// its write, finds the record claimed and failed again by a later runner:
// the same status, no owner, the same error. It still writes nothing.
void check_a_claim_of_a_record_rewritten_to_look_the_same_is_refused(LogStoreHarness& h) {
  store::LogStore& s = *h.store;
  h.put({.name = "001-a.json", .status = core::kStatusFailed, .duration_ms = 5, .error = "boom"});
  core::Migration m = migration("001-a.json");
  std::optional<core::LogRecord> read_by_mark = seen(s, m.name);
  ASSERT_TRUE(read_by_mark);
  auto successor = s.claim_run(m, {.seen = read_by_mark, .owner = "owner-2", .by = "successor"});
  ASSERT_TRUE(successor) << successor.error().message;
  ASSERT_TRUE(s.finish_failed(m, *successor, "boom", 5));
  core::LogRecord again = read(s, m.name);
  EXPECT_EQ(again.status, read_by_mark->status);
  EXPECT_EQ(again.lock_owner, read_by_mark->lock_owner);
  EXPECT_EQ(again.error, read_by_mark->error);
  EXPECT_NE(again.revision, read_by_mark->revision) << "every update changes the revision";
  std::string before = everything(s);
  expect_error(s.set_status(m.name, &m, core::kStatusApplied, kAt, {.seen = read_by_mark, .owner = "owner-1",
                                                                     .by = "ops"}),
               ErrorKind::kRefused, "a mark over a record rewritten since it was read");
  expect_error(s.claim_run(m, {.seen = read_by_mark, .owner = "owner-1", .by = "paused"}), ErrorKind::kRefused,
               "a claim over a record rewritten since it was read");
  EXPECT_EQ(everything(s), before);
}

void check_a_runner_taken_over_cannot_write_over_its_successors_record(LogStoreHarness& h) {
  store::LogStore& s = *h.store;
  core::Migration m = migration("001-a.json");
  auto a = s.claim_run(m, fresh_claim("owner-a", "a"));
  ASSERT_TRUE(a) << a.error().message;
  auto b = s.claim_run(m, {.seen = seen(s, m.name), .owner = "owner-b", .by = "b"});
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(b->id, a->id) << "the same record, claimed again";

  expect_error(s.finish_applied(m, *a, "a", kAt, 5), ErrorKind::kLockLost, "a's outcome");
  expect_error(s.finish_failed(m, *a, "late", 5), ErrorKind::kLockLost, "a's failure");
  expect_error(s.set_metadata(*a, "checkpoint", Value(Doc{{"call", 1}})), ErrorKind::kLockLost, "a's checkpoint");
  EXPECT_EQ(read(s, m.name).status, core::kStatusRunning);
  EXPECT_EQ(read(s, m.name).lock_owner, "owner-b");
  auto checkpoint = s.load_checkpoint(m.name);
  ASSERT_TRUE(checkpoint) << checkpoint.error().message;
  EXPECT_FALSE(checkpoint->has_value()) << "no checkpoint of a's";

  ASSERT_TRUE(s.finish_applied(m, *b, "b", kAt, 7));
  EXPECT_EQ(read(s, m.name).applied_by, "b");
  expect_error(s.finish_failed(m, *a, "later still", 5), ErrorKind::kLockLost, "a's failure after b's outcome");
  EXPECT_EQ(read(s, m.name).status, core::kStatusApplied) << "nor over its outcome";
}

void check_an_outcome_and_the_next_claim_both_land(LogStoreHarness& h) {
  store::LogStore& s = *h.store;
  core::Migration a = migration("001-a.json");
  core::Migration b = migration("002-b.json");
  auto claim_a = s.claim_run(a, fresh_claim("owner-1"));
  ASSERT_TRUE(claim_a) << claim_a.error().message;
  auto claim_b = s.finish_applied_and_claim_run(a, *claim_a, "ci", kAt, 5, b, fresh_claim("owner-1"));
  ASSERT_TRUE(claim_b) << claim_b.error().message;
  ASSERT_TRUE(*claim_b) << claim_b->error().message;
  core::LogRecord ra = read(s, a.name), rb = read(s, b.name);
  EXPECT_EQ(ra.status, core::kStatusApplied);
  EXPECT_EQ(ra.lock_owner, "");
  EXPECT_EQ(ra.duration_ms, 5);
  EXPECT_EQ(rb.status, core::kStatusRunning);
  EXPECT_EQ(rb.lock_owner, "owner-1");
  EXPECT_EQ(rb.version, "002");
  EXPECT_EQ(rb.id, (*claim_b)->id) << "the claim names the record it made";
  ASSERT_TRUE(s.finish_applied(b, **claim_b, "ci", kAt, 6));
  EXPECT_EQ(read(s, b.name).status, core::kStatusApplied);
  EXPECT_EQ(count(s), 2u);
}

void check_an_outcome_and_claim_of_a_runner_taken_over_write_nothing(LogStoreHarness& h) {
  store::LogStore& s = *h.store;
  core::Migration a = migration("001-a.json");
  core::Migration b = migration("002-b.json");
  auto paused = s.claim_run(a, fresh_claim("owner-a", "a"));
  ASSERT_TRUE(paused) << paused.error().message;
  ASSERT_TRUE(s.claim_run(a, {.seen = seen(s, a.name), .owner = "owner-b", .by = "b"}));
  const std::string before = everything(s);
  expect_error(s.finish_applied_and_claim_run(a, *paused, "a", kAt, 5, b, fresh_claim("owner-a", "a")),
               ErrorKind::kLockLost, "the outcome and claim of a runner taken over");
  EXPECT_EQ(everything(s), before) << "nothing written: not the outcome, not the next claim";
}

void check_an_outcome_is_written_when_the_next_claim_is_refused(LogStoreHarness& h) {
  store::LogStore& s = *h.store;
  core::Migration a = migration("001-a.json");
  core::Migration b = migration("002-b.json");
  auto claim_a = s.claim_run(a, fresh_claim("owner-1"));
  ASSERT_TRUE(claim_a) << claim_a.error().message;
  ASSERT_TRUE(s.claim_run(b, fresh_claim("owner-2", "other")));
  auto written = s.finish_applied_and_claim_run(a, *claim_a, "ci", kAt, 5, b, fresh_claim("owner-1"));
  ASSERT_TRUE(written) << written.error().message;
  expect_error(*written, ErrorKind::kRefused, "the claim of a migration another runner holds");
  EXPECT_EQ(read(s, a.name).status, core::kStatusApplied);
  EXPECT_EQ(read(s, b.name).lock_owner, "owner-2") << "the other runner's claim stands";
  EXPECT_EQ(count(s), 2u);
}

void check_a_revert_is_claimed_and_fenced_the_same_way(LogStoreHarness& h) {
  store::LogStore& s = *h.store;
  h.put({.name = "001-a.json", .status = core::kStatusApplied, .applied_by = "ci"});
  core::Migration m = migration("001-a.json");
  expect_error(s.claim_revert(m, fresh_claim("owner-a", "a")), ErrorKind::kRefused, "a revert with nothing read");
  auto a = s.claim_revert(m, {.seen = seen(s, m.name), .owner = "owner-a", .by = "a"});
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(read(s, m.name).status, core::kStatusRunning);
  EXPECT_TRUE(read(s, m.name).reverting);
  // Taken over: the successor finds the revert interrupted and finishes it.
  auto b = s.claim_revert(m, {.seen = seen(s, m.name), .owner = "owner-b", .by = "b"});
  ASSERT_TRUE(b) << b.error().message;
  expect_error(s.finish_reverted(m, *a, "a", kAt), ErrorKind::kLockLost, "a's revert outcome");
  expect_error(s.note_revert_failed(m, *a, "boom"), ErrorKind::kLockLost, "a's failed revert");
  ASSERT_TRUE(s.finish_reverted(m, *b, "b", kAt));
  core::LogRecord r = read(s, m.name);
  EXPECT_EQ(r.status, core::kStatusReverted);
  EXPECT_EQ(r.reverted_by, "b");
  EXPECT_EQ(r.reverted_at, kAt);
  EXPECT_FALSE(r.reverting);
  EXPECT_EQ(r.lock_owner, "");
}

void check_mark_writes_only_over_the_record_it_read(LogStoreHarness& h) {
  store::LogStore& s = *h.store;
  core::Migration m = migration("001-a.json");
  // No record: inserted; a second insert is refused.
  ASSERT_TRUE(s.set_status(m.name, &m, core::kStatusApplied, kAt, fresh_claim("owner-a", "ops")));
  EXPECT_EQ(read(s, m.name).status, core::kStatusApplied);
  EXPECT_EQ(read(s, m.name).checksum, m.checksum);
  EXPECT_EQ(read(s, m.name).applied_by, "ops");
  expect_error(s.set_status(m.name, &m, core::kStatusPending, kAt, fresh_claim("owner-b", "ops")),
               ErrorKind::kRefused, "a second mark of a record it did not read");

  std::optional<core::LogRecord> read_first = seen(s, m.name);
  ASSERT_TRUE(s.set_status(m.name, &m, core::kStatusPending, kAt, {.seen = read_first, .owner = "owner-b",
                                                                    .by = "ops"}));
  EXPECT_EQ(read(s, m.name).status, core::kStatusPending);
  expect_error(s.set_status(m.name, &m, core::kStatusReverted, kAt, {.seen = read_first, .owner = "owner-a",
                                                                      .by = "ops"}),
               ErrorKind::kRefused, "a mark over a record changed since it was read");
  EXPECT_EQ(read(s, m.name).status, core::kStatusPending);
  EXPECT_EQ(read(s, m.name).lock_owner, "") << "a mark holds no claim";
  EXPECT_EQ(count(s), 1u);
}

// Marking applied over an applied record (accepting a modified file) keeps
// when and by whom it ran; marking pending clears what it says of a run.
void check_mark_keeps_the_first_application_and_pending_clears_the_run(LogStoreHarness& h) {
  store::LogStore& s = *h.store;
  core::Migration m = migration("001-a.json");
  ASSERT_TRUE(s.set_status(m.name, &m, core::kStatusApplied, kAt, fresh_claim("owner-a", "first")));
  core::Migration modified = m;
  modified.checksum = "changed";
  ASSERT_TRUE(s.set_status(m.name, &modified, core::kStatusApplied, kAt + 5000,
                           {.seen = seen(s, m.name), .owner = "owner-b", .by = "second"}));
  core::LogRecord r = read(s, m.name);
  EXPECT_EQ(r.checksum, "changed");
  EXPECT_EQ(r.applied_by, "first");
  EXPECT_EQ(r.applied_at, kAt);

  ASSERT_TRUE(s.set_status(m.name, &m, core::kStatusPending, kAt, {.seen = seen(s, m.name), .owner = "owner-b",
                                                                  .by = "ops"}));
  r = read(s, m.name);
  EXPECT_EQ(r.status, core::kStatusPending);
  EXPECT_FALSE(r.applied_at);
  EXPECT_EQ(r.applied_by, "");
  EXPECT_EQ(r.checksum, "");
  EXPECT_FALSE(r.duration_ms);
  EXPECT_FALSE(r.reverted_at);
}

// A C++ batch run that failed half-way, then marked (after a repair by
// hand): its next run starts over, whatever the mark.
void check_every_mark_clears_a_batch_checkpoint(LogStoreHarness& h) {
  store::LogStore& s = *h.store;
  for (std::string status : {core::kStatusPending, core::kStatusReverted, core::kStatusApplied}) {
    SCOPED_TRACE(status);
    core::Migration m = migration("001-" + status + ".json");
    store::ClaimRequest request = fresh_claim("owner-a");
    auto claim = s.claim_run(m, request);
    ASSERT_TRUE(claim) << claim.error().message;
    ASSERT_TRUE(s.set_metadata(*claim, "checkpoint", Value(Doc{{"call", 1}, {"done", 40}})));
    ASSERT_TRUE(s.finish_failed(m, *claim, "boom", 10));
    auto before = s.load_checkpoint(m.name);
    ASSERT_TRUE(before && before->has_value()) << "a failed run keeps its checkpoint";

    ASSERT_TRUE(s.set_status(m.name, &m, status, kAt, {.seen = seen(s, m.name), .owner = "owner-b", .by = "ops"}));
    auto after = s.load_checkpoint(m.name);
    ASSERT_TRUE(after) << after.error().message;
    EXPECT_FALSE(after->has_value()) << "marked " << status << ": no checkpoint to resume from";
    EXPECT_EQ(read(s, m.name).status, status);
  }
}

void check_a_claim_not_started_is_given_back_as_the_record_was(LogStoreHarness& h) {
  store::LogStore& s = *h.store;
  core::Migration fresh = migration("001-a.json");
  store::ClaimRequest insert = fresh_claim("owner-a", "a");
  auto inserted = s.claim_run(fresh, insert);
  ASSERT_TRUE(inserted) << inserted.error().message;
  ASSERT_TRUE(s.release_claim(*inserted, insert));
  EXPECT_FALSE(seen(s, fresh.name).has_value()) << "a record the claim made goes";

  h.put({.name = "002-b.json", .status = core::kStatusFailed, .error = "boom", .applied_by = "x"});
  core::Migration failed = migration("002-b.json");
  const std::string before = everything(s);
  store::ClaimRequest update{.seen = seen(s, failed.name), .owner = "owner-a", .by = "a"};
  auto updated = s.claim_run(failed, update);
  ASSERT_TRUE(updated) << updated.error().message;
  ASSERT_TRUE(s.release_claim(*updated, update));
  EXPECT_EQ(everything(s), before) << "a record the claim changed is as it was";

  // Claimed again by a successor meanwhile: not ours to give back.
  auto mine = s.claim_run(failed, update);
  ASSERT_TRUE(mine) << mine.error().message;
  ASSERT_TRUE(s.claim_run(failed, {.seen = seen(s, failed.name), .owner = "owner-b", .by = "b"}));
  expect_error(s.release_claim(*mine, update), ErrorKind::kLockLost, "giving back a claim taken over");
  EXPECT_EQ(read(s, failed.name).lock_owner, "owner-b");
}

void check_baseline_inserts_stop_at_a_name_that_has_a_record(LogStoreHarness& h) {
  store::LogStore& s = *h.store;
  core::Migration a = migration("001-a.json"), b = migration("002-b.json"), c = migration("003-c.json");
  h.put({.name = b.name, .status = core::kStatusRunning, .lock_owner = "someone-else"});
  std::vector<const core::Migration*> all = {&a, &b, &c};
  auto inserted = s.insert_applied(all, kAt, "ops");
  ASSERT_FALSE(inserted.error) << inserted.error->message;
  EXPECT_EQ(inserted.written, 1u) << "001 only: 002 has a record";
  core::LogRecord ra = read(s, a.name);
  EXPECT_EQ(ra.status, core::kStatusApplied);
  EXPECT_EQ(ra.applied_at, kAt);
  EXPECT_EQ(ra.applied_by, "ops");
  EXPECT_EQ(ra.checksum, a.checksum);
  EXPECT_EQ(read(s, b.name).lock_owner, "someone-else") << "the record in the way stays as it was";
  EXPECT_FALSE(seen(s, c.name).has_value()) << "nothing after it";
}

void check_metadata_goes_to_the_claimed_record_only(LogStoreHarness& h) {
  store::LogStore& s = *h.store;
  core::Migration a = migration("001-a.json"), b = migration("002-b.json");
  auto claim_a = s.claim_run(a, fresh_claim("owner-1"));
  ASSERT_TRUE(claim_a) << claim_a.error().message;
  ASSERT_TRUE(s.claim_run(b, fresh_claim("owner-2")));
  ASSERT_TRUE(s.set_metadata(*claim_a, "checkpoint", Value(Doc{{"call", 2}, {"done", 40}})));
  auto checkpoint = s.load_checkpoint(a.name);
  ASSERT_TRUE(checkpoint) << checkpoint.error().message;
  ASSERT_TRUE(checkpoint->has_value());
  EXPECT_EQ((*checkpoint)->integer("call"), 2);
  EXPECT_EQ((*checkpoint)->integer("done"), 40);
  auto other = s.load_checkpoint(b.name);
  ASSERT_TRUE(other) << other.error().message;
  EXPECT_FALSE(other->has_value());
  auto none = s.load_checkpoint("009-none.json");
  ASSERT_TRUE(none) << none.error().message;
  EXPECT_FALSE(none->has_value()) << "no record, no checkpoint";
}

void check_events_come_back_newest_first(LogStoreHarness& h) {
  store::LogStore& s = *h.store;
  auto empty = s.history(10);
  ASSERT_TRUE(empty) << empty.error().message;
  EXPECT_TRUE(empty->empty());
  ASSERT_TRUE(s.append_event({.name = "001-a.json", .action = "applied", .at = kAt, .by = "ci", .duration_ms = 5,
                              .checksum = std::string(64, 'a'), .host = "h", .pid = 7}));
  std::vector<HistoryEvent> two = {{.name = "002-b.json", .action = "failed", .at = kAt + 1, .by = "ci",
                                    .error = "boom"},
                                   {.name = "002-b.json", .action = "marked", .at = kAt + 2, .by = "ops",
                                    .reason = "fixed by hand"}};
  ASSERT_TRUE(s.append_events(two));
  auto newest = s.history(2);
  ASSERT_TRUE(newest) << newest.error().message;
  ASSERT_EQ(newest->size(), 2u);
  EXPECT_EQ((*newest)[0].action, "marked");
  EXPECT_EQ((*newest)[0].reason, "fixed by hand");
  EXPECT_EQ((*newest)[1].action, "failed");
  EXPECT_EQ((*newest)[1].error, "boom");
  auto all = s.history(10);
  ASSERT_TRUE(all) << all.error().message;
  ASSERT_EQ(all->size(), 3u);
  const HistoryEvent& first = (*all)[2];
  EXPECT_EQ(first.name, "001-a.json");
  EXPECT_EQ(first.at, kAt);
  EXPECT_EQ(first.duration_ms, 5);
  EXPECT_EQ(first.host, "h");
  EXPECT_EQ(first.pid, 7);
  EXPECT_EQ(count(s), 0u) << "events are not records";
}

}  // namespace

const std::vector<LogStoreCheck>& log_store_checks() {
  static const std::vector<LogStoreCheck> checks = {
      {"AClaimWritesRunningAndTheOutcomeGoesToIt", check_claim_writes_running_and_the_outcome_goes_to_it},
      {"OfTwoRunnersClaimingANewMigrationTheSecondIsRefused",
       check_of_two_runners_claiming_a_new_migration_the_second_is_refused},
      {"ARunningRecordOfTheCallersOwnIsItsClaim", check_a_running_record_of_the_callers_own_is_its_claim},
      {"AClaimOfARecordChangedSinceItWasReadIsRefused",
       check_a_claim_of_a_record_changed_since_it_was_read_is_refused},
      {"AClaimOfARecordRewrittenToLookTheSameIsRefused",
       check_a_claim_of_a_record_rewritten_to_look_the_same_is_refused},
      {"ARunnerTakenOverCannotWriteOverItsSuccessorsRecord",
       check_a_runner_taken_over_cannot_write_over_its_successors_record},
      {"AnOutcomeAndTheNextClaimBothLand", check_an_outcome_and_the_next_claim_both_land},
      {"AnOutcomeAndClaimOfARunnerTakenOverWriteNothing",
       check_an_outcome_and_claim_of_a_runner_taken_over_write_nothing},
      {"AnOutcomeIsWrittenWhenTheNextClaimIsRefused", check_an_outcome_is_written_when_the_next_claim_is_refused},
      {"ARevertIsClaimedAndFencedTheSameWay", check_a_revert_is_claimed_and_fenced_the_same_way},
      {"MarkWritesOnlyOverTheRecordItRead", check_mark_writes_only_over_the_record_it_read},
      {"MarkKeepsTheFirstApplicationAndPendingClearsTheRun",
       check_mark_keeps_the_first_application_and_pending_clears_the_run},
      {"EveryMarkClearsABatchCheckpoint", check_every_mark_clears_a_batch_checkpoint},
      {"AClaimNotStartedIsGivenBackAsTheRecordWas", check_a_claim_not_started_is_given_back_as_the_record_was},
      {"BaselineInsertsStopAtANameThatHasARecord", check_baseline_inserts_stop_at_a_name_that_has_a_record},
      {"MetadataGoesToTheClaimedRecordOnly", check_metadata_goes_to_the_claimed_record_only},
      {"EventsComeBackNewestFirst", check_events_come_back_newest_first},
  };
  return checks;
}

std::string log_store_check_name(const ::testing::TestParamInfo<LogStoreCheck>& info) { return info.param.name; }

}  // namespace mongomigrate::testing
