// The MongoDB log store (mongo/log_store.h) against the real server: the
// contract every log store follows (support/log_store_conformance.h: a claim
// is an insert or an update of the record as read, so only one runner claims
// a migration; every write after the claim is fenced by the claimer's owner
// id, so a runner whose lease was taken over writes nothing over its
// successor's record), and what it leaves to MongoDB.
#include "mongo/log_store.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "core/log_record.h"
#include "core/migration.h"
#include "mongo/client.h"
#include "support/integration.h"
#include "support/log_store_conformance.h"

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

// What the contract leaves to the store, as MongoDB holds it: a record is
// addressed by an ObjectId `_id`, and an outcome removes lockOwner and the
// fields of a failure rather than leaving them empty.
TEST_F(LogStoreTest, RecordsAreAddressedByObjectIdAndAnOutcomeRemovesTheClaimsFields) {
  probe().insert("migrationlogs", R"({"name": "001-a.json", "status": "failed", "error": "boom"})");
  core::Migration m = migration("001-a.json");
  auto claim = store().claim_run(m, {.seen = read(m.name), .owner = "owner-1", .by = "ci"});
  ASSERT_TRUE(claim) << claim.error().message;
  EXPECT_EQ(claim->id.size(), 24u) << "addressed by its _id";
  EXPECT_EQ(probe().count("migrationlogs", R"({"_id": {"$oid": ")" + claim->id + R"("}, "lockOwner": "owner-1"})"), 1);
  ASSERT_TRUE(store().finish_applied(m, *claim, "ci", 1700000000000, 5));
  EXPECT_EQ(probe().count("migrationlogs", R"({"lockOwner": {"$exists": true}})"), 0);
  EXPECT_EQ(probe().count("migrationlogs", R"({"error": {"$exists": true}})"), 0);
  EXPECT_EQ(probe().count("migrationlogs", R"({"reverting": {"$exists": true}})"), 0);
  EXPECT_EQ(field(m.name, "status"), "applied");
}

// A unique index on `name` that is partial does not stop a second claim of
// a migration (a `running` record falls outside its filter): refused, and
// said how to fix, rather than taken for the index the claims rest on.
TEST_F(LogStoreTest, APartialUniqueIndexOnNameIsRefused) {
  probe().command(R"({"createIndexes": "partiallog", "indexes": [{"key": {"name": 1}, "name": "name_1",
                      "unique": true, "partialFilterExpression": {"status": "applied"}}]})");
  auto client = mongo::Client::open(uri(), db());
  ASSERT_TRUE(client) << client.error().message;
  mongo::MongoLogStore partial(*client, "partiallog");
  auto ensured = partial.ensure_indexes();
  ASSERT_FALSE(ensured);
  EXPECT_EQ(ensured.error().kind, ErrorKind::kRefused) << ensured.error().message;
  EXPECT_NE(ensured.error().message.find("the unique index name_1 on partiallog.name is partial"), std::string::npos)
      << ensured.error().message;
  EXPECT_NE(ensured.error().message.find("dropIndex(\"name_1\")"), std::string::npos) << ensured.error().message;
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

// Sent as one command, the outcome and the next claim find the record
// deleted by hand while its migration ran: the outcome writes it anew,
// applied and complete (the migration did run), and the next is claimed.
TEST_F(LogStoreTest, AnOutcomeWithTheNextClaimWritesARecordDeletedMeanwhileAnew) {
  core::Migration a = migration("001-a.json"), b = migration("002-b.json");
  auto claim = store().claim_run(a, {.seen = std::nullopt, .owner = "owner-1", .by = "ci"});
  ASSERT_TRUE(claim) << claim.error().message;
  probe().command(R"({"delete": "migrationlogs", "deletes": [{"q": {"name": "001-a.json"}, "limit": 1}]})");
  auto written = store().finish_applied_and_claim_run(a, *claim, "ci", 1700000000000, 5, b,
                                                      {.seen = std::nullopt, .owner = "owner-1", .by = "ci"});
  ASSERT_TRUE(written) << written.error().message;
  ASSERT_TRUE(*written) << written->error().message;
  EXPECT_EQ(field(a.name, "status"), "applied");
  EXPECT_EQ(field(a.name, "version"), "001");
  EXPECT_EQ(field(a.name, "checksum"), a.checksum);
  EXPECT_EQ(field(b.name, "status"), "running");
}

// A record as the harness puts it, in the seed's field names.
std::string record_json(const core::LogRecord& r) {
  std::string json = fmt::format(R"({{"name": "{}", "status": "{}")", r.name, r.status);
  for (const auto& [key, value] : {std::pair<const char*, const std::string&>{"version", r.version},
                                   {"error", r.error},
                                   {"checksum", r.checksum},
                                   {"appliedBy", r.applied_by},
                                   {"revertedBy", r.reverted_by},
                                   {"lockOwner", r.lock_owner}}) {
    if (!value.empty()) json += fmt::format(R"(, "{}": "{}")", key, value);
  }
  return json + "}";
}

// The log store's contract (support/log_store_conformance.h) on this server.
class LogStoreContractTest : public IntegrationTest, public ::testing::WithParamInterface<LogStoreCheck> {};

TEST_P(LogStoreContractTest, Follows) {
  auto client = mongo::Client::open(uri(), db());
  ASSERT_TRUE(client) << client.error().message;
  mongo::MongoLogStore log(*client, "migrationlogs");
  ASSERT_TRUE(log.ensure_indexes());
  LogStoreHarness h{.store = &log,
                    .put = [this](const core::LogRecord& r) { probe().insert("migrationlogs", record_json(r)); }};
  GetParam().check(h);
}

INSTANTIATE_TEST_SUITE_P(Contract, LogStoreContractTest, ::testing::ValuesIn(log_store_checks()),
                         log_store_check_name);

}  // namespace
}  // namespace mongomigrate::testing
