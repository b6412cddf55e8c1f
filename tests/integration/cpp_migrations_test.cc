// C++ migrations end to end: migrators built with mongomigrate_add_migrator()
// run against a real server. `example-migrate` holds the seed's four
// examples (examples/cpp-app/migrations); `test-migrate` holds test-only
// migrations (tests/cpp_migrations) whose behaviour each test selects with a
// document in the `control` collection.
//
// Collections hold thousands of documents, every one of which is checked;
// the test migrations use batches of 50 (control batchSize) so that a few
// hundred documents make many batches, and one test sends a batch of 1,000
// writes as one bulk write.
#include <bson/bson.h>
#include <openssl/evp.h>
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "mongomigrate/migrator.h"
#include "mongomigrate/value.h"
#include "support/file_checks.h"
#include "support/integration.h"
#include "support/lock_docs.h"
#include "support/phone_clients.h"

namespace mongomigrate::testing {
namespace {

// ---- helpers ----


// The top-level field names of a document in Extended JSON.
std::set<std::string> field_names(const std::string& json_text) {
  std::set<std::string> names;
  Value document = json(json_text);
  for (const auto& [key, value] : std::get<Doc>(document.variant())) names.insert(key);
  return names;
}

const std::string kExamplesDir = std::string(MONGOMIGRATE_SOURCE_DIR) + "/examples/cpp-app/migrations";
const std::string kTestMigrationsDir = std::string(MONGOMIGRATE_SOURCE_DIR) + "/tests/cpp_migrations";

const std::vector<std::string> kTestMigrations = {"001-first.cc",       "002-second.cc",  "003-throws.cc",
                                                  "004-invalid-write.cc", "005-batches.cc", "006-irreversible.cc"};

class CppMigrationsTest : public IntegrationTest {
 protected:
  ProcessResult test_migrate(std::vector<std::string> args) {
    return run_binary(MONGOMIGRATE_TEST_MIGRATE_BIN, std::move(args));
  }

  // The documents of `collection` matching `filter`, in _id order.
  std::vector<Document> documents(const std::string& collection, const std::string& filter = "{}") {
    std::vector<Document> out;
    for (const std::string& j : probe().find(collection, filter)) out.push_back(parse_document(j));
    return out;
  }

  // The tracking log record of `name`, if any.
  std::optional<Document> log_record(const std::string& name) {
    auto found = documents("migrationlogs", fmt::format(R"({{"name": "{}"}})", name));
    if (found.empty()) return std::nullopt;
    EXPECT_EQ(found.size(), 1u) << name;
    return found[0];
  }

  std::string status_of(const std::string& name) {
    auto record = log_record(name);
    return record ? std::string(record->string("status").value_or("?")) : "(none)";
  }

  void seed(const std::string& collection, const std::vector<std::string>& docs) {
    probe().insert_all(collection, docs);
  }

  // The names the test migrations' bodies appended to trail.order, in order.
  std::vector<std::string> trail() {
    std::vector<std::string> names;
    auto found = documents("trail", R"({"_id": "order"})");
    if (found.empty()) return names;
    std::optional<Value> array = found[0].get("names");
    if (!array) return names;
    for (const Value& v : std::get<Array>(array->variant())) names.push_back(std::get<std::string>(v.variant()));
    return names;
  }

  std::int64_t lock_documents() { return lock_leftovers(probe()); }

  // Every document of `collection`, in _id order, equals `expected`
  // (Extended JSON, compared as typed values). Reports the first few.
  void expect_documents(const std::string& collection, const std::vector<std::string>& expected) {
    std::vector<std::string> found = probe().find(collection);
    ASSERT_EQ(found.size(), expected.size()) << collection;
    int mismatches = 0;
    for (std::size_t i = 0; i < found.size(); ++i) {
      if (json(found[i]) == json(expected[i])) continue;
      if (++mismatches <= 5) ADD_FAILURE() << collection << " #" << i << ": found " << found[i] << ", expected " << expected[i];
    }
    EXPECT_EQ(mismatches, 0) << collection;
  }

  // Records 1..n, optionally one with marker: true (005-batches throws on it).
  void seed_records(int n, int marker_id) {
    std::vector<std::string> docs;
    for (int i = 1; i <= n; ++i) {
      docs.push_back(i == marker_id ? fmt::format(R"({{"_id": {}, "marker": true}})", i)
                                    : fmt::format(R"({{"_id": {}}})", i));
    }
    seed("records", docs);
  }

  // The `first` ids of the batch calls logged by 005-batches, by process.
  std::map<std::int64_t, std::vector<std::int64_t>> calls_by_pid() {
    std::map<std::int64_t, std::vector<std::int64_t>> out;
    for (const Document& call : documents("calls")) {
      out[*call.integer("pid")].push_back(*call.integer("first"));
    }
    for (auto& [pid, firsts] : out) std::sort(firsts.begin(), firsts.end());
    return out;
  }
};

std::vector<std::int64_t> ids_from(std::int64_t first, std::int64_t last, std::int64_t step) {
  std::vector<std::int64_t> out;
  for (std::int64_t i = first; i <= last; i += step) out.push_back(i);
  return out;
}

// ---- the seed's four examples (example-migrate) ----

class CppExamplesTest : public CppMigrationsTest {
 protected:
  void SetUp() override {
#ifndef MONGOMIGRATE_EXAMPLE_MIGRATE_BIN
    GTEST_SKIP() << "example-migrate is not built (MONGOMIGRATE_BUILD_EXAMPLES=OFF)";
#endif
    CppMigrationsTest::SetUp();
  }

  ProcessResult example_migrate(std::vector<std::string> args) {
#ifdef MONGOMIGRATE_EXAMPLE_MIGRATE_BIN
    return run_binary(MONGOMIGRATE_EXAMPLE_MIGRATE_BIN, std::move(args));
#else
    return {};
#endif
  }
};

const char* kPreferences = "001-add-user-preferences.cc";
const char* kPhones = "002-normalize-phone-numbers.cc";
const char* kCasesIndex = "003-add-cases-firm-status-index.cc";
const char* kAddresses = "004-invoice-address-to-object.cc";

TEST_F(CppExamplesTest, StatusShowsTheCompiledMigrationsWithTheSourceFilesChecksums) {
  ProcessResult before = example_migrate({"status", "--json"});
  ASSERT_EQ(before.exit_code, 0) << describe(before);
  Document pending = parse_document(before.out);
  EXPECT_EQ(pending.integer("summary.total"), 4);
  EXPECT_EQ(pending.integer("summary.pending"), 4);

  ProcessResult up = example_migrate({"up"});
  ASSERT_EQ(up.exit_code, 0) << describe(up);

  ProcessResult human = example_migrate({"status"});
  ASSERT_EQ(human.exit_code, 0) << describe(human);
  EXPECT_TRUE(contains(human.out, "4 total · 4 applied")) << human.out;

  ProcessResult after = example_migrate({"status", "--json"});
  ASSERT_EQ(after.exit_code, 0) << describe(after);
  Document status = parse_document(after.out);
  EXPECT_EQ(status.integer("summary.applied"), 4);
  std::vector<std::string> names = {kPreferences, kPhones, kCasesIndex, kAddresses};
  for (std::size_t i = 0; i < names.size(); ++i) {
    std::string expected = sha256_file(kExamplesDir + "/" + names[i]);
    std::string at = fmt::format("migrations.{}.", i);
    EXPECT_EQ(pending.string(at + "name"), names[i]);
    EXPECT_EQ(pending.string(at + "checksum"), expected) << names[i];
    EXPECT_EQ(status.string(at + "name"), names[i]);
    EXPECT_EQ(status.string(at + "status"), "applied") << names[i];
    EXPECT_EQ(status.string(at + "checksum"), expected) << names[i];
    EXPECT_EQ(status.string(at + "recordedChecksum"), expected) << names[i];
    EXPECT_EQ(status.string(at + "version"), names[i].substr(0, 3));
    EXPECT_EQ(status.boolean(at + "modified"), false);
    auto record = log_record(names[i]);
    ASSERT_TRUE(record) << names[i];
    EXPECT_EQ(record->string("checksum"), expected) << names[i];
    EXPECT_EQ(record->string("version"), names[i].substr(0, 3));
  }
  EXPECT_EQ(status.string("migrations.0.description"), "Give every user default preferences");
  ProcessResult validate = example_migrate({"validate"});
  EXPECT_EQ(validate.exit_code, 0) << describe(validate);
  EXPECT_EQ(lock_documents(), 0);
}

TEST_F(CppExamplesTest, UserPreferencesOnThousandsOfUsersAndBack) {
  const int kUsers = 5000;
  std::vector<std::string> original, expected;
  int defaulted = 0;
  for (int i = 1; i <= kUsers; ++i) {
    std::string base = fmt::format(R"("_id": {}, "email": "user{}@example.com", "name": "User {}")", i, i, i);
    std::string own;  // the user's own preferences, if any; one in 16 has none
    if (i % 16 != 0) {
      switch (i % 3) {
        case 0: own = R"({"theme": "dark", "language": "ar"})"; break;
        case 1: own = "null"; break;
        case 2: own = R"({"theme": "light", "language": "en", "fontSize": 14})"; break;
      }
    }
    if (own.empty()) {
      ++defaulted;
      original.push_back("{" + base + "}");
      expected.push_back("{" + base + R"(, "preferences": {"theme": "light", "language": "en"}})");
    } else {
      original.push_back("{" + base + R"(, "preferences": )" + own + "}");
      expected.push_back(original.back());
    }
  }
  seed("users", original);
  std::vector<std::string> before = probe().find("users");

  ProcessResult up = example_migrate({"up"});
  ASSERT_EQ(up.exit_code, 0) << describe(up);
  EXPECT_EQ(status_of(kPreferences), "applied");
  EXPECT_TRUE(contains(up.err, fmt::format("gave {} users default preferences", defaulted))) << up.err;
  expect_documents("users", expected);

  // `up` applied the later examples too; this one goes down alone.
  ProcessResult down = example_migrate({"down", kPreferences, "--force"});
  ASSERT_EQ(down.exit_code, 0) << describe(down);
  EXPECT_EQ(status_of(kPreferences), "reverted");
  // Exactly the original data, users' own preferences included.
  EXPECT_EQ(probe().find("users"), before);
}

TEST_F(CppExamplesTest, PhoneNumbersOnThousandsOfClientsIrreversible) {
  const int kClients = 5000;
  PhoneClients clients = phone_clients(kClients);
  const std::vector<std::string>& expected = clients.expected;
  std::int64_t strings = clients.strings, changed = clients.changed;
  seed("clients", clients.original);

  ProcessResult up = example_migrate({"up"});
  ASSERT_EQ(up.exit_code, 0) << describe(up);
  EXPECT_EQ(status_of(kPhones), "applied");
  expect_documents("clients", expected);

  auto record = log_record(kPhones);
  ASSERT_TRUE(record);
  EXPECT_EQ(record->integer("metadata.up.batch0.scanned"), strings);
  EXPECT_EQ(record->integer("metadata.up.batch0.matched"), changed);
  EXPECT_EQ(record->integer("metadata.up.batch0.modified"), changed);
  EXPECT_EQ(record->integer("metadata.up.batch0.batches"), (strings + 999) / 1000);
  EXPECT_FALSE(record->has("metadata.checkpoint"));

  // Irreversible: refused, and nothing at all is written.
  std::vector<std::string> snapshot = probe().snapshot();
  ProcessResult down = example_migrate({"down", kPhones});
  EXPECT_EQ(down.exit_code, 1) << describe(down);
  EXPECT_TRUE(contains(down.err, "irreversible")) << down.err;
  EXPECT_EQ(probe().snapshot(), snapshot);
  EXPECT_EQ(status_of(kPhones), "applied");
}

TEST_F(CppExamplesTest, CasesIndexOverThousandsOfCasesAndBack) {
  const int kCases = 3000;
  const char* statuses[] = {"open", "closed", "pending"};
  std::vector<std::string> original;
  for (int i = 1; i <= kCases; ++i) {
    original.push_back(fmt::format(
        R"({{"_id": {}, "firmId": {}, "status": "{}", "createdAt": {{"$date": {{"$numberLong": "{}"}}}}, "title": "Case {}"}})",
        i, i % 50, statuses[i % 3], 1700000000000LL + i * 60000LL, i));
  }
  seed("cases", original);
  std::vector<std::string> before = probe().find("cases");

  ProcessResult up = example_migrate({"up"});
  ASSERT_EQ(up.exit_code, 0) << describe(up);
  EXPECT_EQ(status_of(kCasesIndex), "applied");
  Document indexes = parse_document(probe().command(R"({"listIndexes": "cases"})"));
  std::optional<Value> key;
  for (int i = 0; indexes.has(fmt::format("cursor.firstBatch.{}", i)); ++i) {
    if (indexes.string(fmt::format("cursor.firstBatch.{}.name", i)) == "idx_firm_status_created") {
      key = indexes.get(fmt::format("cursor.firstBatch.{}.key", i));
    }
  }
  ASSERT_TRUE(key) << indexes.json();
  EXPECT_EQ(*key, json(R"({"firmId": 1, "status": 1, "createdAt": -1})")) << indexes.json();
  EXPECT_EQ(probe().find("cases"), before);  // an index, no data change

  ProcessResult down = example_migrate({"down", kCasesIndex, "--force"});  // under 004, applied too
  ASSERT_EQ(down.exit_code, 0) << describe(down);
  EXPECT_EQ(probe().index_names("cases"), std::vector<std::string>{"_id_"});
  EXPECT_EQ(probe().find("cases"), before);
  EXPECT_EQ(status_of(kCasesIndex), "reverted");
}

TEST_F(CppExamplesTest, InvoiceAddressesOnThousandsOfInvoicesAndBack) {
  const int kInvoices = 5000;
  std::vector<std::string> original, expected;
  std::int64_t strings = 0, foreign_shape_matching_down_filter = 0;
  for (int i = 1; i <= kInvoices; ++i) {
    std::string base = fmt::format(R"("_id": {}, "amount": {}.5)", i, i);
    std::string address, converted;  // JSON values; empty: no field
    if (i % 100 == 0) {  // the strings up converts
      std::string street = i % 1000 == 0 ? "" : fmt::format("{} King Fahd Rd", i);
      address = "\"" + street + "\"";
      converted = R"({"street": ")" + street + R"(", "city": "", "country": "Saudi Arabia"})";
      ++strings;
    } else {
      switch (i % 5) {
        case 0: address = R"({"street": "Olaya St", "city": "Riyadh", "country": "Saudi Arabia"})"; break;
        case 1:  // up's shape plus a field: down must leave it alone
          address = R"({"street": "Tahlia St", "city": "", "country": "Saudi Arabia", "zip": "12345"})";
          ++foreign_shape_matching_down_filter;
          break;
        case 2: address = R"({"line1": "PO Box 7", "country": "Saudi Arabia"})"; break;
        case 3: address = "null"; break;
        case 4: break;
      }
    }
    auto doc = [&](const std::string& a) {
      return "{" + base + (a.empty() ? "" : R"(, "address": )" + a) + R"(, "paid": false})";
    };
    original.push_back(doc(address));
    expected.push_back(doc(converted.empty() ? address : converted));
  }
  seed("invoices", original);
  std::vector<std::string> before = probe().find("invoices");

  ProcessResult up = example_migrate({"up"});
  ASSERT_EQ(up.exit_code, 0) << describe(up);
  EXPECT_EQ(status_of(kAddresses), "applied");
  expect_documents("invoices", expected);
  auto record = log_record(kAddresses);
  ASSERT_TRUE(record);
  EXPECT_EQ(record->integer("metadata.up.batch0.scanned"), strings);
  EXPECT_EQ(record->integer("metadata.up.batch0.modified"), strings);
  EXPECT_EQ(record->integer("metadata.up.batch0.batches"), (strings + 999) / 1000);

  ProcessResult down = example_migrate({"down", kAddresses});
  ASSERT_EQ(down.exit_code, 0) << describe(down);
  EXPECT_EQ(status_of(kAddresses), "reverted");
  EXPECT_EQ(probe().find("invoices"), before);  // exactly the original data
  record = log_record(kAddresses);
  ASSERT_TRUE(record);
  EXPECT_EQ(record->integer("metadata.down.batch0.scanned"), strings + foreign_shape_matching_down_filter);
  EXPECT_EQ(record->integer("metadata.down.batch0.modified"), strings);
}

// ---- test-only migrations (test-migrate) ----

const char* kMiddleJson = R"({
  "description": "JSON between the compiled ones",
  "up": [{"update": "trail", "updates": [{"q": {"_id": "order"}, "u": {"$push": {"names": "0015-middle.json"}},
                                          "upsert": true}]}],
  "down": [{"update": "trail", "updates": [{"q": {"_id": "order"}, "u": {"$pull": {"names": "0015-middle.json"}}}]}]
})";

// A migrator built with mongomigrate_add_migrator() names itself and the
// mongo-migrate it is built on, wherever the flag stands.
TEST_F(CppMigrationsTest, AMigratorsVersionNamesItAndMongoMigrate) {
  const std::string commit = mongomigrate::build_commit();
  const std::string expected = std::string("test-migrate (mongo-migrate ") + mongomigrate::version() +
                               (commit.empty() ? "" : ", commit " + commit) + ")\n";
  ProcessResult early = run_binary(MONGOMIGRATE_TEST_MIGRATE_BIN, {"--version"}, {}, false);
  EXPECT_EQ(early.exit_code, 0) << describe(early);
  EXPECT_EQ(early.out, expected);
  ProcessResult late = run_binary(MONGOMIGRATE_TEST_MIGRATE_BIN, {"--dir", dir(), "--version"}, {}, false);
  EXPECT_EQ(late.exit_code, 0) << describe(late);
  EXPECT_EQ(late.out, expected);
}

TEST_F(CppMigrationsTest, CompiledAndJsonMigrationsRunInOneOrderAndAreTrackedAlike) {
  std::string json_path = write_migration("0015-middle.json", kMiddleJson);
  std::vector<std::string> order = kTestMigrations;
  order.insert(order.begin() + 1, "0015-middle.json");

  ProcessResult plan = test_migrate({"up", "--dry-run"});
  ASSERT_EQ(plan.exit_code, 0) << describe(plan);
  std::size_t at = 0;
  for (const std::string& name : order) {
    std::size_t found = plan.out.find(name, at);
    EXPECT_NE(found, std::string::npos) << name << " not in order in: " << plan.out;
    if (found != std::string::npos) at = found;
  }
  EXPECT_TRUE(probe().collections().empty()) << "--dry-run wrote something";

  ProcessResult up = test_migrate({"up"});
  ASSERT_EQ(up.exit_code, 0) << describe(up);
  EXPECT_EQ(trail(), order);

  ProcessResult status_run = test_migrate({"status", "--json"});
  ASSERT_EQ(status_run.exit_code, 0) << describe(status_run);
  Document status = parse_document(status_run.out);
  EXPECT_EQ(status.integer("summary.total"), 7);
  EXPECT_EQ(status.integer("summary.applied"), 7);
  for (std::size_t i = 0; i < order.size(); ++i) {
    std::string prefix = fmt::format("migrations.{}.", i);
    std::string file = order[i].ends_with(".json") ? json_path : kTestMigrationsDir + "/" + order[i];
    EXPECT_EQ(status.string(prefix + "name"), order[i]);
    EXPECT_EQ(status.string(prefix + "status"), "applied") << order[i];
    EXPECT_EQ(status.string(prefix + "checksum"), sha256_file(file)) << order[i];
    EXPECT_EQ(status.string(prefix + "recordedChecksum"), sha256_file(file)) << order[i];
  }
  EXPECT_EQ(status.string("migrations.1.version"), "0015");
  EXPECT_EQ(status.string("migrations.0.version"), "001");

  // The same record and the same events for both kinds.
  auto compiled = probe().find("migrationlogs", R"({"name": "001-first.cc"})");
  auto from_file = probe().find("migrationlogs", R"({"name": "0015-middle.json"})");
  ASSERT_EQ(compiled.size(), 1u);
  ASSERT_EQ(from_file.size(), 1u);
  EXPECT_EQ(field_names(compiled[0]), field_names(from_file[0]));
  // The seed's fields, and our revision count (docs/design.md).
  EXPECT_EQ(field_names(compiled[0]), (std::set<std::string>{"_id", "name", "version", "status", "checksum",
                                                             "appliedBy", "appliedAt", "duration", "revision"}))
      << compiled[0];
  for (const std::string& name : order) {
    auto events = documents("migrationlogs_events", fmt::format(R"({{"name": "{}"}})", name));
    ASSERT_EQ(events.size(), 1u) << name;
    EXPECT_EQ(events[0].string("action"), "applied") << name;
    EXPECT_EQ(events[0].string("checksum"), log_record(name)->string("checksum")) << name;
  }

  for (const char* name : {"0015-middle.json", "002-second.cc"}) {
    ProcessResult down = test_migrate({"down", name, "--force"});  // under later applied ones
    ASSERT_EQ(down.exit_code, 0) << name << ": " << describe(down);
    EXPECT_EQ(status_of(name), "reverted") << name;
    auto events = documents("migrationlogs_events", fmt::format(R"({{"name": "{}", "action": "reverted"}})", name));
    EXPECT_EQ(events.size(), 1u) << name;
  }
  EXPECT_EQ(trail(), (std::vector<std::string>{"001-first.cc", "003-throws.cc", "004-invalid-write.cc",
                                               "005-batches.cc", "006-irreversible.cc"}));
  EXPECT_EQ(field_names(probe().find("migrationlogs", R"({"name": "002-second.cc"})")[0]),
            field_names(probe().find("migrationlogs", R"({"name": "0015-middle.json"})")[0]));

  // Reverted ones are applied again by the next `up`, in order.
  ProcessResult again = test_migrate({"up"});
  ASSERT_EQ(again.exit_code, 0) << describe(again);
  EXPECT_EQ(trail(), (std::vector<std::string>{"001-first.cc", "003-throws.cc", "004-invalid-write.cc",
                                               "005-batches.cc", "006-irreversible.cc", "0015-middle.json",
                                               "002-second.cc"}));
}

TEST_F(CppMigrationsTest, ThrowingMigrationIsRecordedFailedAndStopsTheRun) {
  probe().insert("control", R"({"_id": "003-throws", "message": "the sky fell: 7 records left"})");

  ProcessResult up = test_migrate({"up"});
  EXPECT_EQ(up.exit_code, 1) << describe(up);
  EXPECT_TRUE(contains(up.out + up.err, "the sky fell: 7 records left")) << describe(up);
  EXPECT_EQ(status_of("001-first.cc"), "applied");
  EXPECT_EQ(status_of("002-second.cc"), "applied");
  auto failed = log_record("003-throws.cc");
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->string("status"), "failed");
  EXPECT_EQ(failed->string("error"), "the sky fell: 7 records left");
  EXPECT_FALSE(failed->has("lockOwner"));
  auto event = documents("migrationlogs_events", R"({"name": "003-throws.cc", "action": "failed"})");
  ASSERT_EQ(event.size(), 1u);
  EXPECT_EQ(event[0].string("error"), "the sky fell: 7 records left");
  // Later migrations did not run at all.
  for (const char* later : {"004-invalid-write.cc", "005-batches.cc", "006-irreversible.cc"}) {
    EXPECT_FALSE(log_record(later)) << later;
  }
  EXPECT_EQ(trail(), (std::vector<std::string>{"001-first.cc", "002-second.cc", "003-throws.cc"}));
  // The body ran up to the throw; there is no rollback without transactions.
  EXPECT_EQ(probe().count("side"), 1);
  EXPECT_EQ(lock_documents(), 0);

  // It blocks the next `up` and is not run again by it.
  ProcessResult blocked = test_migrate({"up"});
  EXPECT_EQ(blocked.exit_code, 1) << describe(blocked);
  EXPECT_EQ(trail(), (std::vector<std::string>{"001-first.cc", "002-second.cc", "003-throws.cc"}));

  // Fixed (no more control document): `run` it, then `up` does the rest.
  probe().command(R"({"delete": "control", "deletes": [{"q": {}, "limit": 0}]})");
  ProcessResult run = test_migrate({"run", "003-throws.cc"});
  ASSERT_EQ(run.exit_code, 0) << describe(run);
  auto applied = log_record("003-throws.cc");
  EXPECT_EQ(applied->string("status"), "applied");
  EXPECT_FALSE(applied->has("error"));
  ProcessResult rest = test_migrate({"up"});
  ASSERT_EQ(rest.exit_code, 0) << describe(rest);
  EXPECT_EQ(status_of("006-irreversible.cc"), "applied");
  EXPECT_EQ(lock_documents(), 0);
}

TEST_F(CppMigrationsTest, NonStandardExceptionIsRecordedToo) {
  probe().insert("control", R"({"_id": "003-throws", "throwInt": true})");
  ProcessResult run = test_migrate({"run", "003-throws.cc"});
  EXPECT_EQ(run.exit_code, 1) << describe(run);
  auto failed = log_record("003-throws.cc");
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->string("status"), "failed");
  EXPECT_EQ(failed->string("error"), "an exception that is not a std::exception");
  EXPECT_EQ(lock_documents(), 0);
}

class InvalidWriteTest : public CppMigrationsTest {
 protected:
  // Items 1..2*batch; the write for item `at_id` (in the second batch) is
  // invalid. The first batch is written, nothing of the second.
  void check(const std::string& kind, const std::string& message_part, int batch = 50, int at_id = 75) {
    std::vector<std::string> items;
    for (int i = 1; i <= 2 * batch; ++i) items.push_back(fmt::format(R"({{"_id": {}, "n": {}}})", i, i));
    seed("items", items);
    probe().insert("control", fmt::format(R"({{"_id": "004-invalid-write", "atId": {}, "kind": "{}", "batchSize": {}}})",
                                          at_id, kind, batch));
    std::string where = fmt::format("write {} of {}", at_id - batch, batch);

    ProcessResult run = test_migrate({"run", "004-invalid-write.cc"});
    EXPECT_EQ(run.exit_code, 1) << describe(run);
    auto record = log_record("004-invalid-write.cc");
    ASSERT_TRUE(record);
    EXPECT_EQ(record->string("status"), "failed");
    std::string error(record->string("error").value_or(""));
    EXPECT_TRUE(contains(error, where)) << error;
    EXPECT_TRUE(contains(error, message_part)) << error;
    EXPECT_TRUE(contains(run.out + run.err, where)) << describe(run);
    // The first batch was written; nothing of the second.
    EXPECT_EQ(probe().count("items", R"({"done": true})"), batch);
    EXPECT_EQ(probe().count("items", fmt::format(R"({{"done": true, "_id": {{"$lte": {}}}}})", batch)), batch);
    EXPECT_EQ(record->integer("metadata.checkpoint.lastId"), batch);
    EXPECT_EQ(record->integer("metadata.checkpoint.batches"), 1);
    EXPECT_EQ(lock_documents(), 0);
  }
};

TEST_F(InvalidWriteTest, UpdateWithoutOperators) { check("no-operators", "invalid"); }

TEST_F(InvalidWriteTest, FilterThatIsNotADocument) { check("filter-not-document", "the filter must be a document"); }

// A batch of 100 writes, the invalid one 75th: whatever the bulk write does
// on the wire, none of the batch's writes may be applied.
TEST_F(InvalidWriteTest, LateInABigBatch) { check("no-operators", "invalid", /*batch=*/100, /*at_id=*/175); }

TEST_F(CppMigrationsTest, SameNameAsAJsonMigrationIsRefusedByEveryCommand) {
  std::string json_path = write_migration("002-second.json", R"({"up": [{"ping": 1}]})");
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"status"}, {"status", "--json"}, {"up"}, {"up", "--dry-run"}, {"run", "001-first.cc"},
           {"down", "001-first.cc"}, {"validate"}, {"mark", "001-first.cc", "--as", "applied"}}) {
    ProcessResult r = test_migrate(args);
    std::string what = args[0] + (args.size() > 1 ? " " + args[1] : "");
    EXPECT_EQ(r.exit_code, 2) << what << ": " << describe(r);
    EXPECT_TRUE(contains(r.err, json_path)) << what << ": " << r.err;
    EXPECT_TRUE(contains(r.err, "002-second.cc")) << what << ": " << r.err;
  }
  EXPECT_TRUE(probe().collections().empty()) << "something was written";
}

TEST_F(CppMigrationsTest, FailedBatchMigrationResumesAfterTheLastCompletedBatch) {
  seed_records(500, /*marker_id=*/125);  // batches of 50: the third batch throws

  ProcessResult first = test_migrate({"run", "005-batches.cc"});
  EXPECT_EQ(first.exit_code, 1) << describe(first);
  auto record = log_record("005-batches.cc");
  ASSERT_TRUE(record);
  EXPECT_EQ(record->string("status"), "failed");
  EXPECT_TRUE(contains(std::string(record->string("error").value_or("")), "marker found in record"));
  EXPECT_EQ(record->integer("metadata.checkpoint.call"), 0);
  EXPECT_EQ(record->integer("metadata.checkpoint.lastId"), 100);
  EXPECT_EQ(record->integer("metadata.checkpoint.scanned"), 100);
  EXPECT_EQ(record->integer("metadata.checkpoint.modified"), 100);
  EXPECT_EQ(record->integer("metadata.checkpoint.batches"), 2);
  EXPECT_EQ(probe().count("records", R"({"seen": 1})"), 100);
  EXPECT_EQ(probe().count("records", R"({"seen": 1, "_id": {"$lte": 100}})"), 100);
  auto calls = calls_by_pid();
  ASSERT_EQ(calls.size(), 1u);
  std::int64_t first_pid = calls.begin()->first;
  EXPECT_EQ(calls.begin()->second, (std::vector<std::int64_t>{1, 51, 101}));
  EXPECT_EQ(lock_documents(), 0);

  probe().command(R"({"update": "records", "updates": [{"q": {"_id": 125}, "u": {"$unset": {"marker": ""}}}]})");
  ProcessResult second = test_migrate({"run", "005-batches.cc"});
  ASSERT_EQ(second.exit_code, 0) << describe(second);
  EXPECT_TRUE(contains(second.err, "resuming after batch 2 (100 documents done)")) << second.err;
  record = log_record("005-batches.cc");
  ASSERT_TRUE(record);
  EXPECT_EQ(record->string("status"), "applied");
  EXPECT_FALSE(record->has("metadata.checkpoint")) << record->json();
  // Totals cover both runs.
  EXPECT_EQ(record->integer("metadata.up.batch0.scanned"), 500);
  EXPECT_EQ(record->integer("metadata.up.batch0.modified"), 500);
  EXPECT_EQ(record->integer("metadata.up.batch0.batches"), 10);
  // Every record handled exactly once; the second run started at the batch that failed.
  EXPECT_EQ(probe().count("records", R"({"seen": 1})"), 500);
  calls = calls_by_pid();
  ASSERT_EQ(calls.size(), 2u);
  for (const auto& [pid, firsts] : calls) {
    if (pid != first_pid) {
      EXPECT_EQ(firsts, ids_from(101, 451, 50));
    }
  }
}

// A checkpoint names the query it was written for: a call over another one
// (the body edited after the failure: a collection, filter or projection
// changed) starts over instead of resuming after the other query's last _id.
TEST_F(CppMigrationsTest, ACheckpointWrittenForAnotherQueryIsNotResumed) {
  seed_records(300, /*marker_id=*/125);
  ProcessResult first = test_migrate({"run", "005-batches.cc"});
  ASSERT_EQ(first.exit_code, 1) << describe(first);
  auto record = log_record("005-batches.cc");
  ASSERT_TRUE(record);
  EXPECT_EQ(record->string("metadata.checkpoint.query").value_or("").size(), 64u) << record->json();
  EXPECT_EQ(record->integer("metadata.checkpoint.lastId"), 100);

  // As if the body had been edited to read something else in its first call.
  probe().command(R"({"update": "migrationlogs", "updates": [{"q": {"name": "005-batches.cc"},
                      "u": {"$set": {"metadata.checkpoint.query": "another query"}}}]})");
  probe().command(R"({"update": "records", "updates": [{"q": {"_id": 125}, "u": {"$unset": {"marker": ""}}}]})");
  ProcessResult second = test_migrate({"run", "005-batches.cc"});
  ASSERT_EQ(second.exit_code, 0) << describe(second);
  EXPECT_TRUE(contains(second.err, "was written for another query")) << second.err;
  EXPECT_FALSE(contains(second.err, "resuming")) << second.err;
  EXPECT_EQ(probe().count("records", R"({"seen": 2})"), 100) << "the first 100 again: the call started over";
  EXPECT_EQ(probe().count("records", R"({"seen": 1})"), 200);
}

TEST_F(CppMigrationsTest, ABatchOfAThousandWritesIsOneBulkWrite) {
  // Sent whole: libmongoc splits a bulk only past the server's
  // maxWriteBatchSize (100,000 on MongoDB) or message size.
  seed_records(2500, /*marker_id=*/0);
  probe().insert("control", R"({"_id": "005-batches", "batchSize": 1000})");
  ProcessResult run = test_migrate({"run", "005-batches.cc"});
  ASSERT_EQ(run.exit_code, 0) << describe(run);
  auto record = log_record("005-batches.cc");
  ASSERT_TRUE(record);
  EXPECT_EQ(record->string("status"), "applied");
  EXPECT_EQ(record->integer("metadata.up.batch0.scanned"), 2500);
  EXPECT_EQ(record->integer("metadata.up.batch0.modified"), 2500);
  EXPECT_EQ(record->integer("metadata.up.batch0.batches"), 3);
  EXPECT_EQ(probe().count("records", R"({"seen": 1})"), 2500);
  EXPECT_EQ(calls_by_pid().begin()->second, (std::vector<std::int64_t>{1, 1001, 2001}));
}

TEST_F(CppMigrationsTest, RestartStartsOverFromTheFirstDocument) {
  seed_records(500, /*marker_id=*/125);
  ProcessResult first = test_migrate({"run", "005-batches.cc"});
  EXPECT_EQ(first.exit_code, 1) << describe(first);
  ASSERT_EQ(log_record("005-batches.cc")->integer("metadata.checkpoint.lastId"), 100);
  std::int64_t first_pid = calls_by_pid().begin()->first;

  probe().command(R"({"update": "records", "updates": [{"q": {"_id": 125}, "u": {"$unset": {"marker": ""}}}]})");
  ProcessResult restart = test_migrate({"run", "005-batches.cc", "--restart"});
  ASSERT_EQ(restart.exit_code, 0) << describe(restart);
  EXPECT_FALSE(contains(restart.err, "resuming")) << restart.err;
  auto record = log_record("005-batches.cc");
  ASSERT_TRUE(record);
  EXPECT_EQ(record->string("status"), "applied");
  EXPECT_FALSE(record->has("metadata.checkpoint"));
  EXPECT_EQ(record->integer("metadata.up.batch0.scanned"), 500);  // this run's totals only
  EXPECT_EQ(record->integer("metadata.up.batch0.batches"), 10);
  // The first two batches were handled twice, the rest once.
  EXPECT_EQ(probe().count("records", R"({"seen": 2, "_id": {"$lte": 100}})"), 100);
  EXPECT_EQ(probe().count("records", R"({"seen": 1, "_id": {"$gt": 100}})"), 400);
  auto calls = calls_by_pid();
  ASSERT_EQ(calls.size(), 2u);
  for (const auto& [pid, firsts] : calls) {
    if (pid != first_pid) {
      EXPECT_EQ(firsts, ids_from(1, 451, 50));
    }
  }
}

TEST_F(CppMigrationsTest, SigintDuringABatchMigrationStopsAfterTheBatchAndResumes) {
  seed_records(500, /*marker_id=*/0);
  // The third call of the batch function waits for {_id: "release"}.
  probe().insert("control", R"({"_id": "005-batches", "holdAtCall": 3})");
  TempDir logs;
  std::string log_path = logs.path() + "/run.log";
  pid_t pid = spawn_background({MONGOMIGRATE_TEST_MIGRATE_BIN, "run", "005-batches.cc", "--uri", uri(), "--dir", dir()},
                               log_path);
  bool holding = false;
  for (int i = 0; i < 6000 && !holding; ++i) {  // a safety bound, not a timing assertion
    holding = probe().count("calls") >= 3;
    if (!holding) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (!holding) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    FAIL() << "the third batch never started; log:\n" << read_file(log_path);
  }
  ASSERT_EQ(kill(pid, SIGINT), 0);
  probe().insert("control", R"({"_id": "release"})");
  int wait_status = 0;
  ASSERT_EQ(waitpid(pid, &wait_status, 0), pid);
  std::string log = read_file(log_path);
  ASSERT_TRUE(WIFEXITED(wait_status)) << log;
  EXPECT_EQ(WEXITSTATUS(wait_status), 130) << log;

  auto record = log_record("005-batches.cc");
  ASSERT_TRUE(record);
  EXPECT_EQ(record->string("status"), "failed");
  EXPECT_TRUE(contains(std::string(record->string("error").value_or("")), "interrupted by signal 2 after batch 3"))
      << record->json();
  EXPECT_EQ(record->integer("metadata.checkpoint.lastId"), 150);
  EXPECT_EQ(record->integer("metadata.checkpoint.scanned"), 150);
  // The batch in flight was completed, nothing after it started.
  EXPECT_EQ(probe().count("records", R"({"seen": 1, "_id": {"$lte": 150}})"), 150);
  EXPECT_EQ(probe().count("records", R"({"seen": {"$exists": true}})"), 150);
  EXPECT_EQ(probe().count("calls"), 3);
  EXPECT_EQ(lock_documents(), 0);

  ProcessResult resumed = test_migrate({"run", "005-batches.cc"});
  ASSERT_EQ(resumed.exit_code, 0) << describe(resumed);
  EXPECT_TRUE(contains(resumed.err, "resuming after batch 3 (150 documents done)")) << resumed.err;
  record = log_record("005-batches.cc");
  EXPECT_EQ(record->string("status"), "applied");
  EXPECT_FALSE(record->has("metadata.checkpoint"));
  EXPECT_EQ(record->integer("metadata.up.batch0.scanned"), 500);
  EXPECT_EQ(probe().count("records", R"({"seen": 1})"), 500);
  auto calls = calls_by_pid();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[pid], (std::vector<std::int64_t>{1, 51, 101}));
  for (const auto& [p, firsts] : calls) {
    if (p != pid) {
      EXPECT_EQ(firsts, ids_from(151, 451, 50));
    }
  }
}

TEST_F(CppMigrationsTest, IrreversibleMigrationRefusesDown) {
  ProcessResult up = test_migrate({"up"});
  ASSERT_EQ(up.exit_code, 0) << describe(up);
  std::vector<std::string> snapshot = probe().snapshot();
  ProcessResult down = test_migrate({"down", "006-irreversible.cc"});
  EXPECT_EQ(down.exit_code, 1) << describe(down);
  EXPECT_TRUE(contains(down.err, "irreversible")) << down.err;
  EXPECT_EQ(probe().snapshot(), snapshot);
  EXPECT_EQ(status_of("006-irreversible.cc"), "applied");
  // A reversible neighbour still goes down.
  ProcessResult other = test_migrate({"down", "005-batches", "--force"});
  EXPECT_EQ(other.exit_code, 0) << describe(other);
  EXPECT_EQ(status_of("005-batches.cc"), "reverted");
}

}  // namespace
}  // namespace mongomigrate::testing
