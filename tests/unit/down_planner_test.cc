// core::plan_down (what `down` reverts), the out-of-order flags of plan_up
// and build_status, and status_exit_code: pure, no server.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/invalid_entries.h"
#include "core/planner.h"

namespace mongomigrate::core {
namespace {

using Kind = DownRequest::Kind;

Migration reversible(std::string name) {
  Migration m;
  m.name = std::move(name);
  m.checksum = "sum";
  m.down = std::vector<Command>{};
  return m;
}

Migration irreversible(std::string name) {
  Migration m = reversible(std::move(name));
  m.down.reset();
  return m;
}

LogRecord record(std::string name, std::string status) {
  LogRecord r;
  r.name = std::move(name);
  r.status = std::move(status);
  r.checksum = "sum";
  return r;
}

LogRecord interrupted_revert(std::string name) {
  LogRecord r = record(std::move(name), "running");
  r.reverting = true;
  return r;
}

std::vector<std::string> names(const DownPlan& plan) {
  std::vector<std::string> out;
  for (const Migration* m : plan.to_revert) out.push_back(m->name);
  return out;
}

bool mentions(const DownPlan& plan, const std::string& text) {
  return plan.refusal && plan.refusal->message.find(text) != std::string::npos;
}

// 01..05; 01-03 applied, 04 pending, 05 applied.
class PlanDown : public ::testing::Test {
 protected:
  Catalog catalog = {reversible("01.json"), reversible("02.json"), reversible("03.json"), reversible("04.json"),
                     reversible("05.json")};
  std::vector<LogRecord> records = {record("05.json", "applied"), record("01.json", "applied"),
                                    record("02.json", "applied"), record("03.json", "applied")};
  DownPlan plan(DownRequest request) { return plan_down(catalog, records, {}, request); }
};

TEST_F(PlanDown, LastRevertsTheNewestApplied) {
  DownPlan p = plan({.kind = Kind::kLast});
  EXPECT_FALSE(p.refusal);
  EXPECT_EQ(names(p), (std::vector<std::string>{"05.json"}));
}

TEST_F(PlanDown, CountRevertsTheNewestNNewestFirstSkippingWhatIsNotApplied) {
  DownPlan p = plan({.kind = Kind::kLast, .count = 3});
  EXPECT_EQ(names(p), (std::vector<std::string>{"05.json", "03.json", "02.json"}));
  p = plan({.kind = Kind::kLast, .count = 99});
  EXPECT_EQ(names(p), (std::vector<std::string>{"05.json", "03.json", "02.json", "01.json"})) << "what there is";
}

TEST_F(PlanDown, CountBelowOneIsAUsageError) {
  for (int count : {0, -1}) {
    DownPlan p = plan({.kind = Kind::kLast, .count = count});
    ASSERT_TRUE(p.refusal);
    EXPECT_EQ(p.refusal->kind, ErrorKind::kUsage);
    EXPECT_TRUE(p.to_revert.empty());
  }
}

TEST_F(PlanDown, NothingAppliedPlansNothing) {
  records.clear();
  EXPECT_FALSE(plan({.kind = Kind::kLast}).refusal);
  EXPECT_TRUE(plan({.kind = Kind::kLast}).to_revert.empty());
  EXPECT_TRUE(plan({.kind = Kind::kAfter, .name = "01.json"}).to_revert.empty());
}

TEST_F(PlanDown, AfterRevertsEveryAppliedOneAfterTheTargetAndKeepsIt) {
  DownPlan p = plan({.kind = Kind::kAfter, .name = "01.json"});
  EXPECT_FALSE(p.refusal);
  EXPECT_EQ(names(p), (std::vector<std::string>{"05.json", "03.json", "02.json"}));
  EXPECT_TRUE(plan({.kind = Kind::kAfter, .name = "05.json"}).to_revert.empty());
}

TEST_F(PlanDown, AfterANotAppliedTargetRevertsWhatIsAppliedAfterIt) {
  DownPlan p = plan({.kind = Kind::kAfter, .name = "04.json"});
  EXPECT_FALSE(p.refusal);
  EXPECT_EQ(names(p), (std::vector<std::string>{"05.json"}));
}

TEST_F(PlanDown, OneUnderLaterAppliedOnesIsRefusedListingThemUnlessForced) {
  DownPlan p = plan({.kind = Kind::kOne, .name = "02.json"});
  ASSERT_TRUE(p.refusal);
  EXPECT_EQ(p.refusal->kind, ErrorKind::kRefused);
  EXPECT_TRUE(mentions(p, "03.json, 05.json")) << p.refusal->message;
  EXPECT_FALSE(mentions(p, "04.json")) << "not applied";
  EXPECT_TRUE(mentions(p, "--force"));
  EXPECT_TRUE(p.to_revert.empty());

  p = plan({.kind = Kind::kOne, .name = "02.json", .force = true});
  EXPECT_FALSE(p.refusal);
  EXPECT_EQ(names(p), (std::vector<std::string>{"02.json"}));
  EXPECT_EQ(names(plan({.kind = Kind::kOne, .name = "05.json"})), (std::vector<std::string>{"05.json"}));
}

TEST_F(PlanDown, OneNotAppliedIsRefused) {
  DownPlan p = plan({.kind = Kind::kOne, .name = "04.json", .force = true});
  ASSERT_TRUE(p.refusal);
  EXPECT_EQ(p.refusal->kind, ErrorKind::kRefused);
  EXPECT_TRUE(mentions(p, "not applied"));
}

TEST_F(PlanDown, AnInterruptedRevertIsFinishedWhateverIsAppliedAfterIt) {
  records[2] = interrupted_revert("02.json");
  DownPlan p = plan({.kind = Kind::kOne, .name = "02.json"});
  EXPECT_FALSE(p.refusal) << p.refusal->message;
  EXPECT_EQ(names(p), (std::vector<std::string>{"02.json"}));
}

TEST_F(PlanDown, AnInterruptedOneInTheWayRefusesTheWholeSequence) {
  records[0] = interrupted_revert("05.json");
  DownPlan last = plan({.kind = Kind::kLast});
  ASSERT_TRUE(last.refusal);
  EXPECT_TRUE(mentions(last, "`down 05.json`")) << last.refusal->message;
  EXPECT_TRUE(last.to_revert.empty());
  EXPECT_TRUE(plan({.kind = Kind::kAfter, .name = "02.json"}).refusal);
  // Before the target: not in the way.
  records[0] = record("05.json", "applied");
  records[1] = record("01.json", "running");  // an `up` left running, no live lease
  DownPlan after = plan({.kind = Kind::kAfter, .name = "02.json"});
  EXPECT_FALSE(after.refusal) << after.refusal->message;
  EXPECT_EQ(names(after), (std::vector<std::string>{"05.json", "03.json"}));
  DownPlan count = plan({.kind = Kind::kLast, .count = 4});
  EXPECT_FALSE(count.refusal) << "01 is older than 02, the oldest applied";
  EXPECT_EQ(names(count), (std::vector<std::string>{"05.json", "03.json", "02.json"}));
}

// `down <name>` under a later migration left running (no live lease) or
// half reverted is refused, --force or not, as a sequence is; one before
// the target is not in the way, and finishing the target's own interrupted
// revert is never refused.
TEST_F(PlanDown, OneUnderALaterInterruptedOneIsRefusedEvenForced) {
  records.push_back(record("04.json", "running"));
  for (bool force : {false, true}) {
    DownPlan p = plan({.kind = Kind::kOne, .name = "03.json", .force = force});
    ASSERT_TRUE(p.refusal) << "force " << force;
    EXPECT_EQ(p.refusal->kind, ErrorKind::kRefused);
    EXPECT_TRUE(mentions(p, "04.json is interrupted")) << p.refusal->message;
    EXPECT_TRUE(p.to_revert.empty());
  }
  EXPECT_EQ(names(plan({.kind = Kind::kOne, .name = "05.json"})), (std::vector<std::string>{"05.json"}))
      << "04 is before 05: not in the way";
  records.back() = interrupted_revert("04.json");
  EXPECT_TRUE(mentions(plan({.kind = Kind::kOne, .name = "01.json", .force = true}), "`down 04.json`"));
  records[2] = interrupted_revert("02.json");
  DownPlan finish = plan({.kind = Kind::kOne, .name = "02.json"});
  EXPECT_FALSE(finish.refusal) << finish.refusal->message;
  EXPECT_EQ(names(finish), (std::vector<std::string>{"02.json"}));
}

TEST_F(PlanDown, ALiveRunnersRecordIsNotInTheWayBeforeTheLockIsTaken) {
  LogRecord live = record("06.json", "running");
  live.lock_owner = "other";
  records.push_back(live);
  DownPlan p = plan_down(catalog, records, {.live_lease = true, .lease_owner = "other"}, {.kind = Kind::kLast});
  EXPECT_FALSE(p.refusal);
  // Under our own lease the same record is interrupted.
  p = plan_down(catalog, records, {.live_lease = true, .lease_owner = "us"}, {.kind = Kind::kLast});
  EXPECT_TRUE(p.refusal);
}

TEST_F(PlanDown, AnIrreversibleOneRefusesTheWholeSequence) {
  catalog[2] = irreversible("03.json");
  DownPlan p = plan({.kind = Kind::kAfter, .name = "01.json"});
  ASSERT_TRUE(p.refusal);
  EXPECT_EQ(p.refusal->kind, ErrorKind::kRefused);
  EXPECT_TRUE(mentions(p, "03.json")) << p.refusal->message;
  EXPECT_TRUE(mentions(p, "irreversible"));
  EXPECT_TRUE(mentions(p, "nothing was reverted"));
  EXPECT_TRUE(p.to_revert.empty()) << "not even 05, which comes first";
  EXPECT_FALSE(plan({.kind = Kind::kLast}).refusal) << "05 alone is reversible";
}

TEST_F(PlanDown, AnAppliedRecordWithNoFileIsBadInput) {
  records.push_back(record("06.json", "applied"));
  DownPlan p = plan({.kind = Kind::kLast});
  ASSERT_TRUE(p.refusal);
  EXPECT_EQ(p.refusal->kind, ErrorKind::kBadInput);
  EXPECT_TRUE(mentions(p, "06.json"));
  EXPECT_TRUE(mentions(p, "missing"));
  p = plan({.kind = Kind::kOne, .name = "06.json"});
  ASSERT_TRUE(p.refusal);
  EXPECT_EQ(p.refusal->kind, ErrorKind::kBadInput);
}

TEST_F(PlanDown, AFailedOneIsNeitherRevertedNorInTheWay) {
  records.push_back(record("04.json", "failed"));
  EXPECT_EQ(names(plan({.kind = Kind::kLast, .count = 2})), (std::vector<std::string>{"05.json", "03.json"}));
}

// ---- out of order

TEST(OutOfOrder, PendingBeforeTheNewestAppliedIsFlaggedByPlanUpAndBuildStatus) {
  Catalog catalog = {reversible("01.json"), reversible("02.json"), reversible("03.json"), reversible("04.json")};
  std::vector<LogRecord> records = {record("01.json", "applied"), record("03.json", "applied"),
                                    record("02.json", "reverted")};
  UpPlan plan = plan_up(catalog, records, {});
  ASSERT_EQ(plan.to_apply.size(), 2u);
  ASSERT_EQ(plan.out_of_order.size(), 1u);
  EXPECT_EQ(plan.out_of_order[0]->name, "02.json");

  StatusReport status = build_status(catalog, records, {});
  EXPECT_EQ(status.out_of_order, (std::vector<std::string>{"02.json"}));
  EXPECT_TRUE(status.migrations[1].out_of_order);
  EXPECT_FALSE(status.migrations[3].out_of_order) << "04 comes after every applied one";
  EXPECT_FALSE(status.migrations[0].out_of_order);
}

TEST(OutOfOrder, NothingAppliedOrAllInOrderFlagsNothing) {
  Catalog catalog = {reversible("01.json"), reversible("02.json")};
  EXPECT_TRUE(plan_up(catalog, {}, {}).out_of_order.empty());
  EXPECT_TRUE(plan_up(catalog, {record("01.json", "applied")}, {}).out_of_order.empty());
  EXPECT_TRUE(plan_up(catalog, {record("02.json", "failed")}, {}).out_of_order.empty()) << "failed is not applied";
}

TEST(OutOfOrder, AnAppliedRecordWithNoFileCountsAsTheNewest) {
  Catalog catalog = {reversible("01.json")};
  EXPECT_EQ(build_status(catalog, {record("09.json", "applied")}, {}).out_of_order,
            (std::vector<std::string>{"01.json"}));
}

TEST(PlanUpTo, NothingAfterTheLastNameIsPlannedOrBlocks) {
  Catalog catalog = {reversible("01.json"), reversible("02.json"), reversible("03.json"), reversible("04.json")};
  std::vector<LogRecord> records = {record("01.json", "applied"), record("04.json", "failed")};
  UpPlan plan = plan_up(catalog, records, {}, "03.json");
  ASSERT_EQ(plan.to_apply.size(), 2u);
  EXPECT_EQ(plan.to_apply[0]->name, "02.json");
  EXPECT_EQ(plan.to_apply[1]->name, "03.json");
  EXPECT_FALSE(plan.blocked_by) << "the failed 04 is past the target";
  EXPECT_TRUE(plan_up(catalog, records, {}, "01.json").to_apply.empty());
  EXPECT_EQ(plan_up(catalog, records, {}).blocked_by, "04.json");
}

// ---- status --exit-code

TEST(StatusExitCode, EachOutcome) {
  Catalog catalog = {reversible("01.json"), reversible("02.json")};
  auto code = [&](std::vector<LogRecord> records) { return status_exit_code(build_status(catalog, records, {})); };
  EXPECT_EQ(code({record("01.json", "applied"), record("02.json", "applied")}), 0);
  EXPECT_EQ(status_exit_code(build_status({}, {}, {})), 0) << "no migrations at all";
  EXPECT_EQ(code({record("01.json", "applied")}), 5) << "pending";
  EXPECT_EQ(code({record("01.json", "applied"), record("02.json", "reverted")}), 5);
  EXPECT_EQ(code({record("01.json", "applied"), record("02.json", "failed")}), 1);
  EXPECT_EQ(code({record("01.json", "failed")}), 1) << "a problem beats pending work";
  EXPECT_EQ(code({record("01.json", "applied"), record("02.json", "running")}), 1) << "interrupted";
  LogRecord modified = record("01.json", "applied");
  modified.checksum = "other";
  EXPECT_EQ(code({modified, record("02.json", "applied")}), 1);
  EXPECT_EQ(code({record("01.json", "applied"), record("02.json", "applied"), record("03.json", "applied")}), 1)
      << "missing";
  EXPECT_EQ(code({record("01.json", "applied"), record("02.json", "applied"), record("03.json", "reverted")}), 0)
      << "a reverted record with no file is neither a problem nor work";
}

TEST(StatusExitCode, AnInvalidFileIsAProblemEvenWithWorkPending) {
  Catalog catalog = {reversible("01.json")};
  StatusReport status = build_status(catalog, {record("01.json", "applied")}, {});
  add_invalid_entries(status, {{.name = "02.json", .error = "invalid JSON at line 1", .not_a_file = false}});
  EXPECT_EQ(status_exit_code(status), 1);
}

}  // namespace
}  // namespace mongomigrate::core
