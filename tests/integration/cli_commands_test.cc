// Every command of the real binary against the real server (DESIGN.md §4, §5):
// run, up, down, status, validate, history, help, the global options, the
// dry run, JSON output, and reading a log written by the seed (Node/Mongoose).
#include <bson/bson.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "mongo/bson_handles.h"
#include "mongomigrate/migrator.h"
#include "source/sha256.h"
#include "support/integration.h"

namespace mongomigrate::testing {
namespace {

// ---- helpers ---------------------------------------------------------------

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// True when one line of `text` contains every word.
bool has_line(const std::string& text, std::initializer_list<std::string> words) {
  for (const std::string& line : lines_of(text)) {
    bool all = true;
    for (const std::string& w : words) all = all && contains(line, w);
    if (all) return true;
  }
  return false;
}

// The first line of `text` that contains `needle`, or "".
std::string line_with(const std::string& text, const std::string& needle) {
  for (const std::string& line : lines_of(text)) {
    if (contains(line, needle)) return line;
  }
  return "";
}

// A command's stdout parsed as JSON (relaxed or canonical Extended JSON),
// with dotted-path lookups ("summary.applied", "steps.0.name").
class Json {
 public:
  explicit Json(const std::string& text) {
    bson_error_t error;
    doc_ = mongo::OwnedBson(bson_new_from_json(reinterpret_cast<const uint8_t*>(text.data()),
                                               static_cast<ssize_t>(text.size()), &error));
    if (!doc_) error_ = error.message;
  }
  bool valid() const { return static_cast<bool>(doc_); }
  const std::string& error() const { return error_; }

  bool has(const std::string& path) const {
    bson_iter_t it;
    return find(path, it);
  }
  std::optional<std::int64_t> integer(const std::string& path) const {
    bson_iter_t it;
    if (!find(path, it) || !BSON_ITER_HOLDS_NUMBER(&it)) return std::nullopt;
    return bson_iter_as_int64(&it);
  }
  std::optional<std::string> string(const std::string& path) const {
    bson_iter_t it;
    if (!find(path, it) || !BSON_ITER_HOLDS_UTF8(&it)) return std::nullopt;
    return std::string(bson_iter_utf8(&it, nullptr));
  }
  std::optional<bool> boolean(const std::string& path) const {
    bson_iter_t it;
    if (!find(path, it) || !BSON_ITER_HOLDS_BOOL(&it)) return std::nullopt;
    return bson_iter_bool(&it);
  }
  // Number of elements of the array at `path` (0 when absent).
  int length(const std::string& path) const {
    bson_iter_t it, child;
    if (!find(path, it) || !BSON_ITER_HOLDS_ARRAY(&it) || !bson_iter_recurse(&it, &child)) return 0;
    int n = 0;
    while (bson_iter_next(&child)) ++n;
    return n;
  }

 private:
  bool find(const std::string& path, bson_iter_t& out) const {
    if (!doc_) return false;
    bson_iter_t it;
    if (!bson_iter_init(&it, doc_.get())) return false;
    return bson_iter_find_descendant(&it, path.c_str(), &out);
  }

  mongo::OwnedBson doc_;
  std::string error_;
};

// Migrations used below. Each touches a collection of its own so that what
// ran can be seen in the database.
const char* kA = R"({"description": "insert a",
  "up":   [{"insert": "things", "documents": [{"_id": "a"}]}],
  "down": [{"delete": "things", "deletes": [{"q": {"_id": "a"}, "limit": 1}]}]})";
const char* kB = R"({"up":   [{"insert": "things", "documents": [{"_id": "b"}]}],
  "down": [{"delete": "things", "deletes": [{"q": {"_id": "b"}, "limit": 1}]}]})";
const char* kC = R"({"up":   [{"insert": "things", "documents": [{"_id": "c"}]}],
  "down": [{"delete": "things", "deletes": [{"q": {"_id": "c"}, "limit": 1}]}]})";
// Fails with writeErrors: the second document repeats the first one's _id.
const char* kDuplicateInsert = R"({"up": [{"insert": "things", "documents": [{"_id": "dup"}, {"_id": "dup"}]}]})";
// Fails with ok: 0.
const char* kUnknownCommand = R"({"up": [{"noSuchCommand": 1}]})";
// No "down" key: irreversible.
const char* kIrreversible = R"({"up": [{"insert": "things", "documents": [{"_id": "irr"}]}]})";
// "down": [] : nothing to undo.
const char* kEmptyDown = R"({"up": [{"insert": "things", "documents": [{"_id": "empty"}]}], "down": []})";

class CliCommandsTest : public IntegrationTest {
 protected:
  std::int64_t events(const std::string& name, const std::string& action) {
    return probe().count("migrationlogs_events", R"({"name": ")" + name + R"(", "action": ")" + action + R"("})");
  }
  std::int64_t all_events() { return probe().count("migrationlogs_events"); }
  std::string log_status(const std::string& name) {
    return probe().string_field("migrationlogs", R"({"name": ")" + name + R"("})", "status");
  }
  std::int64_t log_count(const std::string& name) {
    return probe().count("migrationlogs", R"({"name": ")" + name + R"("})");
  }
  std::int64_t things(const std::string& id) {
    return probe().count("things", R"({"_id": ")" + id + R"("})");
  }
  std::vector<std::string> snapshot() { return probe().snapshot(); }
};

// ---- run -------------------------------------------------------------------

TEST_F(CliCommandsTest, RunAppliesOneMigrationOutOfOrder) {
  write_migration("001-a.json", kA);
  write_migration("002-b.json", kB);
  write_migration("003-c.json", kC);

  ProcessResult run = cli({"run", "003-c.json", "--by", "tester"});
  ASSERT_EQ(run.exit_code, 0) << describe(run);
  EXPECT_EQ(things("c"), 1);
  EXPECT_EQ(probe().count("things"), 1) << "only the named migration runs";
  EXPECT_EQ(log_status("003-c.json"), "applied");
  EXPECT_EQ(probe().string_field("migrationlogs", R"({"name": "003-c.json"})", "appliedBy"), "tester");
  EXPECT_EQ(log_count("001-a.json"), 0);
  EXPECT_EQ(log_count("002-b.json"), 0);
  EXPECT_EQ(events("003-c.json", "applied"), 1);

  // The earlier ones are still pending and `up` applies them.
  ProcessResult up = cli({"up"});
  ASSERT_EQ(up.exit_code, 0) << describe(up);
  EXPECT_EQ(probe().count("things"), 3);
  EXPECT_EQ(probe().count("migrationlogs", R"({"status": "applied"})"), 3);
  EXPECT_EQ(events("003-c.json", "applied"), 1) << "003 is not run twice";
}

TEST_F(CliCommandsTest, RunRefusesAnAppliedMigrationAndChangesNothing) {
  write_migration("001-a.json", kA);
  ProcessResult first = cli({"run", "001-a.json"});
  ASSERT_EQ(first.exit_code, 0) << describe(first);
  std::vector<std::string> before = snapshot();

  ProcessResult again = cli({"run", "001-a.json"});
  EXPECT_EQ(again.exit_code, 1) << describe(again);
  EXPECT_TRUE(contains(again.err, "001-a.json")) << describe(again);
  EXPECT_TRUE(contains(again.err, "applied")) << describe(again);
  EXPECT_EQ(snapshot(), before) << "a refused run writes nothing";
}

TEST_F(CliCommandsTest, RunReRunsAFailedMigrationWithoutHandEditingTheDatabase) {
  write_migration("001-a.json", kDuplicateInsert);
  ProcessResult failed = cli({"run", "001-a.json"});
  ASSERT_EQ(failed.exit_code, 1) << describe(failed);
  ASSERT_EQ(log_status("001-a.json"), "failed");
  EXPECT_EQ(events("001-a.json", "failed"), 1);

  // Fix the file (the first insert of "dup" went through, so insert another id).
  const std::string fixed = R"({"up": [{"insert": "things", "documents": [{"_id": "fixed"}]}]})";
  write_migration("001-a.json", fixed);
  ProcessResult rerun = cli({"run", "001-a.json", "--by", "fixer"});
  ASSERT_EQ(rerun.exit_code, 0) << describe(rerun);
  EXPECT_EQ(log_status("001-a.json"), "applied");
  EXPECT_EQ(log_count("001-a.json"), 1) << "one record per migration";
  EXPECT_EQ(probe().count("migrationlogs", R"({"name": "001-a.json", "error": {"$exists": true}})"), 0)
      << "the old error is cleared";
  EXPECT_EQ(probe().string_field("migrationlogs", R"({"name": "001-a.json"})", "checksum"),
            source::sha256_hex(fixed))
      << "the checksum of the fixed file is recorded";
  EXPECT_EQ(probe().string_field("migrationlogs", R"({"name": "001-a.json"})", "appliedBy"), "fixer");
  EXPECT_EQ(things("fixed"), 1);
  EXPECT_EQ(events("001-a.json", "failed"), 1);
  EXPECT_EQ(events("001-a.json", "applied"), 1);
}

// ---- up and failures -------------------------------------------------------

TEST_F(CliCommandsTest, UpStopsAtTheFirstFailureAndTheFailureBlocksLaterRuns) {
  write_migration("001-a.json", kA);
  write_migration("002-dup.json", kDuplicateInsert);
  write_migration("003-c.json", kC);

  ProcessResult up = cli({"up"});
  EXPECT_EQ(up.exit_code, 1) << describe(up);
  EXPECT_TRUE(contains(up.err, "002-dup.json")) << describe(up);
  EXPECT_EQ(log_status("001-a.json"), "applied");
  EXPECT_EQ(log_status("002-dup.json"), "failed");
  EXPECT_EQ(log_count("003-c.json"), 0) << "a migration after the failure is not recorded";
  EXPECT_EQ(things("c"), 0) << "a migration after the failure is not run";
  EXPECT_EQ(probe().count("migrationlogs_events", R"({"name": "003-c.json"})"), 0);

  std::vector<std::string> before = snapshot();
  ProcessResult second = cli({"up"});
  EXPECT_EQ(second.exit_code, 1) << describe(second);
  EXPECT_TRUE(contains(second.err, "blocked")) << describe(second);
  EXPECT_TRUE(contains(second.err, "002-dup.json")) << describe(second);
  EXPECT_TRUE(contains(second.err, "run")) << describe(second);
  EXPECT_EQ(events("002-dup.json", "failed"), 1) << "the failed migration is not run again";
  EXPECT_EQ(things("c"), 0) << "nor passed";
  EXPECT_EQ(snapshot(), before) << "a blocked up writes nothing";
}

TEST_F(CliCommandsTest, OkZeroReplyIsRecordedAsFailedWithItsError) {
  write_migration("001-unknown.json", kUnknownCommand);
  ProcessResult run = cli({"run", "001-unknown.json"});
  EXPECT_EQ(run.exit_code, 1) << describe(run);
  EXPECT_EQ(log_status("001-unknown.json"), "failed");
  std::string error = probe().string_field("migrationlogs", R"({"name": "001-unknown.json"})", "error");
  EXPECT_FALSE(error.empty());
  EXPECT_TRUE(contains(error, "noSuchCommand")) << error;
  EXPECT_EQ(events("001-unknown.json", "failed"), 1);
  std::string event_error =
      probe().string_field("migrationlogs_events", R"({"name": "001-unknown.json", "action": "failed"})", "error");
  EXPECT_TRUE(contains(event_error, "noSuchCommand")) << event_error;
  EXPECT_TRUE(contains(run.err, "noSuchCommand")) << describe(run);
}

TEST_F(CliCommandsTest, WriteErrorsReplyIsRecordedAsFailedWithItsError) {
  write_migration("001-dup.json", kDuplicateInsert);
  ProcessResult run = cli({"run", "001-dup.json"});
  EXPECT_EQ(run.exit_code, 1) << describe(run);
  EXPECT_EQ(log_status("001-dup.json"), "failed");
  std::string error = probe().string_field("migrationlogs", R"({"name": "001-dup.json"})", "error");
  EXPECT_TRUE(contains(error, "11000")) << "the duplicate-key error is recorded: " << error;
  EXPECT_EQ(events("001-dup.json", "failed"), 1);
  std::string event_error =
      probe().string_field("migrationlogs_events", R"({"name": "001-dup.json", "action": "failed"})", "error");
  EXPECT_TRUE(contains(event_error, "11000")) << event_error;
  EXPECT_EQ(events("001-dup.json", "applied"), 0);
}

// ---- down ------------------------------------------------------------------

TEST_F(CliCommandsTest, DownRevertsAndRecordsWhoAndWhenThenUpReapplies) {
  write_migration("001-a.json", kA);
  ASSERT_EQ(cli({"up"}).exit_code, 0);
  ASSERT_EQ(things("a"), 1);

  ProcessResult down = cli({"down", "001-a.json", "--by", "alice"});
  ASSERT_EQ(down.exit_code, 0) << describe(down);
  EXPECT_EQ(things("a"), 0) << "the down ran";
  EXPECT_EQ(log_status("001-a.json"), "reverted");
  EXPECT_EQ(probe().string_field("migrationlogs", R"({"name": "001-a.json"})", "revertedBy"), "alice");
  std::vector<std::string> record = probe().find("migrationlogs", R"({"name": "001-a.json"})");
  ASSERT_EQ(record.size(), 1u);
  EXPECT_TRUE(contains(record[0], R"("revertedAt" : { "$date" :)")) << "revertedAt is a date: " << record[0];
  EXPECT_EQ(events("001-a.json", "reverted"), 1);
  EXPECT_EQ(probe().string_field("migrationlogs_events", R"({"action": "reverted"})", "by"), "alice");

  ProcessResult status = cli({"status"});
  ASSERT_EQ(status.exit_code, 0) << describe(status);
  EXPECT_TRUE(contains(line_with(status.out, "001-a.json"), "reverted")) << status.out;

  // The next `up` applies it again.
  ProcessResult up = cli({"up"});
  ASSERT_EQ(up.exit_code, 0) << describe(up);
  EXPECT_EQ(things("a"), 1);
  EXPECT_EQ(log_status("001-a.json"), "applied");
  EXPECT_EQ(events("001-a.json", "applied"), 2);
}

TEST_F(CliCommandsTest, DownRefusesAnIrreversibleMigration) {
  write_migration("001-irr.json", kIrreversible);
  ASSERT_EQ(cli({"up"}).exit_code, 0);
  std::vector<std::string> before = snapshot();

  ProcessResult down = cli({"down", "001-irr.json"});
  EXPECT_EQ(down.exit_code, 1) << describe(down);
  EXPECT_TRUE(contains(down.err, "irreversible")) << describe(down);
  EXPECT_TRUE(contains(down.err, "001-irr.json")) << describe(down);
  EXPECT_EQ(snapshot(), before) << "the record and the data are unchanged";
  EXPECT_EQ(log_status("001-irr.json"), "applied");
}

TEST_F(CliCommandsTest, DownAcceptsAnEmptyDownWithAWarning) {
  write_migration("001-empty.json", kEmptyDown);
  ASSERT_EQ(cli({"up"}).exit_code, 0);

  ProcessResult down = cli({"down", "001-empty.json"});
  EXPECT_EQ(down.exit_code, 0) << describe(down);
  EXPECT_TRUE(contains(down.err, "warning")) << describe(down);
  EXPECT_EQ(log_status("001-empty.json"), "reverted");
  EXPECT_EQ(events("001-empty.json", "reverted"), 1);
  EXPECT_EQ(things("empty"), 1) << "nothing was undone";
}

TEST_F(CliCommandsTest, DownRefusesAMigrationThatIsNotApplied) {
  write_migration("001-a.json", kA);
  write_migration("002-dup.json", kDuplicateInsert);

  // Pending (never run).
  ProcessResult pending = cli({"down", "001-a.json"});
  EXPECT_EQ(pending.exit_code, 1) << describe(pending);
  EXPECT_TRUE(contains(pending.err, "not applied")) << describe(pending);
  EXPECT_TRUE(probe().collections().empty()) << "nothing written";

  // Failed.
  ASSERT_EQ(cli({"run", "002-dup.json"}).exit_code, 1);
  std::vector<std::string> before = snapshot();
  ProcessResult failed = cli({"down", "002-dup.json"});
  EXPECT_EQ(failed.exit_code, 1) << describe(failed);
  EXPECT_EQ(snapshot(), before);

  // Already reverted.
  ASSERT_EQ(cli({"run", "001-a.json"}).exit_code, 0);
  ASSERT_EQ(cli({"down", "001-a.json"}).exit_code, 0);
  before = snapshot();
  ProcessResult twice = cli({"down", "001-a.json"});
  EXPECT_EQ(twice.exit_code, 1) << describe(twice);
  EXPECT_EQ(snapshot(), before);
}

// ---- dry run ---------------------------------------------------------------

TEST_F(CliCommandsTest, DryRunPrintsThePlanAndWritesNothingOnAFreshDatabase) {
  write_migration("001-two.json", R"({"up": [{"create": "coll_one"},
      {"insert": "coll_two", "documents": [{"_id": 1}]}]})");
  write_migration("002-three.json", R"({"up": [{"insert": "coll_three", "documents": [{"_id": 1}]}]})");

  ProcessResult dry = cli({"up", "--dry-run"});
  ASSERT_EQ(dry.exit_code, 0) << describe(dry);
  EXPECT_TRUE(contains(dry.out, "001-two.json")) << dry.out;
  EXPECT_TRUE(contains(dry.out, "002-three.json")) << dry.out;
  EXPECT_TRUE(contains(dry.out, "coll_one")) << "each command is printed: " << dry.out;
  EXPECT_TRUE(contains(dry.out, "coll_two")) << dry.out;
  EXPECT_TRUE(contains(dry.out, "coll_three")) << dry.out;
  EXPECT_LT(dry.out.find("001-two.json"), dry.out.find("002-three.json")) << dry.out;

  std::vector<std::string> collections = probe().collections();
  EXPECT_TRUE(collections.empty()) << "not even the log is created; found " << collections.size()
                                   << (collections.empty() ? "" : ": " + collections.front());

  // --json too.
  ProcessResult json = cli({"up", "--dry-run", "--json"});
  ASSERT_EQ(json.exit_code, 0) << describe(json);
  Json doc(json.out);
  ASSERT_TRUE(doc.valid()) << doc.error() << "\n" << json.out;
  EXPECT_EQ(doc.boolean("dryRun"), true);
  EXPECT_EQ(doc.length("steps"), 2);
  EXPECT_EQ(doc.string("steps.0.outcome"), "planned");
  EXPECT_EQ(doc.length("steps.0.commands"), 2);
  EXPECT_TRUE(probe().collections().empty());
}

TEST_F(CliCommandsTest, DryRunWritesNothingOnADatabaseWithAppliedMigrations) {
  write_migration("001-a.json", kA);
  write_migration("002-b.json", kB);
  ASSERT_EQ(cli({"run", "001-a.json"}).exit_code, 0);
  std::vector<std::string> before = snapshot();
  std::int64_t events_before = all_events();

  ProcessResult dry = cli({"up", "--dry-run"});
  ASSERT_EQ(dry.exit_code, 0) << describe(dry);
  EXPECT_TRUE(contains(dry.out, "002-b.json")) << dry.out;
  EXPECT_FALSE(contains(dry.out, "001-a.json")) << "an applied migration is not in the plan: " << dry.out;
  EXPECT_EQ(all_events(), events_before);
  EXPECT_EQ(snapshot(), before);
  EXPECT_EQ(things("b"), 0);
}

// ---- JSON output -----------------------------------------------------------

TEST_F(CliCommandsTest, JsonOutputIsValidWithCorrectCounts) {
  write_migration("001-a.json", kA);
  write_migration("002-b.json", kB);
  write_migration("003-c.json", kC);

  ProcessResult run = cli({"run", "001-a.json"});
  ASSERT_EQ(run.exit_code, 0) << describe(run);

  ProcessResult up = cli({"up", "--json", "--by", "json-user"});
  ASSERT_EQ(up.exit_code, 0) << describe(up);
  Json up_doc(up.out);
  ASSERT_TRUE(up_doc.valid()) << up_doc.error() << "\n" << up.out;
  EXPECT_EQ(up_doc.boolean("ok"), true);
  EXPECT_EQ(up_doc.boolean("dryRun"), false);
  EXPECT_EQ(up_doc.length("steps"), 2);
  EXPECT_EQ(up_doc.string("steps.0.name"), "002-b.json");
  EXPECT_EQ(up_doc.string("steps.0.outcome"), "applied");
  EXPECT_EQ(up_doc.string("steps.1.name"), "003-c.json");

  ASSERT_EQ(cli({"down", "003-c.json"}).exit_code, 0);
  write_migration("004-dup.json", kDuplicateInsert);
  write_migration("005-b.json", kB);

  ProcessResult status = cli({"status", "--json"});
  ASSERT_EQ(status.exit_code, 0) << describe(status);
  Json s(status.out);
  ASSERT_TRUE(s.valid()) << s.error() << "\n" << status.out;
  EXPECT_EQ(s.integer("summary.total"), 5);
  EXPECT_EQ(s.integer("summary.applied"), 2);
  EXPECT_EQ(s.integer("summary.reverted"), 1);
  EXPECT_EQ(s.integer("summary.pending"), 2);
  EXPECT_EQ(s.integer("summary.failed"), 0);
  EXPECT_EQ(s.length("migrations"), 5);
  EXPECT_EQ(s.string("migrations.0.name"), "001-a.json");
  EXPECT_EQ(s.string("migrations.0.status"), "applied");
  EXPECT_EQ(s.string("migrations.0.version"), "001");
  EXPECT_EQ(s.string("migrations.0.description"), "insert a");
  EXPECT_EQ(s.string("migrations.1.appliedBy"), "json-user");
  EXPECT_EQ(s.string("migrations.2.status"), "reverted");
  EXPECT_EQ(s.string("migrations.3.status"), "pending");
  EXPECT_TRUE(contains(status.out, "\"applied\":2") || contains(status.out, "\"applied\": 2")) << status.out;

  // up --json that fails.
  ProcessResult failing = cli({"up", "--json"});
  EXPECT_EQ(failing.exit_code, 1) << describe(failing);
  Json f(failing.out);
  ASSERT_TRUE(f.valid()) << f.error() << "\n" << failing.out;
  EXPECT_EQ(f.boolean("ok"), false);
  // 003 (reverted) is applied again, then 004 fails.
  EXPECT_EQ(f.length("steps"), 2);
  EXPECT_EQ(f.string("steps.1.name"), "004-dup.json");
  EXPECT_EQ(f.string("steps.1.outcome"), "failed");
  EXPECT_TRUE(f.string("steps.1.error").has_value() && !f.string("steps.1.error")->empty()) << failing.out;

  ProcessResult status2 = cli({"status", "--json"});
  Json s2(status2.out);
  ASSERT_TRUE(s2.valid()) << describe(status2);
  EXPECT_EQ(s2.integer("summary.applied"), 3);
  EXPECT_EQ(s2.integer("summary.failed"), 1);
  EXPECT_EQ(s2.integer("summary.pending"), 1);
  EXPECT_EQ(s2.integer("summary.reverted"), 0);

  // A failed migration fails validation (issue 16), named.
  ProcessResult validate = cli({"validate", "--json"});
  EXPECT_EQ(validate.exit_code, 1) << describe(validate);
  Json v(validate.out);
  ASSERT_TRUE(v.valid()) << v.error() << "\n" << validate.out;
  EXPECT_EQ(v.boolean("valid"), false);
  EXPECT_EQ(v.length("issues.modified"), 0);
  EXPECT_EQ(v.length("issues.missing"), 0);
  EXPECT_EQ(v.length("issues.failed"), 1);
  EXPECT_EQ(v.string("issues.failed.0"), "004-dup.json");

  ProcessResult history = cli({"history", "--json"});
  ASSERT_EQ(history.exit_code, 0) << describe(history);
  Json h(history.out);
  ASSERT_TRUE(h.valid()) << h.error() << "\n" << history.out;
  // applied 001, 002, 003; reverted 003; applied 003; failed 004.
  EXPECT_EQ(h.length("events"), 6);
  EXPECT_EQ(h.string("events.0.name"), "004-dup.json");
  EXPECT_EQ(h.string("events.0.action"), "failed");
  EXPECT_EQ(h.string("events.5.name"), "001-a.json");
  EXPECT_EQ(h.string("events.5.action"), "applied");
  EXPECT_TRUE(h.has("events.0.runner.host")) << history.out;
  EXPECT_TRUE(h.integer("events.0.runner.pid").value_or(0) > 0) << history.out;
}

// ---- validate and status warnings ------------------------------------------

TEST_F(CliCommandsTest, ValidateFindsModifiedAndMissingFilesAndStatusWarns) {
  write_migration("001-a.json", kA);
  std::string b_path = write_migration("002-b.json", kB);
  ASSERT_EQ(cli({"up"}).exit_code, 0);

  ProcessResult clean = cli({"validate"});
  EXPECT_EQ(clean.exit_code, 0) << describe(clean);

  // Edit an applied file.
  write_migration("001-a.json", std::string(kA) + "\n");
  ProcessResult modified = cli({"validate"});
  EXPECT_EQ(modified.exit_code, 1) << describe(modified);
  EXPECT_TRUE(has_line(modified.out + modified.err, {"001-a.json", "modified"}) ||
              has_line(modified.out + modified.err, {"001-a.json", "changed"}))
      << describe(modified);
  Json mj(cli({"validate", "--json"}).out);
  ASSERT_TRUE(mj.valid()) << mj.error();
  EXPECT_EQ(mj.boolean("valid"), false);
  EXPECT_EQ(mj.string("issues.modified.0"), "001-a.json");

  // Delete an applied file.
  std::filesystem::remove(b_path);
  ProcessResult missing = cli({"validate"});
  EXPECT_EQ(missing.exit_code, 1) << describe(missing);
  EXPECT_TRUE(has_line(missing.out + missing.err, {"002-b.json", "missing"})) << describe(missing);
  Json xj(cli({"validate", "--json"}).out);
  ASSERT_TRUE(xj.valid()) << xj.error();
  EXPECT_EQ(xj.string("issues.missing.0"), "002-b.json");
  EXPECT_EQ(xj.string("issues.modified.0"), "001-a.json");

  ProcessResult status = cli({"status"});
  EXPECT_EQ(status.exit_code, 0) << describe(status);
  EXPECT_TRUE(has_line(status.out + status.err, {"warning", "001-a.json", "modified"})) << describe(status);
  EXPECT_TRUE(has_line(status.out + status.err, {"warning", "002-b.json", "missing"})) << describe(status);
  EXPECT_TRUE(contains(status.out, "2 total")) << "the missing one is still listed: " << status.out;
}

// ---- history ---------------------------------------------------------------

TEST_F(CliCommandsTest, HistoryLimitReturnsTheNewestEventsFirst) {
  write_migration("001-a.json", kA);
  write_migration("002-b.json", kB);
  write_migration("003-c.json", kC);
  ASSERT_EQ(cli({"run", "001-a.json"}).exit_code, 0);
  ASSERT_EQ(cli({"run", "002-b.json"}).exit_code, 0);
  ASSERT_EQ(cli({"run", "003-c.json"}).exit_code, 0);

  ProcessResult json = cli({"history", "--limit", "2", "--json"});
  ASSERT_EQ(json.exit_code, 0) << describe(json);
  Json h(json.out);
  ASSERT_TRUE(h.valid()) << h.error() << "\n" << json.out;
  EXPECT_EQ(h.length("events"), 2);
  EXPECT_EQ(h.string("events.0.name"), "003-c.json");
  EXPECT_EQ(h.string("events.1.name"), "002-b.json");

  ProcessResult human = cli({"history", "--limit", "2"});
  ASSERT_EQ(human.exit_code, 0) << describe(human);
  EXPECT_TRUE(contains(human.out, "003-c.json")) << human.out;
  EXPECT_TRUE(contains(human.out, "002-b.json")) << human.out;
  EXPECT_FALSE(contains(human.out, "001-a.json")) << human.out;
  EXPECT_LT(human.out.find("003-c.json"), human.out.find("002-b.json")) << human.out;

  ProcessResult all = cli({"history"});
  ASSERT_EQ(all.exit_code, 0) << describe(all);
  EXPECT_TRUE(contains(all.out, "001-a.json")) << all.out;

  ProcessResult zero = cli({"history", "--limit", "0"});
  EXPECT_EQ(zero.exit_code, 2) << describe(zero);
  EXPECT_TRUE(contains(zero.err, "limit")) << describe(zero);
}

// ---- global options --------------------------------------------------------

TEST_F(CliCommandsTest, OptionsWorkBeforeAndAfterTheCommand) {
  write_migration("001-a.json", kA);
  ProcessResult before = cli({"--uri", uri(), "--dir", dir(), "status"}, {}, false);
  ASSERT_EQ(before.exit_code, 0) << describe(before);
  ProcessResult after = cli({"status", "--uri", uri(), "--dir", dir()}, {}, false);
  ASSERT_EQ(after.exit_code, 0) << describe(after);
  ProcessResult mixed = cli({"--dir", dir(), "status", "--uri", uri()}, {}, false);
  ASSERT_EQ(mixed.exit_code, 0) << describe(mixed);
  EXPECT_TRUE(contains(before.out, "1 total")) << before.out;
  EXPECT_EQ(before.out, after.out);
  EXPECT_EQ(before.out, mixed.out);

  ProcessResult up = cli({"--by", "early", "--uri", uri(), "up", "--dir", dir()}, {}, false);
  ASSERT_EQ(up.exit_code, 0) << describe(up);
  EXPECT_EQ(probe().string_field("migrationlogs", R"({"name": "001-a.json"})", "appliedBy"), "early");
}

TEST_F(CliCommandsTest, MongodbUriEnvironmentIsUsedWhenUriIsAbsent) {
  write_migration("001-a.json", kA);
  ProcessOptions options;
  options.env["MONGODB_URI"] = uri();
  ProcessResult up = cli({"up", "--dir", dir()}, options, false);
  ASSERT_EQ(up.exit_code, 0) << describe(up);
  EXPECT_EQ(log_status("001-a.json"), "applied");
  EXPECT_EQ(things("a"), 1);
}

TEST_F(CliCommandsTest, UriFlagBeatsMongodbUriEnvironment) {
  write_migration("001-a.json", kA);
  std::string other = unique_database_name();
  ProcessOptions options;
  options.env["MONGODB_URI"] = server().uri(other);
  ProcessResult up = cli({"up", "--dir", dir(), "--uri", uri()}, options, false);
  ASSERT_EQ(up.exit_code, 0) << describe(up);
  EXPECT_EQ(log_status("001-a.json"), "applied") << "written where --uri points";
  DbProbe other_probe(server().uri(other), other);
  EXPECT_TRUE(other_probe.collections().empty()) << "nothing written where MONGODB_URI points";

  // And an unreachable MONGODB_URI does not matter when --uri is given.
  ProcessOptions unreachable;
  unreachable.env["MONGODB_URI"] = "mongodb://127.0.0.1:" + std::to_string(free_loopback_port()) +
                                   "/x?serverSelectionTimeoutMS=1500&connectTimeoutMS=1000";
  ProcessResult status = cli({"status", "--dir", dir(), "--uri", uri()}, unreachable, false);
  EXPECT_EQ(status.exit_code, 0) << describe(status);
}

TEST_F(CliCommandsTest, DbFlagBeatsTheUriPath) {
  write_migration("001-a.json", kA);
  std::string other = unique_database_name();
  ProcessResult up = cli({"up", "--db", other});
  ASSERT_EQ(up.exit_code, 0) << describe(up);
  DbProbe other_probe(server().uri(other), other);
  EXPECT_EQ(other_probe.count("migrationlogs", R"({"name": "001-a.json", "status": "applied"})"), 1);
  EXPECT_EQ(other_probe.count("things"), 1) << "the migration's commands go to --db too";
  EXPECT_TRUE(probe().collections().empty()) << "nothing written to the URI's database";
  other_probe.command(R"({"dropDatabase": 1})");
}

TEST_F(CliCommandsTest, CustomCollectionHoldsTheLogAndEvents) {
  write_migration("001-a.json", kA);
  ProcessResult up = cli({"up", "--collection", "custom"});
  ASSERT_EQ(up.exit_code, 0) << describe(up);
  EXPECT_EQ(probe().count("custom", R"({"name": "001-a.json", "status": "applied"})"), 1);
  EXPECT_EQ(probe().count("custom_events", R"({"name": "001-a.json", "action": "applied"})"), 1);
  EXPECT_FALSE(probe().has_collection("migrationlogs"));
  EXPECT_FALSE(probe().has_collection("migrationlogs_events"));

  ProcessResult custom = cli({"status", "--json", "--collection", "custom"});
  Json c(custom.out);
  ASSERT_TRUE(c.valid()) << describe(custom);
  EXPECT_EQ(c.integer("summary.applied"), 1);
  ProcessResult default_log = cli({"status", "--json"});
  Json d(default_log.out);
  ASSERT_TRUE(d.valid()) << describe(default_log);
  EXPECT_EQ(d.integer("summary.pending"), 1) << "the default log knows nothing of it";

  ProcessResult history = cli({"history", "--json", "--collection", "custom"});
  Json h(history.out);
  ASSERT_TRUE(h.valid()) << describe(history);
  EXPECT_EQ(h.length("events"), 1);
}

// ---- compatibility with the seed's schema ----------------------------------

TEST_F(CliCommandsTest, ReadsALogWrittenInTheSeedSchema) {
  const std::string a = R"({"up": [{"insert": "marker", "documents": [{"_id": "a-ran"}]}]})";
  write_migration("001-a.json", a);
  write_migration("002-b.json", kB);
  probe().insert("migrationlogs", R"({"name": "001-a.json", "version": "001", "status": "applied",
      "appliedAt": {"$date": "2024-01-15T10:00:00Z"}, "duration": 12,
      "checksum": ")" + source::sha256_hex(a) + R"(", "appliedBy": "admin", "__v": 0})");
  probe().command(R"({"createIndexes": "migrationlogs",
      "indexes": [{"key": {"name": 1}, "name": "name_1", "unique": true, "background": true}]})");

  ProcessResult status = cli({"status"});
  ASSERT_EQ(status.exit_code, 0) << describe(status);
  std::string line = line_with(status.out, "001-a.json");
  EXPECT_TRUE(contains(line, "applied")) << status.out;
  EXPECT_TRUE(contains(line, "admin")) << status.out;
  EXPECT_TRUE(contains(line, "2024-01-15")) << status.out;
  EXPECT_FALSE(contains(line, "modified")) << status.out;

  ProcessResult json = cli({"status", "--json"});
  Json s(json.out);
  ASSERT_TRUE(s.valid()) << describe(json);
  EXPECT_EQ(s.string("migrations.0.status"), "applied");
  EXPECT_EQ(s.integer("migrations.0.durationMs"), 12);
  EXPECT_TRUE(s.string("migrations.0.appliedAt").value_or("").starts_with("2024-01-15T10:00:00")) << json.out;
  EXPECT_EQ(s.integer("summary.applied"), 1);
  EXPECT_EQ(s.integer("summary.pending"), 1);

  ProcessResult validate = cli({"validate"});
  EXPECT_EQ(validate.exit_code, 0) << "the seed's checksum format matches: " << describe(validate);

  ProcessResult up = cli({"up"});
  ASSERT_EQ(up.exit_code, 0) << "the existing name_1 index is accepted: " << describe(up);
  EXPECT_EQ(probe().count("marker"), 0) << "the seed-applied migration is not run again";
  EXPECT_EQ(things("b"), 1);
  EXPECT_EQ(log_status("002-b.json"), "applied");
  EXPECT_EQ(probe().count("migrationlogs", R"({"name": "001-a.json", "appliedBy": "admin", "__v": 0})"), 1)
      << "the seed's record is left as it was";
  std::vector<std::string> indexes = probe().index_names("migrationlogs");
  EXPECT_EQ(std::count(indexes.begin(), indexes.end(), "name_1"), 1);
  EXPECT_EQ(indexes.size(), 2u) << "no second index on name";
}

// ---- help, version, usage errors -------------------------------------------

bool lists_command(const std::string& help, const std::string& command) {
  for (const std::string& line : lines_of(help)) {
    std::size_t start = line.find_first_not_of(' ');
    if (start == std::string::npos || start == 0) continue;
    std::string rest = line.substr(start);
    if (rest == command || rest.starts_with(command + " ")) return true;
  }
  return false;
}

void expect_lists_every_command(const ProcessResult& help, const std::string& how) {
  EXPECT_EQ(help.exit_code, 0) << how << ": " << describe(help);
  for (const char* command : {"up", "run", "down", "status", "validate", "history", "help"}) {
    EXPECT_TRUE(lists_command(help.out, command)) << how << " lists " << command << ": " << help.out;
  }
}

TEST_F(CliCommandsTest, HelpCommandListsTheCommands) {
  expect_lists_every_command(cli({"help"}, {}, false), "help");
  expect_lists_every_command(cli({"help"}), "help --uri .. --dir ..");
}

TEST_F(CliCommandsTest, HelpWithACommandShowsThatCommandsHelp) {
  // `help up` was "The following argument was not expected: up", exit 2.
  ProcessResult flag = cli({"up", "--help"}, {}, false);
  ASSERT_EQ(flag.exit_code, 0) << describe(flag);
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"help", "up"}, {"up", "help"}, {"help", "up", "--dir", "x"}, {"--dir", "x", "up", "help"}}) {
    ProcessResult r = cli(args, {}, false);
    SCOPED_TRACE(args[0] + " " + args[1]);
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_EQ(r.out, flag.out);
    EXPECT_EQ(r.err, "");
  }
  ProcessResult config = cli({"help", "config"}, {}, false);
  EXPECT_EQ(config.exit_code, 0) << describe(config);
  EXPECT_TRUE(contains(config.out, "mongo-migrate config")) << describe(config);
  expect_lists_every_command(cli({"help", "help"}, {}, false), "help help");

  ProcessResult unknown = cli({"help", "upp"}, {}, false);
  EXPECT_EQ(unknown.exit_code, 2) << describe(unknown);
  EXPECT_EQ(unknown.out, "");
  EXPECT_TRUE(contains(unknown.err, "there is no command \"upp\" (the commands: up, run,")) << describe(unknown);
  ProcessResult two = cli({"help", "up", "down"}, {}, false);
  EXPECT_EQ(two.exit_code, 2) << describe(two);
  EXPECT_TRUE(contains(two.err, "one command")) << describe(two);
}

TEST_F(CliCommandsTest, HelpFlagListsTheCommands) {
  expect_lists_every_command(cli({"--help"}, {}, false), "--help");
}

TEST_F(CliCommandsTest, VersionAndUsageErrors) {
  ProcessResult up_help = cli({"up", "--help"}, {}, false);
  EXPECT_EQ(up_help.exit_code, 0) << describe(up_help);
  EXPECT_TRUE(contains(up_help.out, "--dry-run")) << up_help.out;

  // The semantic version and the commit built from (none outside git); the
  // same text wherever the flag stands.
  const std::string commit = mongomigrate::build_commit();
  ProcessResult version = cli({"--version"}, {}, false);
  EXPECT_EQ(version.exit_code, 0) << describe(version);
  EXPECT_EQ(version.out, std::string("mongo-migrate ") + mongomigrate::version() +
                             (commit.empty() ? "" : " (commit " + commit + ")") + "\n")
      << describe(version);
  EXPECT_EQ(version.err, "");
  ProcessResult version_late = cli({"--dir", dir(), "--version"}, {}, false);
  EXPECT_EQ(version_late.exit_code, 0) << describe(version_late);
  EXPECT_EQ(version_late.out, version.out);

  EXPECT_TRUE(probe().collections().empty());
}

// --version and help do not initialise the driver (mongoc_init runs only when
// a command connects): the dynamic loader's trace shows the SASL plugins that
// mongoc_init loads for `status`, and nothing loaded at run time for these.
TEST_F(CliCommandsTest, VersionAndHelpDoNotInitialiseTheDriver) {
  ProcessOptions traced;
  traced.env["LD_DEBUG"] = "files";
  for (std::vector<std::string> args : {std::vector<std::string>{"--version"}, {"help"}, {"--help"}}) {
    ProcessResult r = cli(args, traced, false);
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_FALSE(contains(r.err, "dynamically loaded")) << args[0] << ": " << r.err;
    EXPECT_FALSE(contains(r.err, "sasl2/")) << args[0] << ": " << r.err;
  }
  bool plugins = std::filesystem::exists("/usr/lib/x86_64-linux-gnu/sasl2/libplain.so");
  if (!plugins) GTEST_SKIP() << "no SASL plugins installed: the trace of `status` would show nothing either way";
  ProcessResult status = cli({"status"}, traced);
  EXPECT_EQ(status.exit_code, 0) << describe(status);
  EXPECT_TRUE(contains(status.err, "sasl2/") && contains(status.err, "dynamically loaded"))
      << "the trace works: " << status.err;
}

TEST_F(CliCommandsTest, UsageErrors) {
  ProcessResult unknown = cli({"frobnicate"});
  EXPECT_EQ(unknown.exit_code, 2) << describe(unknown);
  EXPECT_FALSE(unknown.err.empty()) << describe(unknown);

  ProcessResult unknown_option = cli({"status", "--frobnicate"});
  EXPECT_EQ(unknown_option.exit_code, 2) << describe(unknown_option);
  EXPECT_TRUE(contains(unknown_option.err, "frobnicate")) << describe(unknown_option);

  ProcessResult no_command = cli({});
  EXPECT_EQ(no_command.exit_code, 2) << describe(no_command);

  EXPECT_TRUE(probe().collections().empty());
}

// A killed process leaves libmongoc's /dev/shm/mongoc-<pid> behind; the next
// process with that pid must not print libmongoc's warning about it (the
// driver is initialised after our log handler is set, which keeps it quiet).
TEST_F(CliCommandsTest, AStaleCounterFileForOurPidPrintsNothing) {
  if (!std::filesystem::is_directory("/dev/shm")) GTEST_SKIP() << "needs /dev/shm";
  // The shell creates the file for its own pid, prints the pid, and becomes
  // mongo-migrate with that pid, running a command that connects.
  ProcessResult r = run_process({"/bin/sh", "-c",
                                 R"(: > /dev/shm/mongoc-$$ && echo $$ && exec "$0" --uri "$1" --dir "$2" status)",
                                 cli_binary(), uri(), dir()});
  std::istringstream out(r.out);
  std::string pid;
  std::getline(out, pid);
  ASSERT_FALSE(pid.empty()) << describe(r);
  std::filesystem::remove("/dev/shm/mongoc-" + pid);
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_EQ(r.err, "") << describe(r);
}

// ---- interrupted (running) records -----------------------------------------

TEST_F(CliCommandsTest, ARecordLeftRunningIsInterruptedBlocksUpAndRunRecoversIt) {
  write_migration("001-a.json", kA);
  write_migration("002-b.json", kB);
  probe().insert("migrationlogs", R"({"name": "001-a.json", "status": "running"})");

  ProcessResult status = cli({"status"});
  ASSERT_EQ(status.exit_code, 0) << describe(status);
  EXPECT_TRUE(contains(line_with(status.out, "001-a.json"), "interrupted")) << status.out;
  Json sj(cli({"status", "--json"}).out);
  ASSERT_TRUE(sj.valid());
  EXPECT_EQ(sj.integer("summary.interrupted"), 1);
  EXPECT_EQ(sj.string("migrations.0.status"), "interrupted");

  ProcessResult validate = cli({"validate"});
  EXPECT_EQ(validate.exit_code, 1) << describe(validate);
  EXPECT_TRUE(contains(validate.out + validate.err, "001-a.json")) << describe(validate);

  std::vector<std::string> before = snapshot();
  ProcessResult up = cli({"up"});
  EXPECT_EQ(up.exit_code, 1) << describe(up);
  EXPECT_TRUE(contains(up.err, "001-a.json")) << describe(up);
  EXPECT_TRUE(contains(up.err, "run")) << describe(up);
  EXPECT_EQ(things("a"), 0);
  EXPECT_EQ(things("b"), 0) << "up does not pass the interrupted one";
  EXPECT_EQ(snapshot(), before);

  ProcessResult run = cli({"run", "001-a.json"});
  ASSERT_EQ(run.exit_code, 0) << describe(run);
  EXPECT_EQ(log_status("001-a.json"), "applied");
  EXPECT_EQ(log_count("001-a.json"), 1);
  EXPECT_EQ(things("a"), 1);

  ProcessResult up2 = cli({"up"});
  EXPECT_EQ(up2.exit_code, 0) << describe(up2);
  EXPECT_EQ(things("b"), 1);
  EXPECT_EQ(cli({"validate"}).exit_code, 0);
}

}  // namespace
}  // namespace mongomigrate::testing
