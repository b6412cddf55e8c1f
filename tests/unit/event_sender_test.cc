// The event sender's failure path, and what a runner does about it (the
// success path is every integration test of `up`, which counts one event
// per migration in the server's audit trail).
#include "runner/event_sender.h"

#include <gtest/gtest.h>

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
  EXPECT_FALSE(sender.finish()) << "finish() may be called again";
}

TEST(EventSender, FinishWithNothingSentSucceeds) {
  EventSender sender([]() -> Result<std::unique_ptr<store::LogStore>> {
    return std::unexpected(Error{ErrorKind::kDatabase, "never opened"});
  });
  EXPECT_TRUE(sender.finish());
}

// A runner writes a migration's event while the next one runs and waits
// for it before that one's outcome. If the event could not be written, the
// outcome is written all the same (the log is never behind), then that
// one's own event, and the run stops with the event's error, claiming
// nothing more.
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
  EXPECT_EQ(log.record("003-c.json").status, "") << "c is not claimed";
  // a's event is the one lost, as the message says; b's own is written on
  // the runner's connection, not queued behind it to be lost as well.
  ASSERT_EQ(log.events().size(), 1u);
  EXPECT_EQ(log.events()[0].name, "002-b.json");
  EXPECT_EQ(log.events()[0].action, "applied");
}

}  // namespace
}  // namespace mongomigrate::runner
