// What `baseline` may record, and which names a legacy log holds twice
// (issue 15, items 1 and 11): pure decisions, no server.
#include "core/recovery_plan.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace mongomigrate::core {
namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

Catalog catalog(int count) {
  Catalog c;
  for (int n = 1; n <= count; ++n) {
    Migration m;
    m.name = "00" + std::to_string(n) + "-m.json";
    m.checksum = "sum" + std::to_string(n);
    c.push_back(m);
  }
  return c;
}

LogRecord record(std::string name, std::string status, std::string id = "") {
  LogRecord r;
  r.name = std::move(name);
  r.status = std::move(status);
  r.id = std::move(id);
  return r;
}

std::vector<std::string> step_names(const BaselinePlan& plan) {
  std::vector<std::string> out;
  for (const BaselineStep& s : plan.steps) out.push_back(s.migration->name);
  return out;
}

TEST(PlanBaseline, RecordsEveryMigrationWithoutARecordUpToTheTarget) {
  Catalog c = catalog(4);
  BaselinePlan plan = plan_baseline(c, {record("001-m.json", "applied")}, "003-m.json", false);
  EXPECT_TRUE(plan.refusal.empty()) << plan.refusal;
  EXPECT_EQ(step_names(plan), (std::vector<std::string>{"002-m.json", "003-m.json"}));
  EXPECT_FALSE(plan.steps[0].seen.has_value());
}

TEST(PlanBaseline, RefusesEveryUnfinishedRecordUpToTheTargetNamingItsStatus) {
  Catalog c = catalog(6);
  std::vector<LogRecord> log = {record("001-m.json", "failed"), record("002-m.json", "running"),
                                record("003-m.json", "reverted"), record("004-m.json", "pending"),
                                record("006-m.json", "failed")};
  BaselinePlan plan = plan_baseline(c, log, "005-m.json", false);
  EXPECT_EQ(plan.unfinished, (std::vector<std::string>{"001-m.json (failed)", "002-m.json (interrupted)",
                                                       "003-m.json (reverted)", "004-m.json (pending)"}));
  EXPECT_TRUE(contains(plan.refusal, "--include-unfinished")) << plan.refusal;
  EXPECT_TRUE(contains(plan.refusal, "002-m.json (interrupted)")) << plan.refusal;
  EXPECT_FALSE(contains(plan.refusal, "006-m.json")) << "past the target: " << plan.refusal;

  BaselinePlan included = plan_baseline(c, log, "005-m.json", true);
  EXPECT_TRUE(included.refusal.empty()) << included.refusal;
  ASSERT_EQ(included.steps.size(), 5u);
  EXPECT_EQ(included.steps[0].seen->status, "failed") << "claimed as read";
  EXPECT_FALSE(included.steps[4].seen.has_value());
}

// Before the lock, a live runner's `running` record is not judged
// interrupted: its outcome is not known yet. Under the caller's own lease
// the same record is interrupted.
TEST(PlanBaseline, ALiveRunnersRecordIsJudgedOnlyUnderTheLock) {
  Catalog c = catalog(3);
  LogRecord live = record("002-m.json", "running");
  live.lock_owner = "other";
  BaselinePlan before = plan_baseline(c, {live}, "003-m.json", false, {.live_lease = true, .lease_owner = "other"});
  EXPECT_TRUE(before.refusal.empty()) << before.refusal;
  EXPECT_EQ(before.running_elsewhere, std::vector<std::string>{"002-m.json"});
  EXPECT_EQ(step_names(before), (std::vector<std::string>{"001-m.json", "003-m.json"}));
  BaselinePlan under = plan_baseline(c, {live}, "003-m.json", false, {.live_lease = true, .lease_owner = "us"});
  EXPECT_TRUE(contains(under.refusal, "002-m.json (interrupted)")) << under.refusal;
  EXPECT_TRUE(under.running_elsewhere.empty());
}

TEST(PlanBaseline, AnInterruptedRevertIsRefusedEvenWhenUnfinishedOnesAreIncluded) {
  Catalog c = catalog(3);
  LogRecord reverting = record("002-m.json", "running");
  reverting.reverting = true;
  for (bool include : {false, true}) {
    BaselinePlan plan = plan_baseline(c, {reverting}, "003-m.json", include);
    EXPECT_EQ(plan.reverting, (std::vector<std::string>{"002-m.json"}));
    EXPECT_TRUE(contains(plan.refusal, "down 002-m.json")) << plan.refusal;
  }
}

TEST(FindDuplicates, NamesEachNameHeldTwiceWithAllItsRecords) {
  std::vector<LogRecord> log = {record("002-m.json", "applied", "b1"), record("001-m.json", "applied", "a1"),
                                record("002-m.json", "failed", "b2"), record("003-m.json", "applied", "c1"),
                                record("002-m.json", "pending", "b3")};
  std::vector<DuplicateName> d = find_duplicates(log);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].name, "002-m.json");
  ASSERT_EQ(d[0].records.size(), 3u);
  EXPECT_EQ(d[0].records[1]->id, "b2");
  EXPECT_TRUE(find_duplicates({log[1], log[3]}).empty());
}

TEST(DuplicatesProblem, SaysWhichRecordToKeepAndWhichAreStale) {
  LogRecord old_applied = record("001-m.json", "applied", "65aa00000000000000000001");
  old_applied.applied_at = 1000;
  LogRecord new_applied = record("001-m.json", "applied", "65aa00000000000000000002");
  new_applied.applied_at = 2000;
  LogRecord failed = record("001-m.json", "failed", "65aa00000000000000000003");
  std::string text = duplicates_problem(find_duplicates({old_applied, failed, new_applied}), "migrationlogs");
  EXPECT_TRUE(contains(text, "001-m.json has 3 records")) << text;
  EXPECT_TRUE(contains(text, "_id 65aa00000000000000000002 applied: keep")) << text;
  EXPECT_TRUE(contains(text, "_id 65aa00000000000000000001 applied: stale")) << text;
  EXPECT_TRUE(contains(text, "_id 65aa00000000000000000003 failed: stale")) << text;
  EXPECT_TRUE(contains(text, "delete the stale ones")) << text;
  EXPECT_EQ(text.find('\n'), std::string::npos) << "one line";
  EXPECT_EQ(duplicates_problem({}, "migrationlogs"), "");

  // No applied record: the newest is kept.
  std::string none = duplicates_problem(
      find_duplicates({record("002-m.json", "failed", "65aa00000000000000000009"),
                       record("002-m.json", "pending", "65aa00000000000000000004")}),
      "log");
  EXPECT_TRUE(contains(none, "_id 65aa00000000000000000009 failed: keep")) << none;
}

}  // namespace
}  // namespace mongomigrate::core
