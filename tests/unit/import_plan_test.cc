// The pure planning of `import` (core/import_plan.h): migrate-mongo's and
// golang-migrate's records in, the migrations to record applied out, and
// every refusal.
#include "core/import_plan.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mongomigrate::core {
namespace {

Migration file(std::string name) {
  Migration m;
  m.name = std::move(name);
  m.checksum = "sum-" + m.name;
  return m;
}

Catalog catalog_of(std::vector<std::string> names) {
  Catalog c;
  for (std::string& n : names) c.push_back(file(std::move(n)));
  return c;
}

MigrateMongoRecord mm(std::string file_name, TimestampMs at = 1700000000000, std::optional<std::int64_t> block = {}) {
  return {.file_name = std::move(file_name), .applied_at = at, .migration_block = block, .defect = ""};
}

GolangMigrateRecord gm(std::int64_t version, bool dirty = false) {
  return {.version = version, .dirty = dirty, .defect = ""};
}

LogRecord logged(std::string name, std::string status) {
  LogRecord r;
  r.name = std::move(name);
  r.status = std::move(status);
  return r;
}

std::vector<std::string> names(const ImportReport& r) {
  std::vector<std::string> out;
  for (const ImportedMigration& m : r.imported) out.push_back(m.name);
  return out;
}

bool mentions(const Error& e, const std::string& text) { return e.message.find(text) != std::string::npos; }

// ---- migrate-mongo ---------------------------------------------------------------

TEST(ImportPlanMigrateMongo, MatchesEachRecordToTheMigrationOfTheSameStemKeepingAppliedAt) {
  Catalog catalog = catalog_of({"20240101120000-add-x.json", "20240102120000-backfill.cc", "20240103120000-new.json"});
  auto plan = plan_migrate_mongo_import(
      catalog, {}, {mm("20240102120000-backfill.js", 2000, 77), mm("20240101120000-add-x.js", 1000)}, "changelog",
      false);
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_EQ(names(plan->report), (std::vector<std::string>{"20240101120000-add-x.json", "20240102120000-backfill.cc"}))
      << "in run order, whatever the changelog's order";
  EXPECT_EQ(plan->report.imported[0].source, "20240101120000-add-x.js");
  EXPECT_EQ(plan->report.imported[0].applied_at, 1000);
  EXPECT_FALSE(plan->report.imported[0].migration_block);
  EXPECT_EQ(plan->report.imported[1].applied_at, 2000);
  EXPECT_EQ(plan->report.imported[1].migration_block, 77);
  ASSERT_EQ(plan->migrations.size(), 2u);
  EXPECT_EQ(plan->migrations[1], &catalog[1]);
  EXPECT_EQ(plan->report.source, ImportSource::kMigrateMongo);
  EXPECT_EQ(plan->report.source_collection, "changelog");
  EXPECT_FALSE(plan->report.version);
}

TEST(ImportPlanMigrateMongo, LeavesMigrationsAlreadyInTheLogAsTheyAre) {
  Catalog catalog = catalog_of({"001-a.json", "002-b.json", "003-c.json"});
  auto plan = plan_migrate_mongo_import(catalog, {logged("001-a.json", "applied"), logged("002-b.json", "reverted")},
                                        {mm("001-a.js"), mm("002-b.js"), mm("003-c.js")}, "changelog", false);
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_EQ(names(plan->report), std::vector<std::string>{"003-c.json"});
  EXPECT_EQ(plan->report.already_recorded, (std::vector<std::string>{"001-a.json"}));
  // Applied by migrate-mongo, reverted here: the two logs disagree.
  ASSERT_EQ(plan->report.disagreements.size(), 1u);
  EXPECT_EQ(plan->report.disagreements[0].name, "002-b.json");
  EXPECT_EQ(plan->report.disagreements[0].status, "reverted");
}

TEST(ImportPlanMigrateMongo, RefusesRecordsWithNoMigrationUnlessAllowed) {
  Catalog catalog = catalog_of({"001-a.json"});
  std::vector<MigrateMongoRecord> records = {mm("001-a.js"), mm("002-gone.js"), mm("003-gone.ts")};
  auto refused = plan_migrate_mongo_import(catalog, {}, records, "changelog", false);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, ErrorKind::kBadInput);
  EXPECT_TRUE(mentions(refused.error(), "002-gone.js")) << refused.error().message;
  EXPECT_TRUE(mentions(refused.error(), "003-gone.ts")) << refused.error().message;
  EXPECT_TRUE(mentions(refused.error(), "--allow-missing")) << refused.error().message;

  auto allowed = plan_migrate_mongo_import(catalog, {}, records, "changelog", true);
  ASSERT_TRUE(allowed) << allowed.error().message;
  EXPECT_EQ(names(allowed->report), std::vector<std::string>{"001-a.json"});
  EXPECT_EQ(allowed->report.missing, (std::vector<std::string>{"002-gone.js", "003-gone.ts"}));
}

TEST(ImportPlanMigrateMongo, RefusesUnreadableRecords) {
  Catalog catalog = catalog_of({"001-a.json"});
  struct Case {
    MigrateMongoRecord record;
    std::string expected;
  };
  std::vector<Case> cases = {
      {{.file_name = "", .applied_at = 1, .migration_block = {}, .defect = "fileName is missing"}, "fileName is missing"},
      {{.file_name = "", .applied_at = 1, .migration_block = {}, .defect = "fileName is not a string"}, "not a string"},
      {mm("../001-a.js"), "../001-a.js"},
      {mm("001-a"), "no file extension"},
      {mm(".js"), ".js"},
      {{.file_name = "001-a.js", .applied_at = std::nullopt, .migration_block = {}, .defect = ""}, "appliedAt"},
      {{.file_name = "001-a.js", .applied_at = 1, .migration_block = {}, .defect = "migrationBlock is not a whole number"},
       "migrationBlock"},
  };
  for (const Case& c : cases) {
    auto plan = plan_migrate_mongo_import(catalog, {}, {mm("001-a.js"), c.record}, "changelog", true);
    ASSERT_FALSE(plan) << c.expected;
    EXPECT_EQ(plan.error().kind, ErrorKind::kBadInput);
    EXPECT_TRUE(mentions(plan.error(), c.expected)) << plan.error().message;
    EXPECT_TRUE(mentions(plan.error(), "cannot be read")) << plan.error().message;
  }
}

TEST(ImportPlanMigrateMongo, RefusesNoRecordsAFileNameTwiceAndAnAmbiguousStem) {
  auto none = plan_migrate_mongo_import(catalog_of({"001-a.json"}), {}, {}, "changelog", false);
  ASSERT_FALSE(none);
  EXPECT_TRUE(mentions(none.error(), "holds no records")) << none.error().message;

  auto twice = plan_migrate_mongo_import(catalog_of({"001-a.json"}), {}, {mm("001-a.js"), mm("001-a.js")},
                                         "changelog", false);
  ASSERT_FALSE(twice);
  EXPECT_TRUE(mentions(twice.error(), "more than once")) << twice.error().message;

  auto ambiguous = plan_migrate_mongo_import(catalog_of({"001-a.cc", "001-a.json"}), {}, {mm("001-a.js")},
                                             "changelog", false);
  ASSERT_FALSE(ambiguous);
  EXPECT_TRUE(mentions(ambiguous.error(), "001-a.cc and 001-a.json")) << ambiguous.error().message;
}

// ---- golang-migrate --------------------------------------------------------------

TEST(ImportPlanGolangMigrate, RecordsEveryMigrationAtOrBelowTheVersion) {
  Catalog catalog = catalog_of({"1_create_users.json", "2_add_index.json", "3_backfill.json", "readme-notes.json"});
  auto plan = plan_golang_migrate_import(catalog, {logged("1_create_users.json", "applied")}, {gm(2)},
                                         "schema_migrations", false);
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_EQ(names(plan->report), std::vector<std::string>{"2_add_index.json"});
  EXPECT_EQ(plan->report.already_recorded, std::vector<std::string>{"1_create_users.json"});
  EXPECT_EQ(plan->report.version, 2);
  EXPECT_EQ(plan->report.imported[0].source, "version 2");
  EXPECT_FALSE(plan->report.imported[0].applied_at) << "golang-migrate records no time";
}

TEST(ImportPlanGolangMigrate, ComparesVersionsAsNumbersNotText) {
  Catalog catalog = catalog_of({"10_ten.json", "2_two.json", "9_nine.json"});  // byte-wise order
  auto plan = plan_golang_migrate_import(catalog, {}, {gm(9)}, "schema_migrations", false);
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_EQ(names(plan->report), (std::vector<std::string>{"2_two.json", "9_nine.json"}));
}

TEST(ImportPlanGolangMigrate, NilVersionRecordsNothing) {
  auto plan = plan_golang_migrate_import(catalog_of({"1_a.json"}), {}, {gm(-1)}, "schema_migrations", false);
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_TRUE(plan->report.imported.empty());
  EXPECT_EQ(plan->report.version, -1);
}

TEST(ImportPlanGolangMigrate, RefusesADirtyStateNamingTheVersion) {
  auto plan = plan_golang_migrate_import(catalog_of({"1_a.json", "2_b.json"}), {}, {gm(2, true)},
                                         "schema_migrations", true);
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error().kind, ErrorKind::kBadInput);
  EXPECT_TRUE(mentions(plan.error(), "dirty at version 2")) << plan.error().message;
}

TEST(ImportPlanGolangMigrate, RefusesAVersionWithNoMigrationUnlessAllowed) {
  Catalog catalog = catalog_of({"1_a.json", "2_b.json"});
  auto refused = plan_golang_migrate_import(catalog, {}, {gm(3)}, "schema_migrations", false);
  ASSERT_FALSE(refused);
  EXPECT_TRUE(mentions(refused.error(), "recorded version 3")) << refused.error().message;
  EXPECT_TRUE(mentions(refused.error(), "3_<name>.json")) << refused.error().message;
  auto allowed = plan_golang_migrate_import(catalog, {}, {gm(3)}, "schema_migrations", true);
  ASSERT_TRUE(allowed) << allowed.error().message;
  EXPECT_EQ(names(allowed->report), (std::vector<std::string>{"1_a.json", "2_b.json"}));
  EXPECT_EQ(allowed->report.missing, std::vector<std::string>{"version 3"});
}

TEST(ImportPlanGolangMigrate, RefusesUnreadableOrAmbiguousStates) {
  Catalog catalog = catalog_of({"1_a.json"});
  auto none = plan_golang_migrate_import(catalog, {}, {}, "schema_migrations", false);
  ASSERT_FALSE(none);
  EXPECT_TRUE(mentions(none.error(), "holds no record")) << none.error().message;
  auto two = plan_golang_migrate_import(catalog, {}, {gm(1), gm(1)}, "schema_migrations", false);
  ASSERT_FALSE(two);
  EXPECT_TRUE(mentions(two.error(), "holds 2 documents")) << two.error().message;
  auto text = plan_golang_migrate_import(
      catalog, {}, {{.version = std::nullopt, .dirty = false, .defect = "version is not an integer"}},
      "schema_migrations", false);
  ASSERT_FALSE(text);
  EXPECT_TRUE(mentions(text.error(), "version is not an integer")) << text.error().message;
  auto negative = plan_golang_migrate_import(catalog, {}, {gm(-5)}, "schema_migrations", false);
  ASSERT_FALSE(negative);
  EXPECT_TRUE(mentions(negative.error(), "version -5")) << negative.error().message;
  auto shared = plan_golang_migrate_import(catalog_of({"01_b.json", "1_a.json"}), {}, {gm(1)},
                                           "schema_migrations", false);
  ASSERT_FALSE(shared);
  EXPECT_TRUE(mentions(shared.error(), "01_b.json and 1_a.json")) << shared.error().message;
}

TEST(ImportPlanGolangMigrate, FindsGolangMigrateFilesAndWhatEachPairBecomes) {
  GolangMigrateFiles files = golang_migrate_files(
      {"2_add_index.down.json", "1_create.up.json", "2_add_index.up.json", "1_create.down.json", "3_x.json",
       "003-ours.json", "_x.up.json", "a_b.up.json", "4_.up.json", "notes.up.json"});
  EXPECT_EQ(files.found, (std::vector<std::string>{"1_create.down.json", "1_create.up.json", "2_add_index.down.json",
                                                   "2_add_index.up.json"}));
  EXPECT_EQ(files.to_write, (std::vector<std::string>{"1_create.json", "2_add_index.json"}));
}

// ---- names and shapes ------------------------------------------------------------

TEST(ImportPlanNames, LeadingNumberAndStem) {
  EXPECT_EQ(leading_number("001-x.json"), 1);
  EXPECT_EQ(leading_number("20240101120000_y.json"), 20240101120000);
  EXPECT_FALSE(leading_number("v1-x.json"));
  EXPECT_FALSE(leading_number("99999999999999999999_x.json")) << "does not fit in 63 bits";
  EXPECT_EQ(file_stem("20240101120000-add-x.js"), "20240101120000-add-x");
  EXPECT_EQ(file_stem("a.b.cjs"), "a.b");
  EXPECT_EQ(file_stem("noext"), "");
  EXPECT_EQ(file_stem(".js"), "");
}

TEST(ImportPlanShapes, TellsAnotherToolsRecordsFromOurs) {
  EXPECT_EQ(foreign_log_source({.name = false, .file_name = true, .applied_at = true}), ImportSource::kMigrateMongo);
  EXPECT_EQ(foreign_log_source({.name = false, .version = true, .dirty = true}), ImportSource::kGolangMigrate);
  EXPECT_FALSE(foreign_log_source({.name = true, .file_name = true, .applied_at = true})) << "ours (has a name)";
  EXPECT_FALSE(foreign_log_source({.name = true, .version = true})) << "ours: records carry a version";
  EXPECT_FALSE(foreign_log_source({.name = false, .file_name = true})) << "neither tool's shape";
  Error e = foreign_log_error(ImportSource::kMigrateMongo, "changelog");
  EXPECT_EQ(e.kind, ErrorKind::kBadInput);
  EXPECT_TRUE(mentions(e, "mongo-migrate import migrate-mongo --changelog changelog")) << e.message;
  Error g = foreign_log_error(ImportSource::kGolangMigrate, "schema_migrations");
  EXPECT_TRUE(mentions(g, "mongo-migrate import golang-migrate --table schema_migrations")) << g.message;
}

}  // namespace
}  // namespace mongomigrate::core
