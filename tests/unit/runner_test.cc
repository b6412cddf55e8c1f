// The runner's answers when its lease is found lost around a claim, on the
// in-memory log: a refusal caused by a successor is a lost lease (exit 4),
// and a claim whose migration never started is given back, for `down` as
// for `up`.
#include "runner/runner.h"

#include <gtest/gtest.h>

#include <future>
#include <string>

#include "support/memory_migrator.h"

namespace mongomigrate::runner {
namespace {

// A lease check that answers `lost` (kLockLost) or that the lease is ours.
LeaseCheck lease(bool lost) {
  return [lost] {
    std::promise<Result<void>> answer;
    if (lost) {
      answer.set_value(std::unexpected(Error{ErrorKind::kLockLost, "the lease is held by other:1:ff now"}));
    } else {
      answer.set_value({});
    }
    return answer.get_future();
  };
}

class RunnerLeaseTest : public ::testing::Test {
 protected:
  Runner runner(bool lease_lost) {
    return Runner(target_, log_, RunnerIdentity{.actor = "ci", .host = "h", .pid = 1}, "owner-1", {},
                  lease(lease_lost));
  }
  std::optional<core::LogRecord> seen(const std::string& name) { return *log_.find(name); }

  testing::MemoryLogStore log_;
  testing::RecordingTarget target_;
};

// Read `failed`; a successor took the lease over and ran it again before
// this runner's claim: the claim is refused because the lease is lost.
TEST_F(RunnerLeaseTest, AClaimRefusedAfterTheLeaseWasTakenOverIsALostLease) {
  log_.put({.name = "001-a.json", .status = core::kStatusFailed, .error = "boom"});
  std::optional<core::LogRecord> read_before = seen("001-a.json");
  log_.put({.name = "001-a.json", .status = core::kStatusApplied, .applied_by = "successor"});
  core::Migration a{.name = "001-a.json"};

  auto lost = runner(/*lease_lost=*/true).apply(a, {}, read_before);
  ASSERT_FALSE(lost);
  EXPECT_EQ(lost.error().kind, ErrorKind::kLockLost) << lost.error().message;
  EXPECT_NE(lost.error().message.find("held by other:1:ff"), std::string::npos) << lost.error().message;

  auto refused = runner(/*lease_lost=*/false).apply(a, {}, read_before);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::kRefused) << "the lease is ours: the record is what stands in the way";
  EXPECT_TRUE(target_.commands().empty()) << "nothing ran";
  EXPECT_EQ(log_.record("001-a.json").applied_by, "successor");
}

// A revert claimed, then the lease found lost: its down never ran, so the
// record goes back to applied (left running, being reverted, it would read
// as a revert stopped half-way and block `up`).
TEST_F(RunnerLeaseTest, ARevertWhoseLeaseIsFoundLostGivesItsClaimBack) {
  log_.put({.name = "001-a.json", .status = core::kStatusApplied, .applied_by = "ci"});
  core::Migration a{.name = "001-a.json", .down = std::vector<core::Command>{}};

  auto lost = runner(/*lease_lost=*/true).revert(a, *seen("001-a.json"));
  ASSERT_FALSE(lost);
  EXPECT_EQ(lost.error().kind, ErrorKind::kLockLost) << lost.error().message;
  EXPECT_NE(lost.error().message.find("stopped before reverting 001-a.json"), std::string::npos)
      << lost.error().message;
  core::LogRecord r = log_.record("001-a.json");
  EXPECT_EQ(r.status, core::kStatusApplied);
  EXPECT_FALSE(r.reverting);
  EXPECT_EQ(r.lock_owner, "");
  EXPECT_TRUE(log_.events().empty());

  auto claimed_elsewhere = runner(/*lease_lost=*/true).revert(a, core::LogRecord{.name = "001-a.json",
                                                                                 .status = core::kStatusFailed});
  ASSERT_FALSE(claimed_elsewhere);
  EXPECT_EQ(claimed_elsewhere.error().kind, ErrorKind::kLockLost) << "refused because the lease was lost";
}

// A C++ migration whose Context cannot be opened (here: the recording
// target has no database for one; in life, a checkpoint that cannot be
// read during a failover) never ran a line: its claim is given back, so the
// record does not read as an interrupted run that blocks `up`.
TEST_F(RunnerLeaseTest, ACompiledMigrationThatCouldNotStartGivesItsClaimBack) {
  CompiledMigration body{.name = "001-a.cc", .up = [](Context&) {}, .down = [](Context&) {}};
  core::Migration fresh{.name = "001-a.cc", .compiled = &body};
  auto not_started = runner(/*lease_lost=*/false).apply(fresh, {}, std::nullopt);
  ASSERT_FALSE(not_started);
  EXPECT_EQ(not_started.error().kind, ErrorKind::kDatabase) << not_started.error().message;
  EXPECT_EQ(not_started.error().message.find("001-a.cc was not started: "), 0u) << not_started.error().message;
  EXPECT_EQ(log_.record("001-a.cc").status, "") << "the record the claim made is gone";

  log_.put({.name = "001-a.cc", .status = core::kStatusFailed, .error = "boom"});
  auto again = runner(/*lease_lost=*/false).apply(fresh, {}, seen("001-a.cc"));
  ASSERT_FALSE(again);
  core::LogRecord failed = log_.record("001-a.cc");
  EXPECT_EQ(failed.status, core::kStatusFailed) << "as it was before the claim";
  EXPECT_EQ(failed.error, "boom");
  EXPECT_EQ(failed.lock_owner, "");

  log_.put({.name = "001-a.cc", .status = core::kStatusApplied});
  auto revert = runner(/*lease_lost=*/false).revert(fresh, *seen("001-a.cc"));
  ASSERT_FALSE(revert);
  EXPECT_EQ(revert.error().message.find("001-a.cc's down was not started: "), 0u) << revert.error().message;
  core::LogRecord applied = log_.record("001-a.cc");
  EXPECT_EQ(applied.status, core::kStatusApplied);
  EXPECT_FALSE(applied.reverting);
  EXPECT_TRUE(log_.events().empty()) << "nothing ran, nothing to record";
}

}  // namespace
}  // namespace mongomigrate::runner
