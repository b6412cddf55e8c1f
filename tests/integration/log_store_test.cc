// The MongoDB log store (mongo/log_store.h) against the real server: a claim
// is an insert or an update of the record as read, so only one runner claims
// a migration; every write after the claim is fenced by the claimer's owner
// id, so a runner whose lease was taken over writes nothing over its
// successor's record (store/log_store.h).
#include "mongo/log_store.h"

#include <gtest/gtest.h>

#include <string>

#include "core/log_record.h"
#include "core/migration.h"
#include "mongo/client.h"
#include "support/integration.h"

namespace mongomigrate::testing {
namespace {

class LogStoreTest : public IntegrationTest {
 protected:
  void SetUp() override {
    IntegrationTest::SetUp();
    auto opened = mongo::Client::open(uri(), db());
    ASSERT_TRUE(opened) << opened.error().message;
    client_.emplace(std::move(*opened));
    store_.emplace(*client_, "migrationlogs");
    ASSERT_TRUE(store_->ensure_indexes());
  }

  static core::Migration migration(const std::string& name) {
    core::Migration m;
    m.name = name;
    m.version = name.substr(0, 3);
    m.checksum = std::string(64, 'a');
    return m;
  }

  std::string field(const std::string& name, const std::string& f) {
    return probe().string_field("migrationlogs", R"({"name": ")" + name + R"("})", f);
  }

  // The record as a runner holding the lease reads it.
  std::optional<core::LogRecord> read(const std::string& name) {
    auto record = store().find(name);
    EXPECT_TRUE(record) << record.error().message;
    return record ? *record : std::nullopt;
  }

  mongo::MongoLogStore& store() { return *store_; }

 private:
  std::optional<mongo::Client> client_;
  std::optional<mongo::MongoLogStore> store_;
};

TEST_F(LogStoreTest, AClaimInsertsARunningRecordAndTheOutcomeGoesToIt) {
  core::Migration m = migration("001-a.json");
  auto claim = store().claim_run(m, {.seen = std::nullopt, .owner = "owner-1", .by = "ci"});
  ASSERT_TRUE(claim) << claim.error().message;
  EXPECT_EQ(claim->id.size(), 24u) << "addressed by its _id";
  EXPECT_EQ(field(m.name, "status"), "running");
  EXPECT_EQ(field(m.name, "lockOwner"), "owner-1");
  EXPECT_EQ(field(m.name, "version"), "001");
  EXPECT_EQ(field(m.name, "appliedBy"), "ci");
  auto record = read(m.name);
  ASSERT_TRUE(record);
  EXPECT_EQ(record->id, claim->id);

  ASSERT_TRUE(store().finish_applied(m, *claim, "ci", 1700000000000, 5));
  EXPECT_EQ(field(m.name, "status"), "applied");
  EXPECT_EQ(probe().count("migrationlogs", R"({"lockOwner": {"$exists": true}})"), 0);
  EXPECT_EQ(probe().count("migrationlogs"), 1);
}

TEST_F(LogStoreTest, OfTwoRunnersClaimingANewMigrationTheSecondIsRefused) {
  core::Migration m = migration("001-a.json");
  ASSERT_TRUE(store().claim_run(m, {.seen = std::nullopt, .owner = "owner-1", .by = "ci"}));
  auto second = store().claim_run(m, {.seen = std::nullopt, .owner = "owner-2", .by = "ci"});
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().kind, ErrorKind::kRefused) << second.error().message;
  EXPECT_EQ(field(m.name, "lockOwner"), "owner-1");
  EXPECT_EQ(probe().count("migrationlogs"), 1);
}

// A claim of the caller's own that landed late (the reply of the command
// that made it was lost) is the claim, not another runner's.
TEST_F(LogStoreTest, ARunningRecordOfTheCallersOwnIsItsClaim) {
  core::Migration m = migration("001-a.json");
  auto first = store().claim_run(m, {.seen = std::nullopt, .owner = "owner-1", .by = "ci"});
  ASSERT_TRUE(first);
  auto again = store().claim_run(m, {.seen = std::nullopt, .owner = "owner-1", .by = "ci"});
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(again->id, first->id);
  ASSERT_TRUE(store().finish_applied(m, *again, "ci", 1700000000000, 5));
  auto after = store().claim_run(m, {.seen = std::nullopt, .owner = "owner-1", .by = "ci"});
  ASSERT_FALSE(after) << "an applied record is no claim";
  EXPECT_EQ(after.error().kind, ErrorKind::kRefused);
  EXPECT_EQ(probe().count("migrationlogs"), 1);
}

TEST_F(LogStoreTest, AClaimOfARecordChangedSinceItWasReadIsRefused) {
  probe().insert("migrationlogs", R"({"name": "001-a.json", "status": "failed", "error": "boom"})");
  core::Migration m = migration("001-a.json");
  std::optional<core::LogRecord> seen = read(m.name);
  ASSERT_TRUE(seen);
  // Both read it failed; the first to claim it wins.
  auto first = store().claim_run(m, {.seen = seen, .owner = "owner-2", .by = "successor"});
  ASSERT_TRUE(first) << first.error().message;
  auto stale = store().claim_run(m, {.seen = seen, .owner = "owner-1", .by = "paused"});
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().kind, ErrorKind::kRefused) << stale.error().message;
  EXPECT_EQ(field(m.name, "lockOwner"), "owner-2");
  EXPECT_EQ(field(m.name, "appliedBy"), "successor");
  ASSERT_TRUE(store().finish_applied(m, *first, "successor", 1700000000000, 5));
  EXPECT_EQ(probe().count("migrationlogs", R"({"name": "001-a.json", "error": {"$exists": true}})"), 0);
}

// Fencing: runner A claimed a migration, was paused past its lease; B took
// the lease over, found A's record interrupted and ran it again (`run`).
// Whatever A then tries to write to that record is refused.
TEST_F(LogStoreTest, ARunnerTakenOverCannotWriteOverItsSuccessorsRecord) {
  core::Migration m = migration("001-a.json");
  auto a = store().claim_run(m, {.seen = std::nullopt, .owner = "owner-a", .by = "a"});
  ASSERT_TRUE(a) << a.error().message;
  auto b = store().claim_run(m, {.seen = read(m.name), .owner = "owner-b", .by = "b"});
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(b->id, a->id) << "the same record, claimed again";

  for (auto write : {store().finish_applied(m, *a, "a", 1700000000000, 5), store().finish_failed(m, *a, "late", 5),
                     store().set_metadata(*a, "checkpoint", Value(Doc{{"call", 1}}))}) {
    ASSERT_FALSE(write);
    EXPECT_EQ(write.error().kind, ErrorKind::kLockLost) << write.error().message;
  }
  EXPECT_EQ(field(m.name, "status"), "running");
  EXPECT_EQ(field(m.name, "lockOwner"), "owner-b");
  EXPECT_EQ(probe().count("migrationlogs", R"({"metadata": {"$exists": true}})"), 0);

  ASSERT_TRUE(store().finish_applied(m, *b, "b", 1700000000000, 7));
  EXPECT_EQ(field(m.name, "status"), "applied");
  EXPECT_EQ(field(m.name, "appliedBy"), "b");
  auto late = store().finish_failed(m, *a, "later still", 5);
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().kind, ErrorKind::kLockLost);
  EXPECT_EQ(field(m.name, "status"), "applied") << "nor over its outcome";
}

// `up` writes one migration's outcome and the next one's claim in one
// command (two upserts, ordered): both land, as the two calls would write them.
TEST_F(LogStoreTest, AnOutcomeAndTheNextClaimGoInOneWrite) {
  core::Migration a = migration("001-a.json");
  core::Migration b = migration("002-b.json");
  auto claim_a = store().claim_run(a, {.seen = std::nullopt, .owner = "owner-1", .by = "ci"});
  ASSERT_TRUE(claim_a) << claim_a.error().message;
  auto claim_b = store().finish_applied_and_claim_run(a, *claim_a, "ci", 1700000000000, 5, b,
                                                      {.seen = std::nullopt, .owner = "owner-1", .by = "ci"});
  ASSERT_TRUE(claim_b) << claim_b.error().message;
  ASSERT_TRUE(*claim_b) << claim_b->error().message;
  EXPECT_EQ(field(a.name, "status"), "applied");
  EXPECT_EQ(probe().count("migrationlogs", R"({"name": "001-a.json", "lockOwner": {"$exists": true}})"), 0);
  EXPECT_EQ(probe().count("migrationlogs", R"({"name": "001-a.json", "duration": 5})"), 1);
  EXPECT_EQ(field(b.name, "status"), "running");
  EXPECT_EQ(field(b.name, "lockOwner"), "owner-1");
  EXPECT_EQ(field(b.name, "version"), "002");
  EXPECT_EQ(field(b.name, "appliedBy"), "ci");
  auto record_b = read(b.name);
  ASSERT_TRUE(record_b);
  EXPECT_EQ(record_b->id, (*claim_b)->id) << "the claim names the record it inserted";
  ASSERT_TRUE(store().finish_applied(b, **claim_b, "ci", 1700000000000, 6));
  EXPECT_EQ(field(b.name, "status"), "applied");
  EXPECT_EQ(probe().count("migrationlogs"), 2);
}

// Fenced as finish_applied(): a runner taken over (its record claimed again
// by its successor) writes neither the outcome nor the next claim.
TEST_F(LogStoreTest, AnOutcomeAndClaimOfARunnerTakenOverWriteNothing) {
  core::Migration a = migration("001-a.json");
  core::Migration b = migration("002-b.json");
  auto paused = store().claim_run(a, {.seen = std::nullopt, .owner = "owner-a", .by = "a"});
  ASSERT_TRUE(paused) << paused.error().message;
  auto successor = store().claim_run(a, {.seen = read(a.name), .owner = "owner-b", .by = "b"});
  ASSERT_TRUE(successor) << successor.error().message;
  std::vector<std::string> before = probe().find("migrationlogs");

  auto late = store().finish_applied_and_claim_run(a, *paused, "a", 1700000000000, 5, b,
                                                   {.seen = std::nullopt, .owner = "owner-a", .by = "a"});
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().kind, ErrorKind::kLockLost) << late.error().message;
  EXPECT_EQ(probe().find("migrationlogs"), before) << "nothing written: not the outcome, not b's claim";
  EXPECT_EQ(probe().count("migrationlogs", R"({"name": "002-b.json"})"), 0);
}

// The next migration claimed by another runner meanwhile: the outcome is
// written, the claim refused (the unique index on `name`).
TEST_F(LogStoreTest, AnOutcomeIsWrittenEvenWhenTheNextClaimIsRefused) {
  core::Migration a = migration("001-a.json");
  core::Migration b = migration("002-b.json");
  auto claim_a = store().claim_run(a, {.seen = std::nullopt, .owner = "owner-1", .by = "ci"});
  ASSERT_TRUE(claim_a) << claim_a.error().message;
  ASSERT_TRUE(store().claim_run(b, {.seen = std::nullopt, .owner = "owner-2", .by = "other"}));

  auto written = store().finish_applied_and_claim_run(a, *claim_a, "ci", 1700000000000, 5, b,
                                                      {.seen = std::nullopt, .owner = "owner-1", .by = "ci"});
  ASSERT_TRUE(written) << written.error().message;
  ASSERT_FALSE(*written);
  EXPECT_EQ(written->error().kind, ErrorKind::kRefused) << written->error().message;
  EXPECT_EQ(field(a.name, "status"), "applied");
  EXPECT_EQ(field(b.name, "lockOwner"), "owner-2") << "the other runner's claim stands";
  EXPECT_EQ(probe().count("migrationlogs"), 2);
}

TEST_F(LogStoreTest, ARevertIsClaimedAndFencedTheSameWay) {
  probe().insert("migrationlogs", R"({"name": "001-a.json", "status": "applied", "appliedBy": "ci"})");
  core::Migration m = migration("001-a.json");
  auto a = store().claim_revert(m, {.seen = read(m.name), .owner = "owner-a", .by = "a"});
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(field(m.name, "status"), "running");
  EXPECT_EQ(probe().count("migrationlogs", R"({"reverting": true})"), 1);
  // Taken over: the successor finds the revert interrupted and finishes it.
  auto b = store().claim_revert(m, {.seen = read(m.name), .owner = "owner-b", .by = "b"});
  ASSERT_TRUE(b) << b.error().message;
  auto late = store().finish_reverted(m, *a, "a", 1700000000000);
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().kind, ErrorKind::kLockLost);
  auto failed = store().note_revert_failed(m, *a, "boom");
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().kind, ErrorKind::kLockLost);
  ASSERT_TRUE(store().finish_reverted(m, *b, "b", 1700000000000));
  EXPECT_EQ(field(m.name, "status"), "reverted");
  EXPECT_EQ(field(m.name, "revertedBy"), "b");
}

TEST_F(LogStoreTest, MarkWritesOnlyOverTheRecordItRead) {
  core::Migration m = migration("001-a.json");
  // No record: inserted; a second insert is refused.
  ASSERT_TRUE(store().set_status(m.name, &m, core::kStatusApplied, 1700000000000,
                                 {.seen = std::nullopt, .owner = "owner-a", .by = "ops"}));
  EXPECT_EQ(field(m.name, "status"), "applied");
  EXPECT_EQ(field(m.name, "checksum"), m.checksum);
  auto twice = store().set_status(m.name, &m, core::kStatusPending, 1700000000000,
                                  {.seen = std::nullopt, .owner = "owner-b", .by = "ops"});
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().kind, ErrorKind::kRefused);

  std::optional<core::LogRecord> seen = read(m.name);
  ASSERT_TRUE(store().set_status(m.name, &m, core::kStatusPending, 1700000000000,
                                 {.seen = seen, .owner = "owner-b", .by = "ops"}));
  EXPECT_EQ(field(m.name, "status"), "pending");
  auto stale = store().set_status(m.name, &m, core::kStatusReverted, 1700000000000,
                                  {.seen = seen, .owner = "owner-a", .by = "ops"});
  ASSERT_FALSE(stale);
  EXPECT_EQ(stale.error().kind, ErrorKind::kRefused) << stale.error().message;
  EXPECT_EQ(field(m.name, "status"), "pending");
  EXPECT_EQ(probe().count("migrationlogs"), 1);
}

// A claim whose migration was not started (the lease was found lost right
// after it) is given back: the record is as it was, or gone if the claim
// inserted it; never over someone else's claim.
TEST_F(LogStoreTest, AClaimNotStartedIsGivenBackAsTheRecordWas) {
  core::Migration fresh = migration("001-a.json");
  store::ClaimRequest insert{.seen = std::nullopt, .owner = "owner-a", .by = "a"};
  auto inserted = store().claim_run(fresh, insert);
  ASSERT_TRUE(inserted) << inserted.error().message;
  ASSERT_TRUE(store().release_claim(*inserted, insert));
  EXPECT_EQ(probe().count("migrationlogs", R"({"name": "001-a.json"})"), 0);

  probe().insert("migrationlogs", R"({"name": "002-b.json", "status": "failed", "error": "boom", "appliedBy": "x"})");
  core::Migration failed = migration("002-b.json");
  store::ClaimRequest update{.seen = read(failed.name), .owner = "owner-a", .by = "a"};
  auto updated = store().claim_run(failed, update);
  ASSERT_TRUE(updated) << updated.error().message;
  ASSERT_TRUE(store().release_claim(*updated, update));
  EXPECT_EQ(field(failed.name, "status"), "failed");
  EXPECT_EQ(field(failed.name, "error"), "boom");
  EXPECT_EQ(field(failed.name, "appliedBy"), "x");
  EXPECT_EQ(probe().count("migrationlogs", R"({"name": "002-b.json", "lockOwner": {"$exists": true}})"), 0);
  EXPECT_EQ(probe().count("migrationlogs", R"({"name": "002-b.json", "version": {"$exists": true}})"), 0);

  // Claimed again by a successor meanwhile: not ours to give back.
  auto mine = store().claim_run(failed, update);
  ASSERT_TRUE(mine);
  auto theirs = store().claim_run(failed, {.seen = read(failed.name), .owner = "owner-b", .by = "b"});
  ASSERT_TRUE(theirs);
  auto back = store().release_claim(*mine, update);
  ASSERT_FALSE(back);
  EXPECT_EQ(back.error().kind, ErrorKind::kLockLost);
  EXPECT_EQ(field(failed.name, "lockOwner"), "owner-b");
}

TEST_F(LogStoreTest, AnOutcomeNeverOverwritesARecordChangedByHand) {
  core::Migration m = migration("001-a.json");
  auto claim = store().claim_run(m, {.seen = std::nullopt, .owner = "owner-1", .by = "ci"});
  ASSERT_TRUE(claim);
  // An operator marks it by hand while it runs.
  probe().command(R"({"update": "migrationlogs", "updates": [{"q": {"name": "001-a.json"},
                      "u": {"$set": {"status": "pending"}, "$unset": {"lockOwner": ""}}}]})");
  auto finished = store().finish_failed(m, *claim, "boom", 5);
  ASSERT_FALSE(finished);
  EXPECT_EQ(finished.error().kind, ErrorKind::kLockLost) << finished.error().message;
  EXPECT_EQ(field(m.name, "status"), "pending");
}

}  // namespace
}  // namespace mongomigrate::testing
