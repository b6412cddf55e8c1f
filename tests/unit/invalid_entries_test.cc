#include "core/invalid_entries.h"

#include "core/planner.h"

#include <gtest/gtest.h>

namespace mongomigrate::core {
namespace {

MigrationState state(std::string name, MigrationStatus status, bool has_file = true) {
  MigrationState s;
  s.name = std::move(name);
  s.status = status;
  s.has_file = has_file;
  return s;
}

StatusReport report_of(std::vector<MigrationState> states, std::vector<std::string> missing = {}) {
  StatusReport r;
  r.migrations = std::move(states);
  r.missing = std::move(missing);
  for (const MigrationState& s : r.migrations) count_status(r.summary, s.status);
  return r;
}

TEST(AddInvalidEntries, InsertsThemInRunOrderAndCountsThem) {
  StatusReport r = report_of({state("001-a.json", MigrationStatus::kApplied), state("003-c.json", MigrationStatus::kPending)});
  add_invalid_entries(r, {{.name = "002-b.json", .error = "invalid JSON"}, {.name = "004-d.json", .error = "a FIFO"}});
  ASSERT_EQ(r.migrations.size(), 4u);
  EXPECT_EQ(r.migrations[1].name, "002-b.json");
  EXPECT_EQ(r.migrations[1].status, MigrationStatus::kInvalid);
  EXPECT_EQ(r.migrations[1].error, "invalid JSON");
  EXPECT_EQ(r.migrations[3].name, "004-d.json");
  EXPECT_EQ(r.summary.total, 4);
  EXPECT_EQ(r.summary.invalid, 2);
  EXPECT_EQ(r.summary.applied, 1);
  EXPECT_EQ(r.summary.pending, 1);
}

TEST(AddInvalidEntries, ARecordedMigrationWhoseFileBrokeIsInvalidNotMissing) {
  MigrationState applied = state("001-a.json", MigrationStatus::kApplied, /*has_file=*/false);
  applied.applied_at = 1234;
  StatusReport r = report_of({applied}, {"001-a.json"});
  add_invalid_entries(r, {{.name = "001-a.json", .error = "the file is empty"}});
  ASSERT_EQ(r.migrations.size(), 1u);
  EXPECT_EQ(r.migrations[0].status, MigrationStatus::kInvalid);
  EXPECT_TRUE(r.migrations[0].has_file);
  EXPECT_EQ(r.migrations[0].applied_at, 1234) << "the record's facts are kept";
  EXPECT_TRUE(r.missing.empty());
  EXPECT_EQ(r.summary.total, 1);
  EXPECT_EQ(r.summary.applied, 0);
  EXPECT_EQ(r.summary.invalid, 1);
}

TEST(AddInvalidIssues, MakesValidationFail) {
  StatusReport r = report_of({state("001-a.json", MigrationStatus::kApplied)});
  ValidateReport v;
  add_invalid_issues(v, r);
  EXPECT_TRUE(v.valid);
  add_invalid_entries(r, {{.name = "002-b.json", .error = "bad"}});
  add_invalid_issues(v, r);
  EXPECT_FALSE(v.valid);
  ASSERT_EQ(v.issues.invalid.size(), 1u);
  EXPECT_EQ(v.issues.invalid[0].name, "002-b.json");
  EXPECT_EQ(v.issues.invalid[0].error, "bad");
}

}  // namespace
}  // namespace mongomigrate::core
