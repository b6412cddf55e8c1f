#include "core/planner.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace mongomigrate::core {
namespace {

Migration file(std::string name, std::string checksum = "sum-now", std::string version = "") {
  Migration m;
  m.name = std::move(name);
  m.checksum = std::move(checksum);
  m.version = std::move(version);
  m.description = "about " + m.name;
  m.path = "/migrations/" + m.name;
  return m;
}

// The lease owner that wrote `running` records in these tests.
constexpr const char* kOwner = "host:1:abc";

LogRecord record(std::string name, std::string status, std::string checksum = "sum-now") {
  LogRecord r;
  r.name = std::move(name);
  r.status = std::move(status);
  r.checksum = std::move(checksum);
  if (r.status == "running") r.lock_owner = kOwner;
  return r;
}

std::vector<std::string> names(const std::vector<const Migration*>& plan) {
  std::vector<std::string> out;
  for (const Migration* m : plan) out.push_back(m->name);
  return out;
}

std::vector<std::string> names(const std::vector<MigrationState>& states) {
  std::vector<std::string> out;
  for (const MigrationState& s : states) out.push_back(s.name);
  return out;
}

const MigrationState& state(const StatusReport& report, const std::string& name) {
  for (const MigrationState& s : report.migrations) {
    if (s.name == name) return s;
  }
  ADD_FAILURE() << "no state for " << name;
  static const MigrationState none;
  return none;
}

const RunnerState kNoLease{};
const RunnerState kLiveLease{.live_lease = true, .lease_owner = kOwner};

// ---------------------------------------------------------------- status_of

TEST(StatusOf, NoRecordIsPending) {
  EXPECT_EQ(status_of(nullptr, kNoLease), MigrationStatus::kPending);
  EXPECT_EQ(status_of(nullptr, kLiveLease), MigrationStatus::kPending);
}

TEST(StatusOf, KnownWords) {
  LogRecord r = record("a", "applied");
  EXPECT_EQ(status_of(&r, kNoLease), MigrationStatus::kApplied);
  r.status = "failed";
  EXPECT_EQ(status_of(&r, kNoLease), MigrationStatus::kFailed);
  r.status = "reverted";
  EXPECT_EQ(status_of(&r, kNoLease), MigrationStatus::kReverted);
  r.status = "pending";
  EXPECT_EQ(status_of(&r, kNoLease), MigrationStatus::kPending);
}

TEST(StatusOf, RunningDependsOnTheLease) {
  LogRecord r = record("a", "running");
  EXPECT_EQ(status_of(&r, kNoLease), MigrationStatus::kInterrupted);
  EXPECT_EQ(status_of(&r, kLiveLease), MigrationStatus::kRunning);
}

TEST(StatusOf, RunningUnderSomeoneElsesLiveLeaseIsInterrupted) {
  // The writer crashed; another runner took the expired lease over since.
  LogRecord r = record("a", "running");
  EXPECT_EQ(status_of(&r, RunnerState{.live_lease = true, .lease_owner = "host:2:def"}),
            MigrationStatus::kInterrupted);
  r.lock_owner.clear();  // written without an owner: cannot be the live runner's
  EXPECT_EQ(status_of(&r, kLiveLease), MigrationStatus::kInterrupted);
}

// A hand edit may well mean "ran": taken for pending, `up` would run it a
// second time. Unknown, it blocks until `mark` says what is true.
TEST(StatusOf, UnknownWordsAreUnknownNotPending) {
  for (const char* word : {"", "APPLIED", "Applied", "done", "interrupted", "applied "}) {
    LogRecord r = record("a", word);
    EXPECT_EQ(status_of(&r, kNoLease), MigrationStatus::kUnknown) << "status word: '" << word << "'";
    EXPECT_EQ(status_of(&r, kLiveLease), MigrationStatus::kUnknown) << "status word: '" << word << "'";
  }
  EXPECT_FALSE(is_runnable_by_up(MigrationStatus::kUnknown));
}

TEST(PlanUp, ARecordWithAnUnknownStatusBlocksAndSaysHowToSettleIt) {
  Catalog catalog = {file("001-a.json"), file("002-b.json"), file("003-c.json")};
  std::vector<LogRecord> records = {record("001-a.json", "applied"), record("002-b.json", "done")};
  UpPlan plan = plan_up(catalog, records, kNoLease);
  EXPECT_TRUE(plan.to_apply.empty()) << "002 may have run: neither it nor what follows is applied";
  EXPECT_EQ(plan.blocked_by, "002-b.json");
  EXPECT_EQ(plan.blocked_status, MigrationStatus::kUnknown);
  EXPECT_EQ(plan.blocked_reason,
            "its record's status is \"done\", none of applied, failed, reverted, pending and running, so whether it "
            "ran is unknown; check the database, then record what is true with `mark 002-b.json --as applied` (or "
            "`--as pending` to run it)");
  EXPECT_EQ(unknown_status_reason("x.json", "").substr(0, 26), "its record has no status, ");
}

TEST(BuildStatus, AnUnknownStatusIsShownWithItsWordAndIsNotValid) {
  Catalog catalog = {file("001-a.json")};
  std::vector<LogRecord> records = {record("001-a.json", "Applied")};
  StatusReport report = build_status(catalog, records, kNoLease);
  const MigrationState& s = state(report, "001-a.json");
  EXPECT_EQ(s.status, MigrationStatus::kUnknown);
  EXPECT_EQ(s.recorded_status, "Applied");
  EXPECT_EQ(report.summary.unknown, 1);
  EXPECT_EQ(report.summary.pending, 0);
  ValidateReport v = build_validation(report);
  EXPECT_FALSE(v.valid);
  EXPECT_EQ(v.issues.unknown, (std::vector<std::string>{"001-a.json"}));
  EXPECT_EQ(status_exit_code(report), 1);
}

TEST(IsRunnableByUp, OnlyPendingAndReverted) {
  EXPECT_TRUE(is_runnable_by_up(MigrationStatus::kPending));
  EXPECT_TRUE(is_runnable_by_up(MigrationStatus::kReverted));
  EXPECT_FALSE(is_runnable_by_up(MigrationStatus::kApplied));
  EXPECT_FALSE(is_runnable_by_up(MigrationStatus::kFailed));
  EXPECT_FALSE(is_runnable_by_up(MigrationStatus::kRunning));
  EXPECT_FALSE(is_runnable_by_up(MigrationStatus::kInterrupted));
}

// ---------------------------------------------------------------- plan_up

TEST(PlanUp, EmptyCatalogPlansNothing) {
  UpPlan plan = plan_up({}, {}, kNoLease);
  EXPECT_TRUE(plan.to_apply.empty());
  EXPECT_FALSE(plan.blocked_by.has_value());
  EXPECT_EQ(plan.blocked_reason, "");
}

TEST(PlanUp, NewMigrationsArePlannedInOrder) {
  Catalog catalog = {file("001-a.json"), file("002-b.json"), file("003-c.json")};
  UpPlan plan = plan_up(catalog, {}, kNoLease);
  EXPECT_EQ(names(plan.to_apply), (std::vector<std::string>{"001-a.json", "002-b.json", "003-c.json"}));
  EXPECT_FALSE(plan.blocked_by.has_value());
  // The plan points into the catalog.
  ASSERT_EQ(plan.to_apply.size(), 3u);
  EXPECT_EQ(plan.to_apply[0], &catalog[0]);
  EXPECT_EQ(plan.to_apply[2], &catalog[2]);
}

TEST(PlanUp, AppliedOnesAreSkipped) {
  Catalog catalog = {file("001-a.json"), file("002-b.json"), file("003-c.json")};
  std::vector<LogRecord> records = {record("001-a.json", "applied"), record("003-c.json", "applied")};
  UpPlan plan = plan_up(catalog, records, kNoLease);
  EXPECT_EQ(names(plan.to_apply), (std::vector<std::string>{"002-b.json"}));
  EXPECT_FALSE(plan.blocked_by.has_value());
}

TEST(PlanUp, EverythingAppliedPlansNothing) {
  Catalog catalog = {file("001-a.json"), file("002-b.json")};
  std::vector<LogRecord> records = {record("002-b.json", "applied"), record("001-a.json", "applied")};
  UpPlan plan = plan_up(catalog, records, kNoLease);
  EXPECT_TRUE(plan.to_apply.empty());
  EXPECT_FALSE(plan.blocked_by.has_value());
}

TEST(PlanUp, RevertedAndPendingAreReapplied) {
  Catalog catalog = {file("001-a.json"), file("002-b.json"), file("003-c.json"), file("004-d.json")};
  std::vector<LogRecord> records = {record("001-a.json", "reverted"), record("002-b.json", "pending"),
                                    record("004-d.json", "applied")};
  UpPlan plan = plan_up(catalog, records, kNoLease);
  EXPECT_EQ(names(plan.to_apply), (std::vector<std::string>{"001-a.json", "002-b.json", "003-c.json"}));
  EXPECT_FALSE(plan.blocked_by.has_value());
}

TEST(PlanUp, RecordsMayComeInAnyOrderAndNameUnknownMigrations) {
  Catalog catalog = {file("001-a.json"), file("002-b.json"), file("003-c.json")};
  std::vector<LogRecord> records = {record("zzz-gone.json", "failed"), record("003-c.json", "applied"),
                                    record("000-gone.json", "running"), record("001-a.json", "applied")};
  UpPlan plan = plan_up(catalog, records, kNoLease);
  // A failed or running record with no file does not block anything.
  EXPECT_EQ(names(plan.to_apply), (std::vector<std::string>{"002-b.json"}));
  EXPECT_FALSE(plan.blocked_by.has_value());
}

TEST(PlanUp, FailedBlocksItselfAndEverythingAfter) {
  Catalog catalog = {file("001-a.json"), file("002-b.json"), file("003-c.json"), file("004-d.json"),
                     file("005-e.json")};
  std::vector<LogRecord> records = {record("001-a.json", "applied"), record("002-b.json", "pending"),
                                    record("003-c.json", "failed"), record("004-d.json", "reverted")};
  UpPlan plan = plan_up(catalog, records, kNoLease);
  EXPECT_EQ(names(plan.to_apply), (std::vector<std::string>{"002-b.json"}));
  ASSERT_TRUE(plan.blocked_by.has_value());
  EXPECT_EQ(*plan.blocked_by, "003-c.json");
  EXPECT_NE(plan.blocked_reason.find("run 003-c.json"), std::string::npos) << plan.blocked_reason;
  EXPECT_NE(plan.blocked_reason.find("failed"), std::string::npos) << plan.blocked_reason;
}

TEST(PlanUp, FailedReasonQuotesTheRecordedError) {
  Catalog catalog = {file("001-a.json")};
  LogRecord r = record("001-a.json", "failed");
  r.error = "E11000 duplicate key";
  UpPlan plan = plan_up(catalog, {r}, kNoLease);
  EXPECT_TRUE(plan.to_apply.empty());
  ASSERT_TRUE(plan.blocked_by.has_value());
  EXPECT_EQ(*plan.blocked_by, "001-a.json");
  EXPECT_NE(plan.blocked_reason.find("E11000 duplicate key"), std::string::npos) << plan.blocked_reason;
  EXPECT_NE(plan.blocked_reason.find("run 001-a.json"), std::string::npos) << plan.blocked_reason;
}

TEST(PlanUp, OnlyTheFirstFailureIsReported) {
  Catalog catalog = {file("001-a.json"), file("002-b.json"), file("003-c.json")};
  std::vector<LogRecord> records = {record("003-c.json", "failed"), record("002-b.json", "failed")};
  UpPlan plan = plan_up(catalog, records, kNoLease);
  EXPECT_EQ(names(plan.to_apply), (std::vector<std::string>{"001-a.json"}));
  ASSERT_TRUE(plan.blocked_by.has_value());
  EXPECT_EQ(*plan.blocked_by, "002-b.json");
  EXPECT_EQ(plan.blocked_reason.find("003-c.json"), std::string::npos) << plan.blocked_reason;
}

TEST(PlanUp, InterruptedBlocks) {
  Catalog catalog = {file("001-a.json"), file("002-b.json"), file("003-c.json")};
  std::vector<LogRecord> records = {record("002-b.json", "running")};
  UpPlan plan = plan_up(catalog, records, kNoLease);
  EXPECT_EQ(names(plan.to_apply), (std::vector<std::string>{"001-a.json"}));
  ASSERT_TRUE(plan.blocked_by.has_value());
  EXPECT_EQ(*plan.blocked_by, "002-b.json");
  EXPECT_NE(plan.blocked_reason.find("interrupted"), std::string::npos) << plan.blocked_reason;
  EXPECT_NE(plan.blocked_reason.find("run 002-b.json"), std::string::npos) << plan.blocked_reason;
}

TEST(PlanUp, RunningWithALiveLeaseStillBlocks) {
  Catalog catalog = {file("001-a.json"), file("002-b.json"), file("003-c.json")};
  std::vector<LogRecord> records = {record("001-a.json", "applied"), record("002-b.json", "running")};
  UpPlan plan = plan_up(catalog, records, kLiveLease);
  EXPECT_TRUE(plan.to_apply.empty());
  ASSERT_TRUE(plan.blocked_by.has_value());
  EXPECT_EQ(*plan.blocked_by, "002-b.json");
  EXPECT_FALSE(plan.blocked_reason.empty());
  EXPECT_EQ(plan.blocked_reason.find("interrupted"), std::string::npos) << plan.blocked_reason;
}

// A revert left `running`: its `down` may have half run, so `up` does not
// pass it, and the way out is to finish the revert or apply it again.
TEST(PlanUp, InterruptedRevertBlocksAndSaysHowToFinishIt) {
  Catalog catalog = {file("001-a.json"), file("002-b.json")};
  LogRecord reverting = record("001-a.json", "running");
  reverting.reverting = true;
  UpPlan plan = plan_up(catalog, {reverting}, kNoLease);
  EXPECT_TRUE(plan.to_apply.empty());
  ASSERT_TRUE(plan.blocked_by.has_value());
  EXPECT_EQ(plan.blocked_status, MigrationStatus::kInterrupted);
  EXPECT_NE(plan.blocked_reason.find("revert did not finish"), std::string::npos) << plan.blocked_reason;
  EXPECT_NE(plan.blocked_reason.find("stopped during its `down`"), std::string::npos) << plan.blocked_reason;
  EXPECT_NE(plan.blocked_reason.find("down 001-a.json"), std::string::npos) << plan.blocked_reason;
  EXPECT_NE(plan.blocked_reason.find("run 001-a.json"), std::string::npos) << plan.blocked_reason;

  // A failed `down` says why.
  LogRecord failed = reverting;
  failed.lock_owner.clear();
  failed.error = "revert failed: command 2 of 2: duplicate key";
  UpPlan after_failure = plan_up(catalog, {failed}, kLiveLease);
  EXPECT_EQ(after_failure.blocked_status, MigrationStatus::kInterrupted);
  EXPECT_NE(after_failure.blocked_reason.find("revert failed: command 2 of 2"), std::string::npos)
      << after_failure.blocked_reason;

  UpPlan live = plan_up(catalog, {reverting}, kLiveLease);
  ASSERT_TRUE(live.blocked_by.has_value());
  EXPECT_EQ(live.blocked_status, MigrationStatus::kRunning);
  EXPECT_NE(live.blocked_reason.find("reverting it now"), std::string::npos) << live.blocked_reason;
}

TEST(PlanUp, BlockedFirstMigrationPlansNothing) {
  Catalog catalog = {file("001-a.json"), file("002-b.json")};
  UpPlan plan = plan_up(catalog, {record("001-a.json", "failed")}, kNoLease);
  EXPECT_TRUE(plan.to_apply.empty());
  ASSERT_TRUE(plan.blocked_by.has_value());
  EXPECT_EQ(*plan.blocked_by, "001-a.json");
}

// ---------------------------------------------------------------- build_status

TEST(BuildStatus, EmptyEverything) {
  StatusReport report = build_status({}, {}, kNoLease);
  EXPECT_EQ(report.summary.total, 0);
  EXPECT_TRUE(report.migrations.empty());
  EXPECT_TRUE(report.modified.empty());
  EXPECT_TRUE(report.missing.empty());
}

TEST(BuildStatus, CountsEveryStatus) {
  Catalog catalog = {file("01.json"), file("02.json"), file("03.json"), file("04.json"),
                     file("05.json"), file("06.json"), file("07.json"), file("08.json")};
  std::vector<LogRecord> records = {
      record("01.json", "applied"), record("02.json", "applied"), record("03.json", "failed"),
      record("04.json", "reverted"), record("05.json", "running"), record("06.json", "pending"),
      record("07.json", "whatever"),
      // 08.json: no record -> pending
  };
  StatusReport report = build_status(catalog, records, kNoLease);
  EXPECT_EQ(report.summary.total, 8);
  EXPECT_EQ(report.summary.applied, 2);
  EXPECT_EQ(report.summary.pending, 2);
  EXPECT_EQ(report.summary.unknown, 1);
  EXPECT_EQ(report.summary.failed, 1);
  EXPECT_EQ(report.summary.reverted, 1);
  EXPECT_EQ(report.summary.running, 0);
  EXPECT_EQ(report.summary.interrupted, 1);
  EXPECT_EQ(state(report, "05.json").status, MigrationStatus::kInterrupted);

  StatusReport live = build_status(catalog, records, kLiveLease);
  EXPECT_EQ(live.summary.running, 1);
  EXPECT_EQ(live.summary.interrupted, 0);
  EXPECT_EQ(state(live, "05.json").status, MigrationStatus::kRunning);
}

TEST(BuildStatus, ListsMigrationsInCatalogOrderWithTheirDetails) {
  Catalog catalog = {file("001-a.json", "c1", "001"), file("002-b.json", "c2", "002")};
  LogRecord r = record("001-a.json", "applied", "c1");
  r.applied_at = 1700000000123;
  r.duration_ms = 42;
  r.applied_by = "alice@host";
  r.version = "";  // seed records may have no version: the file's is shown
  StatusReport report = build_status(catalog, {r}, kNoLease);
  ASSERT_EQ(names(report.migrations), (std::vector<std::string>{"001-a.json", "002-b.json"}));
  const MigrationState& a = report.migrations[0];
  EXPECT_EQ(a.status, MigrationStatus::kApplied);
  EXPECT_TRUE(a.has_file);
  EXPECT_EQ(a.version, "001");
  EXPECT_EQ(a.description, "about 001-a.json");
  EXPECT_EQ(a.checksum, "c1");
  EXPECT_EQ(a.recorded_checksum, "c1");
  EXPECT_EQ(a.applied_at, std::optional<TimestampMs>(1700000000123));
  EXPECT_EQ(a.duration_ms, std::optional<std::int64_t>(42));
  EXPECT_EQ(a.applied_by, "alice@host");
  const MigrationState& b = report.migrations[1];
  EXPECT_EQ(b.status, MigrationStatus::kPending);
  EXPECT_TRUE(b.has_file);
  EXPECT_EQ(b.version, "002");
  EXPECT_EQ(b.checksum, "c2");
  EXPECT_EQ(b.recorded_checksum, "");
  EXPECT_FALSE(b.applied_at.has_value());
}

TEST(BuildStatus, RecordedVersionWinsOverTheFiles) {
  Catalog catalog = {file("001-a.json", "c", "001")};
  LogRecord r = record("001-a.json", "applied", "c");
  r.version = "1.0";
  StatusReport report = build_status(catalog, {r}, kNoLease);
  EXPECT_EQ(state(report, "001-a.json").version, "1.0");
}

TEST(BuildStatus, AppliedWithADifferentChecksumIsModified) {
  Catalog catalog = {file("001-a.json", "new"), file("002-b.json", "same")};
  std::vector<LogRecord> records = {record("001-a.json", "applied", "old"),
                                    record("002-b.json", "applied", "same")};
  StatusReport report = build_status(catalog, records, kNoLease);
  EXPECT_EQ(report.modified, (std::vector<std::string>{"001-a.json"}));
  EXPECT_TRUE(state(report, "001-a.json").modified);
  EXPECT_FALSE(state(report, "002-b.json").modified);
  EXPECT_EQ(state(report, "001-a.json").recorded_checksum, "old");
  EXPECT_EQ(state(report, "001-a.json").checksum, "new");
}

TEST(BuildStatus, EmptyRecordedChecksumIsNotModified) {
  Catalog catalog = {file("001-a.json", "new")};
  StatusReport report = build_status(catalog, {record("001-a.json", "applied", "")}, kNoLease);
  EXPECT_TRUE(report.modified.empty());
  EXPECT_FALSE(state(report, "001-a.json").modified);
}

TEST(BuildStatus, NonAppliedWithADifferentChecksumIsNotModified) {
  Catalog catalog = {file("001-a.json", "new"), file("002-b.json", "new"), file("003-c.json", "new"),
                     file("004-d.json", "new")};
  std::vector<LogRecord> records = {record("001-a.json", "failed", "old"),
                                    record("002-b.json", "reverted", "old"),
                                    record("003-c.json", "pending", "old"),
                                    record("004-d.json", "running", "old")};
  StatusReport report = build_status(catalog, records, kNoLease);
  EXPECT_TRUE(report.modified.empty());
  for (const MigrationState& s : report.migrations) EXPECT_FALSE(s.modified) << s.name;
}

TEST(BuildStatus, AppliedRecordWithNoFileIsMissingAndMergedInOrder) {
  Catalog catalog = {file("001-a.json"), file("003-c.json")};
  LogRecord gone = record("002-b.json", "applied", "c-gone");
  gone.version = "002";
  gone.applied_by = "bob";
  std::vector<LogRecord> records = {record("001-a.json", "applied"), gone};
  StatusReport report = build_status(catalog, records, kNoLease);
  EXPECT_EQ(names(report.migrations),
            (std::vector<std::string>{"001-a.json", "002-b.json", "003-c.json"}));
  EXPECT_EQ(report.missing, (std::vector<std::string>{"002-b.json"}));
  const MigrationState& s = state(report, "002-b.json");
  EXPECT_FALSE(s.has_file);
  EXPECT_EQ(s.status, MigrationStatus::kApplied);
  EXPECT_FALSE(s.modified);
  EXPECT_EQ(s.checksum, "");
  EXPECT_EQ(s.recorded_checksum, "c-gone");
  EXPECT_EQ(s.version, "002");
  EXPECT_EQ(s.applied_by, "bob");
  EXPECT_TRUE(state(report, "001-a.json").has_file);
  EXPECT_TRUE(state(report, "003-c.json").has_file);
  EXPECT_EQ(report.summary.total, 3);
  EXPECT_EQ(report.summary.applied, 2);
  EXPECT_EQ(report.summary.pending, 1);
}

// A log from before the unique index may hold a name twice; with its file
// gone it is still one migration (the log problem names the duplicate).
TEST(BuildStatus, AMissingNameHeldTwiceIsListedAndCountedOnce) {
  Catalog catalog = {file("001-a.json")};
  std::vector<LogRecord> records = {record("001-a.json", "applied"), record("002-gone.json", "applied"),
                                    record("002-gone.json", "applied")};
  StatusReport report = build_status(catalog, records, kNoLease);
  EXPECT_EQ(names(report.migrations), (std::vector<std::string>{"001-a.json", "002-gone.json"}));
  EXPECT_EQ(report.missing, (std::vector<std::string>{"002-gone.json"}));
  EXPECT_EQ(report.summary.total, 2);
  EXPECT_EQ(report.summary.applied, 2);
}

TEST(BuildStatus, MissingIsSortedByteWise) {
  Catalog catalog = {file("m.json")};
  std::vector<LogRecord> records = {record("z.json", "applied"), record("B.json", "applied"),
                                    record("a.json", "applied")};
  StatusReport report = build_status(catalog, records, kNoLease);
  EXPECT_EQ(report.missing, (std::vector<std::string>{"B.json", "a.json", "z.json"}));
  EXPECT_EQ(names(report.migrations),
            (std::vector<std::string>{"B.json", "a.json", "m.json", "z.json"}));
}

TEST(BuildStatus, NonAppliedOrphanIsListedButNotMissing) {
  Catalog catalog = {file("001-a.json")};
  std::vector<LogRecord> records = {record("000-old.json", "reverted"), record("002-x.json", "failed"),
                                    record("003-y.json", "running")};
  StatusReport report = build_status(catalog, records, kNoLease);
  EXPECT_TRUE(report.missing.empty());
  EXPECT_EQ(names(report.migrations),
            (std::vector<std::string>{"000-old.json", "001-a.json", "002-x.json", "003-y.json"}));
  EXPECT_FALSE(state(report, "000-old.json").has_file);
  EXPECT_EQ(state(report, "000-old.json").status, MigrationStatus::kReverted);
  EXPECT_EQ(state(report, "002-x.json").status, MigrationStatus::kFailed);
  EXPECT_EQ(state(report, "003-y.json").status, MigrationStatus::kInterrupted);
  EXPECT_EQ(report.summary.total, 4);
  EXPECT_EQ(report.summary.reverted, 1);
  EXPECT_EQ(report.summary.failed, 1);
  EXPECT_EQ(report.summary.interrupted, 1);
  EXPECT_EQ(report.summary.pending, 1);
}

// ---------------------------------------------------------------- build_validation

TEST(BuildValidation, CleanStateIsValid) {
  Catalog catalog = {file("001-a.json"), file("002-b.json")};
  StatusReport status = build_status(catalog, {record("001-a.json", "applied")}, kNoLease);
  ValidateReport v = build_validation(status);
  EXPECT_TRUE(v.valid);
  EXPECT_TRUE(v.issues.modified.empty());
  EXPECT_TRUE(v.issues.missing.empty());
  EXPECT_TRUE(v.issues.interrupted.empty());
}

TEST(BuildValidation, ModifiedMakesItInvalid) {
  Catalog catalog = {file("001-a.json", "new")};
  ValidateReport v =
      build_validation(build_status(catalog, {record("001-a.json", "applied", "old")}, kNoLease));
  EXPECT_FALSE(v.valid);
  EXPECT_EQ(v.issues.modified, (std::vector<std::string>{"001-a.json"}));
  EXPECT_TRUE(v.issues.missing.empty());
  EXPECT_TRUE(v.issues.interrupted.empty());
}

TEST(BuildValidation, MissingMakesItInvalid) {
  ValidateReport v = build_validation(build_status({}, {record("001-a.json", "applied")}, kNoLease));
  EXPECT_FALSE(v.valid);
  EXPECT_EQ(v.issues.missing, (std::vector<std::string>{"001-a.json"}));
  EXPECT_TRUE(v.issues.modified.empty());
}

TEST(BuildValidation, NonAppliedOrphanIsValid) {
  ValidateReport v = build_validation(build_status({}, {record("001-a.json", "reverted")}, kNoLease));
  EXPECT_TRUE(v.valid);
  EXPECT_TRUE(v.issues.missing.empty());
}

TEST(BuildValidation, InterruptedMakesItInvalid) {
  Catalog catalog = {file("001-a.json"), file("002-b.json")};
  std::vector<LogRecord> records = {record("002-b.json", "running")};
  ValidateReport v = build_validation(build_status(catalog, records, kNoLease));
  EXPECT_FALSE(v.valid);
  EXPECT_EQ(v.issues.interrupted, (std::vector<std::string>{"002-b.json"}));

  // With a live lease it is simply running, not a problem.
  ValidateReport live = build_validation(build_status(catalog, records, kLiveLease));
  EXPECT_TRUE(live.valid);
  EXPECT_TRUE(live.issues.interrupted.empty());
}

TEST(BuildValidation, FailedIsAValidationIssueNamed) {
  Catalog catalog = {file("001-a.json"), file("002-b.json")};
  ValidateReport v = build_validation(
      build_status(catalog, {record("001-a.json", "applied"), record("002-b.json", "failed")}, kNoLease));
  EXPECT_FALSE(v.valid);
  EXPECT_EQ(v.issues.failed, (std::vector<std::string>{"002-b.json"}));
  EXPECT_TRUE(v.issues.interrupted.empty());
}

TEST(BuildValidation, ReportsEveryKindAtOnce) {
  Catalog catalog = {file("001-a.json", "new"), file("003-c.json")};
  std::vector<LogRecord> records = {record("001-a.json", "applied", "old"),
                                    record("002-b.json", "applied"), record("003-c.json", "running")};
  ValidateReport v = build_validation(build_status(catalog, records, kNoLease));
  EXPECT_FALSE(v.valid);
  EXPECT_EQ(v.issues.modified, (std::vector<std::string>{"001-a.json"}));
  EXPECT_EQ(v.issues.missing, (std::vector<std::string>{"002-b.json"}));
  EXPECT_EQ(v.issues.interrupted, (std::vector<std::string>{"003-c.json"}));
}

// ---------------------------------------------------------------- find_migration

TEST(FindMigration, FindsByExactName) {
  Catalog catalog = {file("001-a.json"), file("002-b.json"), file("B.json"), file("a.json")};
  EXPECT_EQ(find_migration(catalog, "001-a.json"), &catalog[0]);
  EXPECT_EQ(find_migration(catalog, "002-b.json"), &catalog[1]);
  EXPECT_EQ(find_migration(catalog, "B.json"), &catalog[2]);
  EXPECT_EQ(find_migration(catalog, "a.json"), &catalog[3]);
}

TEST(FindMigration, UnknownNamesAreNull) {
  Catalog catalog = {file("001-a.json"), file("002-b.json")};
  EXPECT_EQ(find_migration(catalog, "001-a"), nullptr);
  EXPECT_EQ(find_migration(catalog, "001-a.json "), nullptr);
  EXPECT_EQ(find_migration(catalog, "000.json"), nullptr);
  EXPECT_EQ(find_migration(catalog, "zzz.json"), nullptr);
  EXPECT_EQ(find_migration(catalog, ""), nullptr);
  EXPECT_EQ(find_migration({}, "001-a.json"), nullptr);
}

TEST(BuildStatus, SaysWhichRunningRecordsAreReverts) {
  Catalog catalog = {file("01.json"), file("02.json"), file("03.json")};
  LogRecord reverting = record("01.json", "running");
  reverting.reverting = true;
  // A stale flag on a finished record (written by hand) means nothing.
  LogRecord applied = record("03.json", "applied");
  applied.reverting = true;
  StatusReport report = build_status(catalog, {reverting, record("02.json", "running"), applied}, kNoLease);
  EXPECT_EQ(report.summary.interrupted, 2);
  EXPECT_TRUE(state(report, "01.json").reverting);
  EXPECT_FALSE(state(report, "02.json").reverting);
  EXPECT_FALSE(state(report, "03.json").reverting);
  EXPECT_EQ(state(report, "03.json").status, MigrationStatus::kApplied);
}

}  // namespace
}  // namespace mongomigrate::core
