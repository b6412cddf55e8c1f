// `import migrate-mongo` and `import golang-migrate` through the real binary
// against the real server (DESIGN.md §4; issue 17, items 6-9): their
// collections written exactly as migrate-mongo 14 and golang-migrate v4 write
// them (mongo/foreign_log.h cites the sources), and, when the tools are
// installed (bench/run.sh installs both), by the tools themselves. Each bad
// input is refused with nothing written, and a log collection holding
// another tool's records is refused by every command.
#include <gtest/gtest.h>

#include <regex>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "source/sha256.h"
#include "support/integration.h"
#include "support/json_schema_check.h"
#include "support/counter_migrations.h"
#include "support/file_checks.h"
#include "support/lock_docs.h"

namespace mongomigrate::testing {
namespace {

using namespace std::chrono_literals;


// migrate-mongo 14's record: {_id, fileName, appliedAt: Date, migrationBlock: Number (a double)}.
std::string mm_record(const std::string& file_name, const std::string& applied_at, bool with_block = true) {
  std::string block = with_block ? R"(, "migrationBlock": {"$numberDouble": "1704110400000"})" : "";
  return fmt::format(R"({{"fileName": "{}", "appliedAt": {{"$date": "{}"}}{}}})", file_name, applied_at, block);
}

// golang-migrate v4's one document: {version: int (int32 when it fits), dirty: bool}.
std::string gm_state(std::int64_t version, bool dirty) {
  return version > 2147483647 || version < -2147483648LL
             ? fmt::format(R"({{"version": {{"$numberLong": "{}"}}, "dirty": {}}})", version, dirty)
             : fmt::format(R"({{"version": {{"$numberInt": "{}"}}, "dirty": {}}})", version, dirty);
}

const char* const kA = "20240101120000-add-a.json";
const char* const kB = "20240102120000-add-b.json";
const char* const kC = "20240103120000-add-c.json";

class ImportTest : public IntegrationTest {
 protected:
  ProcessResult run(std::vector<std::string> args) { return cli(std::move(args), bounded()); }
  // With another migration directory than the test's.
  ProcessResult run_in(const std::string& directory, std::vector<std::string> args) {
    args.insert(args.end(), {"--uri", uri(), "--dir", directory});
    return cli(std::move(args), bounded(), /*with_defaults=*/false);
  }

  void write_abc() {
    write_migration(kA, insert_migration("a"));
    write_migration(kB, insert_migration("b"));
    write_migration(kC, insert_migration("c"));
  }
  std::string log_field(const std::string& name, const std::string& field) {
    return probe().string_field("migrationlogs", R"({"name": ")" + name + R"("})", field);
  }
  std::int64_t events(const std::string& action) {
    return probe().count("migrationlogs_events", R"({"action": ")" + action + R"("})");
  }
  // Bad input: exit 2, one line on stderr saying `expected`, nothing written.
  void expect_refused(std::vector<std::string> args, const std::string& expected, int code = 2) {
    std::vector<std::string> before = probe().snapshot();
    ProcessResult r = run(args);
    EXPECT_EQ(r.exit_code, code) << describe(r);
    EXPECT_TRUE(contains(r.err, expected)) << "expected \"" << expected << "\" in " << describe(r);
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one line: " << r.err;
    EXPECT_EQ(probe().snapshot(), before) << "nothing written by " << args[0] << " " << args[1];
    EXPECT_FALSE(probe().has_collection("migrationlogs_lock")) << "not even the lock";
  }
};

// ---- migrate-mongo ---------------------------------------------------------------

TEST_F(ImportTest, MigrateMongoRecordsItsAppliedMigrationsKeepingAppliedAtAndLeavesItsCollectionAlone) {
  write_abc();
  probe().insert("changelog", mm_record("20240101120000-add-a.js", "2024-01-01T12:00:00Z", /*with_block=*/false));
  probe().insert("changelog", mm_record("20240102120000-add-b.js", "2024-01-02T12:00:00Z"));
  std::vector<std::string> changelog = probe().find("changelog");
  std::vector<std::string> changelog_indexes = probe().index_names("changelog");

  ProcessResult r = run({"import", "migrate-mongo", "--by", "ops", "--reason", "switching"});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_TRUE(contains(r.out, std::string("imported ") + kA)) << describe(r);
  EXPECT_TRUE(contains(r.out, "2 migrations recorded applied")) << describe(r);

  EXPECT_EQ(log_field(kA, "status"), "applied");
  EXPECT_EQ(log_field(kB, "status"), "applied");
  EXPECT_EQ(log_field(kC, "status"), "");
  EXPECT_EQ(log_field(kA, "appliedBy"), "import from migrate-mongo");
  EXPECT_EQ(probe().count("migrationlogs", R"({"name": ")" + std::string(kA) +
                                               R"(", "appliedAt": {"$date": "2024-01-01T12:00:00Z"}})"),
            1)
      << "appliedAt kept";
  EXPECT_EQ(log_field(kB, "checksum"), source::sha256_hex(insert_migration("b")));
  EXPECT_EQ(log_field(kA, "version"), "20240101120000");
  EXPECT_EQ(events("imported"), 2);
  std::string reason = probe().string_field("migrationlogs_events", R"({"name": ")" + std::string(kB) + R"("})",
                                            "reason");
  EXPECT_TRUE(contains(reason, "switching")) << reason;
  EXPECT_TRUE(contains(reason, "migrationBlock 1704110400000")) << reason;
  EXPECT_EQ(probe().string_field("migrationlogs_events", R"({"name": ")" + std::string(kB) + R"("})", "by"), "ops");
  EXPECT_EQ(probe().count("things"), 0) << "nothing was run";
  EXPECT_EQ(probe().find("changelog"), changelog) << "migrate-mongo's records are only read";
  EXPECT_EQ(probe().index_names("changelog"), changelog_indexes) << "and its indexes untouched";
  EXPECT_EQ(lock_leftovers(probe()), 0);

  // Idempotent: a second import changes nothing at all.
  std::vector<std::string> before = probe().snapshot();
  ProcessResult again = run({"import", "migrate-mongo"});
  ASSERT_EQ(again.exit_code, 0) << describe(again);
  EXPECT_TRUE(contains(again.out, "0 migrations recorded")) << describe(again);
  EXPECT_TRUE(contains(again.out, std::string("already in the log, left as it is: ") + kA)) << describe(again);
  EXPECT_EQ(probe().snapshot(), before);

  // And `up` runs only what migrate-mongo had not.
  ProcessResult up = run({"up"});
  ASSERT_EQ(up.exit_code, 0) << describe(up);
  EXPECT_EQ(probe().count("things"), 1);
  EXPECT_EQ(probe().count("things", R"({"_id": "c"})"), 1);
}

TEST_F(ImportTest, MigrateMongoDryRunAndJsonWriteNothing) {
  write_abc();
  probe().insert("changelog", mm_record("20240101120000-add-a.js", "2024-01-01T12:00:00Z"));
  std::vector<std::string> before = probe().snapshot();
  ProcessResult dry = run({"import", "migrate-mongo", "--dry-run"});
  ASSERT_EQ(dry.exit_code, 0) << describe(dry);
  EXPECT_TRUE(contains(dry.out, std::string("would import ") + kA)) << describe(dry);
  EXPECT_TRUE(contains(dry.out, "1 migration would be recorded applied")) << describe(dry);
  EXPECT_EQ(probe().snapshot(), before) << "a dry run writes nothing";

  ProcessResult json = run({"import", "migrate-mongo", "--dry-run", "--json"});
  ASSERT_EQ(json.exit_code, 0) << describe(json);
  EXPECT_EQ(json_schema_problems(json.out, "import"), "") << json.out;
  EXPECT_TRUE(contains(json.out, R"("source":"migrate-mongo","sourceCollection":"changelog","dryRun":true)"))
      << json.out;
  EXPECT_TRUE(contains(json.out, R"({"name":"20240101120000-add-a.json","source":"20240101120000-add-a.js",)"
                                 R"("appliedAt":"2024-01-01T12:00:00.000Z","migrationBlock":1704110400000})"))
      << json.out;
  EXPECT_EQ(probe().snapshot(), before);

  ProcessResult real = run({"import", "migrate-mongo", "--json"});
  ASSERT_EQ(real.exit_code, 0) << describe(real);
  EXPECT_TRUE(contains(real.out, R"("dryRun":false)")) << real.out;
  EXPECT_EQ(json_schema_problems(real.out, "import"), "") << real.out;
  EXPECT_EQ(log_field(kA, "status"), "applied");
}

TEST_F(ImportTest, MigrateMongoRecordsWithNoMigrationAreListedAndRefusedUnlessAllowed) {
  write_abc();
  probe().insert("changelog", mm_record("20240101120000-add-a.js", "2024-01-01T12:00:00Z"));
  probe().insert("changelog", mm_record("20231201000000-old-gone.js", "2023-12-01T00:00:00Z"));
  expect_refused({"import", "migrate-mongo"}, "20231201000000-old-gone.js");

  ProcessResult allowed = run({"import", "migrate-mongo", "--allow-missing"});
  ASSERT_EQ(allowed.exit_code, 0) << describe(allowed);
  EXPECT_TRUE(contains(allowed.out, "no migration here, skipped: 20231201000000-old-gone.js")) << describe(allowed);
  EXPECT_EQ(log_field(kA, "status"), "applied");
  EXPECT_EQ(probe().count("migrationlogs"), 1);
}

TEST_F(ImportTest, MigrateMongoBadInputsWriteNothing) {
  write_abc();
  // No such collection (only names like it), then an empty one.
  probe().insert("Changelog", R"({"fileName": "20240101120000-add-a.js"})");
  probe().insert("changelog_old", R"({"fileName": "20240101120000-add-a.js"})");
  expect_refused({"import", "migrate-mongo"}, "no collection \"changelog\"");
  expect_refused({"import", "migrate-mongo", "--changelog", "other_changelog"}, "no collection \"other_changelog\"");
  probe().command(R"({"create": "changelog"})");
  expect_refused({"import", "migrate-mongo"}, "is empty");
  // Records whose fileName cannot name a migration.
  probe().insert("changelog", mm_record("20240101120000-add-a.js", "2024-01-01T12:00:00Z"));
  probe().insert("changelog", R"({"fileName": 42, "appliedAt": {"$date": "2024-01-01T12:00:00Z"}})");
  expect_refused({"import", "migrate-mongo"}, "fileName is not a string");
  probe().command(R"({"delete": "changelog", "deletes": [{"q": {"fileName": 42}, "limit": 1}]})");
  probe().insert("changelog", mm_record("../escape.js", "2024-01-01T12:00:00Z"));
  expect_refused({"import", "migrate-mongo"}, "../escape.js");
  // --changelog must not name our own log.
  expect_refused({"import", "migrate-mongo", "--changelog", "migrationlogs"}, "mongo-migrate's own log");
}

TEST_F(ImportTest, ImportWaitsForAHeldLockThenExits4WritingNothing) {
  write_abc();
  probe().insert("changelog", mm_record("20240101120000-add-a.js", "2024-01-01T12:00:00Z"));
  probe().insert("schema_migrations", gm_state(20240101120000, false));
  write_lease(probe(), {});
  std::vector<std::string> before = probe().snapshot();
  for (const char* tool : {"migrate-mongo", "golang-migrate"}) {
    auto start = std::chrono::steady_clock::now();
    ProcessResult r = run({"import", tool, "--lock-timeout", "1s"});
    auto waited = std::chrono::steady_clock::now() - start;
    EXPECT_EQ(r.exit_code, 4) << tool << ": " << describe(r);
    EXPECT_TRUE(contains(r.err, "pid 4242")) << describe(r);
    EXPECT_GE(waited, 1s) << tool << " waited for --lock-timeout";
  }
  EXPECT_EQ(probe().snapshot(), before);
}

TEST_F(ImportTest, RefusesWhileMigrateMongoHoldsItsOwnLockThenHonoursLockCollection) {
  write_abc();
  probe().insert("changelog", mm_record("20240101120000-add-a.js", "2024-01-01T12:00:00Z"));
  probe().insert("changelog_lock", R"({"createdAt": {"$date": "2024-01-05T10:00:00Z"}})");
  // Held: refused with exit 4 before anything is written, dry run included.
  expect_refused({"import", "migrate-mongo"}, "migrate-mongo is running", 4);
  expect_refused({"import", "migrate-mongo", "--dry-run"}, "\"changelog_lock\" holds a lock (since 2024-01-05T10:00:00", 4);
  expect_refused({"import", "migrate-mongo", "--lock-collection", "bad$name"}, "bad$name");
  // Its lock kept elsewhere (lockCollectionName): that one is empty, so the import goes on.
  ProcessResult r = run({"import", "migrate-mongo", "--lock-collection", "mm_lock"});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(log_field(kA, "status"), "applied");
}

TEST_F(ImportTest, RefusesWhileGolangMigrateHoldsItsAdvisoryLock) {
  write_migration("1_create_users.json", insert_migration("1"));
  probe().insert("schema_migrations", gm_state(1, false));
  // What golang-migrate v4.19's Lock() inserts while it runs.
  probe().insert("migrate_advisory_lock",
                 R"({"locking_key": 0, "pid": 777, "hostname": "ci-7", "created_at": {"$date": "2024-01-05T10:00:00Z"}})");
  expect_refused({"import", "golang-migrate"}, "pid 777 on ci-7 since 2024-01-05T10:00:00", 4);
  // Another key is not its lock.
  probe().insert("other_lock", R"({"locking_key": 1})");
  ProcessResult r = run({"import", "golang-migrate", "--lock-collection", "other_lock"});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(log_field("1_create_users.json", "status"), "applied");
}

// ---- golang-migrate --------------------------------------------------------------

TEST_F(ImportTest, GolangMigrateRecordsEveryVersionAtOrBelowTheRecordedOne) {
  write_migration("1_create_users.json", insert_migration("1"));
  write_migration("2_add_index.json", insert_migration("2"));
  write_migration("3_backfill.json", insert_migration("3"));
  probe().insert("schema_migrations", gm_state(2, false));
  std::vector<std::string> theirs = probe().find("schema_migrations");

  ProcessResult r = run({"import", "golang-migrate"});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_TRUE(contains(r.out, "(version 2)")) << describe(r);
  EXPECT_EQ(log_field("1_create_users.json", "status"), "applied");
  EXPECT_EQ(log_field("2_add_index.json", "status"), "applied");
  EXPECT_EQ(log_field("3_backfill.json", "status"), "");
  EXPECT_EQ(log_field("2_add_index.json", "appliedBy"), "import from golang-migrate");
  EXPECT_EQ(events("imported"), 2);
  EXPECT_EQ(probe().find("schema_migrations"), theirs);

  std::vector<std::string> before = probe().snapshot();
  ProcessResult again = run({"import", "golang-migrate", "--json"});
  ASSERT_EQ(again.exit_code, 0) << describe(again);
  EXPECT_EQ(json_schema_problems(again.out, "import"), "") << again.out;
  EXPECT_TRUE(contains(again.out, R"("version":2,"imported":[],"alreadyRecorded":["1_create_users.json","2_add_index.json"])"))
      << again.out;
  EXPECT_EQ(probe().snapshot(), before) << "idempotent";
}

// golang-migrate keeps no times: every record gets the import's one time,
// and the report shows it (it said null while the log held a time).
TEST_F(ImportTest, GolangMigrateRecordsShowTheOneTimeTheyAreGiven) {
  write_migration("1_create_users.json", insert_migration("1"));
  write_migration("2_add_index.json", insert_migration("2"));
  probe().insert("schema_migrations", gm_state(2, false));
  ProcessResult r = run({"import", "golang-migrate", "--json"});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(json_schema_problems(r.out, "import"), "") << r.out;
  std::smatch first;
  ASSERT_TRUE(std::regex_search(r.out, first, std::regex(R"re("appliedAt":"([^"]+)")re"))) << r.out;
  const std::string at = first[1];
  const std::string field = R"("appliedAt":")" + at + R"(")";
  std::size_t times = 0;
  for (std::size_t pos = r.out.find(field); pos != std::string::npos; pos = r.out.find(field, pos + 1)) ++times;
  EXPECT_EQ(times, 2u) << "one time for both: " << r.out;
  EXPECT_EQ(probe().count("migrationlogs", R"({"appliedAt": {"$date": ")" + at + R"("}})"), 2)
      << "the time written is the one reported: " << at;
}

// A migration the other tool recorded applied that our log records
// otherwise (failed here) is listed apart and left as it is; the rest is
// imported, and the exit code (1) says a person has to look.
TEST_F(ImportTest, ARecordTheTwoLogsDisagreeOnIsListedAndExits1) {
  write_abc();
  probe().insert("changelog", mm_record("20240101120000-add-a.js", "2024-01-01T12:00:00Z"));
  probe().insert("changelog", mm_record("20240102120000-add-b.js", "2024-01-02T12:00:00Z"));
  probe().insert("migrationlogs", R"({"name": ")" + std::string(kB) + R"(", "status": "failed", "error": "boom"})");

  ProcessResult r = run({"import", "migrate-mongo"});
  EXPECT_EQ(r.exit_code, 1) << describe(r);
  EXPECT_TRUE(contains(r.out, std::string("imported ") + kA)) << describe(r);
  EXPECT_TRUE(contains(r.out, std::string("recorded here as failed, left as it is: ") + kB)) << describe(r);
  EXPECT_TRUE(contains(r.err, "check their data, then `mark <name> --as applied`")) << describe(r);
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_EQ(log_field(kA, "status"), "applied");
  EXPECT_EQ(log_field(kB, "status"), "failed") << "left as it is";
  EXPECT_EQ(log_field(kB, "error"), "boom");

  ProcessResult json = run({"import", "migrate-mongo", "--json"});
  EXPECT_EQ(json.exit_code, 1) << describe(json);
  EXPECT_EQ(json_schema_problems(json.out, "import"), "") << json.out;
  EXPECT_TRUE(contains(json.out, R"({"schema":1,"ok":false,)")) << json.out;
  EXPECT_TRUE(contains(json.out, R"("disagreements":[{"name":")" + std::string(kB) + R"(","status":"failed"}])"))
      << json.out;
}

TEST_F(ImportTest, GolangMigrateBadInputsWriteNothing) {
  write_migration("1_a.json", insert_migration("1"));
  write_migration("2_b.json", insert_migration("2"));
  expect_refused({"import", "golang-migrate"}, "no collection \"schema_migrations\"");
  probe().command(R"({"create": "schema_migrations"})");
  expect_refused({"import", "golang-migrate"}, "is empty");
  probe().insert("versions", R"({"version": "2", "dirty": false})");
  expect_refused({"import", "golang-migrate", "--table", "versions"}, "version is not an integer");
  probe().insert("schema_migrations", gm_state(2, true));
  expect_refused({"import", "golang-migrate"}, "dirty at version 2");
  probe().command(R"({"drop": "schema_migrations"})");
  probe().insert("schema_migrations", gm_state(7, false));
  expect_refused({"import", "golang-migrate"}, "recorded version 7");
}

TEST_F(ImportTest, GolangMigrateFilesInTheDirectoryAreNamedWithTheFilesToWrite) {
  write_migration("1_create_users.up.json", R"([{"insert": "things", "documents": [{"_id": "1"}]}])");
  write_migration("1_create_users.down.json", R"([{"delete": "things", "deletes": [{"q": {}, "limit": 0}]}])");
  probe().insert("schema_migrations", gm_state(1, false));
  expect_refused({"import", "golang-migrate"}, "1_create_users.json");
  ProcessResult r = run({"import", "golang-migrate"});
  EXPECT_TRUE(contains(r.err, "scripts/merge-golang-migrate.py")) << describe(r);

  // The script writes them; the import then takes the database over.
  TempDir merged;
  ProcessResult merge = run_process({"/usr/bin/env", "python3",
                                     std::string(MONGOMIGRATE_SOURCE_DIR) + "/scripts/merge-golang-migrate.py", dir(),
                                     merged.path()});
  ASSERT_EQ(merge.exit_code, 0) << describe(merge);
  ProcessResult imported = run_in(merged.path(), {"import", "golang-migrate"});
  ASSERT_EQ(imported.exit_code, 0) << describe(imported);
  EXPECT_EQ(log_field("1_create_users.json", "status"), "applied");
}

// ---- a log collection holding another tool's records ------------------------------

TEST_F(ImportTest, EveryCommandRefusesALogCollectionHoldingAnotherToolsRecords) {
  write_abc();
  probe().insert("changelog", mm_record("20240101120000-add-a.js", "2024-01-01T12:00:00Z"));
  probe().insert("schema_migrations", gm_state(3, false));
  for (const char* collection : {"changelog", "schema_migrations"}) {
    std::string command = std::string(collection) == "changelog" ? "import migrate-mongo --changelog changelog"
                                                                 : "import golang-migrate --table schema_migrations";
    for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
             {"up"}, {"status"}, {"validate"}, {"run", kA}, {"down", kA}, {"mark", kA, "--as", "applied"},
             {"baseline", kB}, {"up", "--dry-run"}, {"history"}}) {
      args.insert(args.end(), {"--collection", collection});
      expect_refused(args, command);
    }
    EXPECT_EQ(probe().index_names(collection), std::vector<std::string>{"_id_"}) << "no index of ours added";
  }
}

// ---- the real tools ------------------------------------------------------------------

// A tool installed by bench/run.sh (or named by `variable`), "" if absent.
std::string peer_tool(const char* variable, const std::string& cached) {
  if (const char* env = std::getenv(variable); env && *env) return env;
  std::string path = std::string(MONGOMIGRATE_SOURCE_DIR) + "/bench/.cache/" + cached;
  return std::filesystem::exists(path) ? path : "";
}

TEST_F(ImportTest, TakesOverADatabaseTheRealMigrateMongoRan) {
  std::string mm = peer_tool("MONGOMIGRATE_MIGRATE_MONGO_BIN", "node/node_modules/.bin/migrate-mongo");
  if (mm.empty()) {
    GTEST_SKIP() << "migrate-mongo is not installed (bench/run.sh installs it into bench/.cache; or set "
                    "MONGOMIGRATE_MIGRATE_MONGO_BIN); the documents it writes are tested above";
  }
  TempDir project;
  for (const char* id : {"a", "b"}) {
    project.write(fmt::format("migrations/2024010{}120000-add-{}.js", id[0] == 'a' ? 1 : 2, id),
                  fmt::format("module.exports = {{ async up(db) {{ await db.collection('things').insertOne({{_id: "
                              "'{}'}}); }}, async down() {{}} }};\n",
                              id));
  }
  std::string config = project.write("migrate-mongo-config.js", fmt::format(R"(module.exports = {{
  mongodb: {{ url: "{}", databaseName: "{}", options: {{}} }},
  migrationsDir: "{}/migrations", changelogCollectionName: "changelog", lockCollectionName: "changelog_lock",
  lockTtl: 0, migrationFileExtension: ".js", useFileHash: false, moduleSystem: "commonjs",
}};
)", uri(), db(), project.path()));
  ProcessOptions options = bounded(120s);
  options.working_directory = project.path();
  ProcessResult up = run_process({mm, "up", "-f", config}, options);
  ASSERT_EQ(up.exit_code, 0) << describe(up);
  ASSERT_EQ(probe().count("things"), 2);
  ASSERT_EQ(probe().count("changelog", R"({"migrationBlock": {"$exists": true}})"), 2) << "migrate-mongo 14's format";
  std::vector<std::string> changelog = probe().find("changelog");

  write_abc();
  ProcessResult r = run({"import", "migrate-mongo"});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(log_field(kA, "status"), "applied");
  EXPECT_EQ(log_field(kB, "status"), "applied");
  EXPECT_EQ(probe().find("changelog"), changelog);
  ProcessResult up_ours = run({"up"});
  ASSERT_EQ(up_ours.exit_code, 0) << describe(up_ours);
  EXPECT_EQ(probe().count("things"), 3) << "only 003 ran";

  // migrate-mongo still reads its changelog as it left it.
  ProcessResult status = run_process({mm, "status", "-f", config}, options);
  EXPECT_EQ(status.exit_code, 0) << describe(status);
  EXPECT_FALSE(contains(status.out, "PENDING")) << describe(status);
}

TEST_F(ImportTest, TakesOverADatabaseTheRealGolangMigrateRan) {
  std::string gm = peer_tool("MONGOMIGRATE_GOLANG_MIGRATE_BIN", "bin/migrate");
  if (gm.empty()) {
    GTEST_SKIP() << "golang-migrate is not installed (bench/run.sh builds it into bench/.cache; or set "
                    "MONGOMIGRATE_GOLANG_MIGRATE_BIN); the document it writes is tested above";
  }
  TempDir golang;
  for (int v : {1, 2, 10}) {
    golang.write(fmt::format("{}_step{}.up.json", v, v),
                 fmt::format(R"([{{"insert": "things", "documents": [{{"_id": "{}"}}]}}])", v));
    golang.write(fmt::format("{}_step{}.down.json", v, v),
                 fmt::format(R"([{{"delete": "things", "deletes": [{{"q": {{"_id": "{}"}}, "limit": 1}}]}}])", v));
  }
  ProcessResult up = run_process({gm, "-path", golang.path(), "-database", uri(), "up", "2"}, bounded(120s));
  ASSERT_EQ(up.exit_code, 0) << describe(up);
  ASSERT_EQ(probe().count("things"), 2);
  ASSERT_EQ(probe().count("schema_migrations", R"({"version": 2, "dirty": false})"), 1) << "golang-migrate's format";

  TempDir ours;
  ProcessResult merge = run_process({"/usr/bin/env", "python3",
                                     std::string(MONGOMIGRATE_SOURCE_DIR) + "/scripts/merge-golang-migrate.py",
                                     golang.path(), ours.path()});
  ASSERT_EQ(merge.exit_code, 0) << describe(merge);
  ProcessResult r = run_in(ours.path(), {"import", "golang-migrate"});
  ASSERT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(log_field("01_step1.json", "status"), "applied");
  EXPECT_EQ(log_field("02_step2.json", "status"), "applied");
  EXPECT_EQ(log_field("10_step10.json", "status"), "");
  ProcessResult up_ours = run_in(ours.path(), {"up"});
  ASSERT_EQ(up_ours.exit_code, 0) << describe(up_ours);
  EXPECT_EQ(probe().count("things"), 3) << "only version 10 ran";
}

}  // namespace
}  // namespace mongomigrate::testing
