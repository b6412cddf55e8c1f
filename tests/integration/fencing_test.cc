// Fencing (DESIGN.md §5) through the real binary: a runner paused past its
// lease (SIGSTOP: a GC pause, a frozen VM) and taken over, then resumed,
// writes nothing over what its successor recorded, nor to the lock, and
// stops: its one write is an event in the audit trail saying so. It may finish the commands it was in the middle of (nothing can
// stop a paused process's commands in flight); its record cannot say so.
#include <gtest/gtest.h>

#include <csignal>
#include <string>

#include "support/counter_migrations.h"
#include "support/integration.h"
#include "support/lock_docs.h"

namespace mongomigrate::testing {
namespace {

using namespace std::chrono_literals;

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

class FencingTest : public IntegrationTest {};

TEST_F(FencingTest, ARunnerPausedPastItsLeaseAndTakenOverWritesNothingMore) {
  const std::string first = migration_name(1);
  write_migration(first, slow_migration(1, 150, 200));
  write_migration(migration_name(2), counter_migration(2));

  auto paused = cli_background(with_short_lease({"up", "--by", "paused"}), bounded(120s));
  ASSERT_TRUE(wait_until([&] { return (log_status(probe(), first) == "running" && probe().count("bulk") > 0) ||
                                      paused->finished(); },
                         30s))
      << paused->err();
  ASSERT_TRUE(paused->signal(SIGSTOP));
  ASSERT_EQ(counter(probe(), 1), 0) << "stopped in the middle of its migration";
  const std::string paused_owner = probe().string_field("migrationlogs", R"({"name": ")" + first + R"("})",
                                                        "lockOwner");
  ASSERT_FALSE(paused_owner.empty());

  // Its 2 s lease expires; a successor takes the lock over, finds the
  // migration interrupted and runs it again.
  std::this_thread::sleep_for(2500ms);
  ProcessResult successor = cli(with_short_lease({"run", first, "--by", "successor", "--lock-timeout", "10s"}),
                                bounded());
  ASSERT_EQ(successor.exit_code, 0) << describe(successor);
  ASSERT_EQ(log_status(probe(), first), "applied");
  ASSERT_EQ(lock_leftovers(probe()), 0) << "the successor released the lock";
  std::vector<std::string> log_before = probe().find("migrationlogs");
  const std::int64_t events_before = probe().count("migrationlogs_events");

  ASSERT_TRUE(paused->signal(SIGCONT));
  ProcessResult resumed = paused->wait();
  EXPECT_EQ(resumed.exit_code, 4) << describe(resumed);
  EXPECT_TRUE(contains(resumed.err, "lost")) << describe(resumed);

  EXPECT_EQ(probe().find("migrationlogs"), log_before) << "the successor's record is as it wrote it";
  EXPECT_EQ(probe().string_field("migrationlogs", R"({"name": ")" + first + R"("})", "appliedBy"), "successor");
  EXPECT_EQ(probe().count("migrationlogs", R"({"name": ")" + migration_name(2) + R"("})"), 0)
      << "the resumed runner started nothing more";
  EXPECT_EQ(counter(probe(), 2), 0);
  EXPECT_EQ(probe().count("migrationlogs_events", R"({"action": "applied"})"), 1);
  EXPECT_EQ(probe().count("migrationlogs_events", R"({"action": "applied", "by": "successor"})"), 1);
  EXPECT_EQ(probe().count("migrationlogs_events", R"({"action": "failed"})"), 0);
  // Its one write after resuming is to the audit trail, not to the log or
  // the lock: an event saying it stopped because its lease was lost.
  EXPECT_EQ(probe().count("migrationlogs_events"), events_before + 1);
  EXPECT_EQ(probe().count("migrationlogs_events", R"({"action": "stopped", "by": "paused"})"), 1);
  EXPECT_EQ(lock_leftovers(probe()), 0) << "nor anything to the lock";

  ProcessResult rest = cli(with_short_lease({"up"}), bounded());
  EXPECT_EQ(rest.exit_code, 0) << describe(rest);
  EXPECT_EQ(counter(probe(), 2), 1);
}

}  // namespace
}  // namespace mongomigrate::testing
