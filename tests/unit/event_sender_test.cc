// The event sender's failure path, and what a runner does about it (the
// success path is every integration test of `up`, which counts one event
// per migration in the server's audit trail).
#include "runner/event_sender.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "runner/runner.h"
#include "support/memory_migrator.h"

namespace mongomigrate::runner {
namespace {

TEST(EventSender, EventsThatCannotBeWrittenAreCountedAndReportedByFinish) {
  int opened = 0;
  EventSender sender([&opened]() -> Result<std::unique_ptr<store::LogStore>> {
    ++opened;
    return std::unexpected(Error{ErrorKind::kDatabase, "cannot reach the database"});
  });
  HistoryEvent event;
  event.name = "001-a.json";
  event.action = "applied";
  sender.send(event);
  event.name = "002-b.json";
  sender.send(event);
  auto finished = sender.finish();
  ASSERT_FALSE(finished);
  EXPECT_EQ(finished.error().kind, ErrorKind::kDatabase);
  EXPECT_NE(finished.error().message.find("2 event(s) could not be recorded"), std::string::npos)
      << finished.error().message;
  EXPECT_NE(finished.error().message.find("cannot reach the database"), std::string::npos);
  EXPECT_EQ(opened, 2) << "the store is opened again for each event until it opens";
  EXPECT_TRUE(sender.finish()) << "each failure is reported once; nothing failed since";
  sender.send(event);
  EXPECT_FALSE(sender.finish()) << "a failure after the last finish() is reported by the next";
}

TEST(EventSender, FinishWithNothingSentSucceeds) {
  EventSender sender([]() -> Result<std::unique_ptr<store::LogStore>> {
    return std::unexpected(Error{ErrorKind::kDatabase, "never opened"});
  });
  EXPECT_TRUE(sender.finish());
}

// A runner writes a migration's event while the next one runs and waits
// for it after that one's outcome. If the event could not be written, the
// outcome is written all the same (the log is never behind), then that
// one's own event, and the run stops with the event's error, leaving
// nothing more claimed.
TEST(RunnerEvents, AnEventThatCannotBeWrittenStopsTheRunAfterTheNextOutcomeIsRecorded) {
  testing::MemoryLogStore log;
  testing::RecordingTarget target;
  Runner runner(target, log, RunnerIdentity{.actor = "ci", .host = "h", .pid = 1}, "owner-1", {}, {},
                []() -> Result<std::unique_ptr<store::LogStore>> {
                  return std::unexpected(Error{ErrorKind::kDatabase, "cannot reach the database"});
                });
  core::Migration a{.name = "001-a.json"}, b{.name = "002-b.json"}, c{.name = "003-c.json"};
  auto first = runner.apply(a, {}, std::nullopt, &b);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(log.record("002-b.json").status, "running") << "claimed with a's outcome";

  auto second = runner.apply(b, {}, std::nullopt, &c);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().kind, ErrorKind::kDatabase) << second.error().message;
  EXPECT_NE(second.error().message.find("cannot reach the database"), std::string::npos) << second.error().message;
  EXPECT_EQ(second.error().message.find("002-b.json is recorded applied, but 1 event(s) could not be recorded"), 0u)
      << "says what the log holds, which the run's report will not: " << second.error().message;
  EXPECT_EQ(log.record("001-a.json").status, "applied");
  EXPECT_EQ(log.record("002-b.json").status, "applied") << "b ran to its end: its outcome is recorded";
  EXPECT_EQ(log.record("003-c.json").status, "") << "c is not claimed (or its claim was given back)";
  // a's event is the one lost, as the message says; b's own is written on
  // the runner's connection, not queued behind it to be lost as well.
  ASSERT_EQ(log.events().size(), 1u);
  EXPECT_EQ(log.events()[0].name, "002-b.json");
  EXPECT_EQ(log.events()[0].action, "applied");
}

// The events' store: an event of another migration than `watched` waits
// until the log says `watched` is applied (or a while has passed) and notes
// which it was; every event goes to the log.
class EventsAfter final : public testing::MemoryLogStore {
 public:
  EventsAfter(testing::MemoryLogStore& log, std::string watched, std::atomic<bool>& seen_applied)
      : log_(log), watched_(std::move(watched)), seen_applied_(seen_applied) {}
  Result<void> append_event(const HistoryEvent& event) override {
    if (event.name != watched_) {
      for (int i = 0; i < 5000 && log_.record(watched_).status != core::kStatusApplied; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      seen_applied_ = log_.record(watched_).status == core::kStatusApplied;
    }
    return log_.append_event(event);
  }

 private:
  testing::MemoryLogStore& log_;
  std::string watched_;
  std::atomic<bool>& seen_applied_;
};

// The log is never behind the audit trail: a's event, still being written
// when b finishes, does not hold back b's outcome.
TEST(RunnerEvents, AnOutcomeIsWrittenWithoutWaitingForThePreviousEvent) {
  testing::MemoryLogStore log;
  testing::RecordingTarget target;
  std::atomic<bool> b_applied_first{false};
  Runner runner(target, log, RunnerIdentity{.actor = "ci", .host = "h", .pid = 1}, "owner-1", {}, {},
                [&]() -> Result<std::unique_ptr<store::LogStore>> {
                  return std::make_unique<EventsAfter>(log, "002-b.json", b_applied_first);
                });
  core::Migration a{.name = "001-a.json"}, b{.name = "002-b.json"};
  ASSERT_TRUE(runner.apply(a, {}, std::nullopt, &b));
  auto second = runner.apply(b, {}, std::nullopt);
  ASSERT_TRUE(second) << second.error().message;
  ASSERT_TRUE(runner.finish_events());
  EXPECT_TRUE(b_applied_first) << "b's outcome was written while a's event was in flight";
  ASSERT_EQ(log.events().size(), 2u);
  EXPECT_EQ(log.events()[0].name, "001-a.json") << "the events keep their order";
  EXPECT_EQ(log.events()[1].name, "002-b.json");
}

}  // namespace
}  // namespace mongomigrate::runner
