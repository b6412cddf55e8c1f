// The event sender's failure path (its success path is every integration
// test of `up`, which counts one event per migration in the server's audit
// trail).
#include "runner/event_sender.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace mongomigrate::runner
