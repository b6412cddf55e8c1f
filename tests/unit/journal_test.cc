#include "core/journal.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace mongomigrate::core {
namespace {

LogRecord record(std::string name, std::string status) {
  LogRecord r;
  r.name = std::move(name);
  r.status = std::move(status);
  return r;
}

JournaledRecord done(std::string name, std::string status, std::string by = "journal") {
  LogRecord r = record(std::move(name), std::move(status));
  r.applied_by = std::move(by);
  return {"0123456789abcdef01234567", r};
}

HistoryEvent event(std::string name, TimestampMs at) {
  HistoryEvent e;
  e.name = std::move(name);
  e.action = "applied";
  e.at = at;
  return e;
}

const LogRecord* by_name(const std::vector<LogRecord>& records, const std::string& name) {
  for (const LogRecord& r : records) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

TEST(MergeJournal, EmptyJournalLeavesTheLogAsItIs) {
  std::vector<LogRecord> log = {record("a", "applied"), record("b", "failed")};
  auto merged = merge_journal(log, Journal{});
  ASSERT_EQ(merged.size(), 2u);
  EXPECT_EQ(merged[1].status, "failed");
}

TEST(MergeJournal, DoneRecordsAddMissingOnesAndReplaceRunningOnes) {
  std::vector<LogRecord> log = {record("a", "applied"), record("b", "running")};
  Journal journal;
  journal.done = {done("b", "applied"), done("c", "failed")};
  auto merged = merge_journal(log, journal);
  ASSERT_EQ(merged.size(), 3u);
  EXPECT_EQ(by_name(merged, "b")->status, "applied");
  EXPECT_EQ(by_name(merged, "b")->applied_by, "journal");
  EXPECT_EQ(by_name(merged, "c")->status, "failed");
}

TEST(MergeJournal, TheLogsOwnFinishedRecordWins) {
  // Moved already, and changed since under the lease (e.g. reverted): the
  // stale journal entry must not bring the old status back.
  std::vector<LogRecord> log = {record("a", "reverted")};
  Journal journal;
  journal.done = {done("a", "applied")};
  auto merged = merge_journal(log, journal);
  ASSERT_EQ(merged.size(), 1u);
  EXPECT_EQ(merged[0].status, "reverted");
}

LogRecord claimed(std::string name, std::string owner) {
  LogRecord r = record(std::move(name), "");
  r.lock_owner = std::move(owner);
  return r;
}

TEST(MergeJournal, AnotherRunnersRunningRecordIsNotReplaced) {
  // Someone `run` it since, under another lease: that run's record stands.
  LogRecord rerun = record("b", "running");
  rerun.lock_owner = "host:8:beef";
  Journal journal;
  JournaledRecord stale = done("b", "applied");
  stale.claimer = "host:7:feed";
  journal.done = {stale};
  auto merged = merge_journal({rerun}, journal);
  ASSERT_EQ(merged.size(), 1u);
  EXPECT_EQ(merged[0].status, "running");
  EXPECT_EQ(merged[0].lock_owner, "host:8:beef");
}

TEST(MergeJournal, AStartedMigrationWithNoOutcomeShowsRunningUnderItsClaimer) {
  Journal journal;
  journal.started = {claimed("c", "host:7:feed"), claimed("d", "host:7:feed")};
  journal.done = {done("c", "applied")};
  auto merged = merge_journal({record("a", "applied")}, journal);
  ASSERT_EQ(merged.size(), 3u);
  EXPECT_EQ(by_name(merged, "c")->status, "applied") << "its outcome is journaled";
  const LogRecord* d = by_name(merged, "d");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->status, "running");
  EXPECT_EQ(d->lock_owner, "host:7:feed");
}

TEST(MergeJournal, AClaimNeverHidesARecordTheLogHas) {
  Journal journal;
  journal.started = {claimed("a", "host:7:feed")};
  auto merged = merge_journal({record("a", "applied")}, journal);
  ASSERT_EQ(merged.size(), 1u);
  EXPECT_EQ(merged[0].status, "applied");
}

TEST(MergeEvents, JournaledEventsComeFirstNewestFirst) {
  std::vector<HistoryEvent> logged = {event("b", 20), event("a", 10)};
  Journal journal;
  journal.events = {{"id1", event("c", 30)}, {"id2", event("d", 30)}, {"id3", event("e", 40)}};
  auto merged = merge_events(logged, journal, 10);
  std::vector<std::string> order;
  for (const HistoryEvent& e : merged) order.push_back(e.name);
  EXPECT_EQ(order, (std::vector<std::string>{"e", "d", "c", "b", "a"}));
}

TEST(MergeEvents, AnEventMovedAfterTheJournalWasReadIsShownOnce) {
  // Readers read the claims, then the events: a move in between puts the
  // same event in both.
  std::vector<HistoryEvent> logged = {event("b", 20), event("a", 10)};
  Journal journal;
  journal.events = {{"id1", event("b", 20)}, {"id2", event("c", 30)}};
  auto merged = merge_events(logged, journal, 10);
  std::vector<std::string> order;
  for (const HistoryEvent& e : merged) order.push_back(e.name);
  EXPECT_EQ(order, (std::vector<std::string>{"c", "b", "a"}));
}

TEST(MergeEvents, ClaimsInAnyOrderComeOutByTimeThenByTheirObjectIds) {
  // Claims are read in no particular order, and one millisecond can hold
  // several events: the ObjectIds a runner made them with keep their order.
  Journal journal;
  journal.events = {{"6900000000000000000000c3", event("third", 20)},
                    {"6900000000000000000000c1", event("first", 20)},
                    {"6900000000000000000000c4", event("later", 30)},
                    {"6900000000000000000000c2", event("second", 20)}};
  auto merged = merge_events({}, journal, 10);
  std::vector<std::string> order;
  for (const HistoryEvent& e : merged) order.push_back(e.name);
  EXPECT_EQ(order, (std::vector<std::string>{"later", "third", "second", "first"}));
}

TEST(MergeEvents, InterleavesByTimeAndKeepsTheLimit) {
  // A clock step back: a journaled event older than a logged one still sorts by time.
  std::vector<HistoryEvent> logged = {event("b", 20), event("a", 10)};
  Journal journal;
  journal.events = {{"id1", event("c", 15)}, {"id2", event("d", 20)}};
  auto merged = merge_events(logged, journal, 3);
  std::vector<std::string> order;
  for (const HistoryEvent& e : merged) order.push_back(e.name);
  EXPECT_EQ(order, (std::vector<std::string>{"d", "b", "c"}));
}

}  // namespace
}  // namespace mongomigrate::core
