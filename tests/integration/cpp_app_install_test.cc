// The installed package, used the way a team uses it. `cmake --install`
// puts this build into a fresh prefix (once per test binary); then
//
//  - a copy of examples/cpp-app is configured as a separate CMake project
//    against that prefix alone (find_package(mongomigrate CONFIG) +
//    mongomigrate_add_migrator), built with Ninja, and its `app-migrate` is
//    run against the test server: every migration's checksum is the SHA-256
//    of its source file as built (computed here with OpenSSL, not the
//    product's code), `up` changes seeded data as the four examples say, and
//    after a migration file is edited, Ninja alone (no configure by hand)
//    rebuilds it with the new file's checksum, so `validate` reports it
//    modified and exits 1 (DESIGN.md §4);
//  - a small program is compiled and linked with nothing but the flags of
//    `pkg-config --cflags --libs mongomigrate` from the prefix, and runs a
//    migration through the library against the test server.
//
// In a sanitized build (MONGOMIGRATE_SANITIZE=ON) the installed static
// libraries are instrumented; the installed CMake targets and pkg-config file
// carry the sanitizer link flags themselves, so these consumers pass none.
// Every test builds in temporary directories of its own and uses a database
// of its own, so the binary can run alongside the other integration tests.
#include <bson/bson.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>

#include <fmt/format.h>

#include "mongomigrate/value.h"
#include "support/file_checks.h"
#include "support/integration.h"

namespace mongomigrate::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// ---- helpers ----


std::vector<std::string> split_on_whitespace(const std::string& text) {
  std::vector<std::string> words;
  std::istringstream in(text);
  for (std::string word; in >> word;) words.push_back(word);
  return words;
}

// The absolute path of `program` on $PATH, or "" (run_process does not search PATH).
std::string find_on_path(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    if (dir.empty()) continue;
    fs::path candidate = fs::path(dir) / program;
    if (access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  return "";
}

// Configuring and compiling is slow next to a migration, above all with
// sanitizers and other tests running alongside.
ProcessOptions build_step() { return {.timeout = std::chrono::minutes(5)}; }

const std::string kCmake = MONGOMIGRATE_CMAKE_COMMAND;
const std::string kCxx = MONGOMIGRATE_CXX_COMPILER;
const std::string kExampleApp = std::string(MONGOMIGRATE_SOURCE_DIR) + "/examples/cpp-app";

const char* kPreferences = "001-add-user-preferences.cc";
const char* kPhones = "002-normalize-phone-numbers.cc";
const char* kCasesIndex = "003-add-cases-firm-status-index.cc";
const char* kAddresses = "004-invoice-address-to-object.cc";
const std::vector<std::string> kMigrations = {kPreferences, kPhones, kCasesIndex, kAddresses};

// This build installed into a temporary prefix: once per test binary, on
// first use. A failed install fails every test that needs it.
class InstalledPackage {
 public:
  static InstalledPackage& shared() {
    static InstalledPackage package;
    return package;
  }

  const std::string& prefix() const { return prefix_; }
  std::string libdir() const { return prefix_ + "/" + MONGOMIGRATE_INSTALL_LIBDIR; }
  // Empty when the install worked, else what went wrong.
  const std::string& failure() const { return failure_; }

 private:
  InstalledPackage() : prefix_(root_.path() + "/prefix") {
    ProcessResult install =
        run_process({kCmake, "--install", MONGOMIGRATE_BINARY_DIR, "--prefix", prefix_}, build_step());
    if (install.exit_code != 0) {
      failure_ = "cmake --install failed: " + describe(install);
      return;
    }
    for (const std::string& file : {prefix_ + "/include/mongomigrate/migrator.h",
                                    libdir() + "/cmake/mongomigrate/mongomigrateConfig.cmake",
                                    libdir() + "/pkgconfig/mongomigrate.pc"}) {
      if (!fs::exists(file)) failure_ += "not installed: " + file + "\n";
    }
  }

  TempDir root_;
  std::string prefix_;
  std::string failure_;
};

class CppAppInstallTest : public IntegrationTest {
 protected:
  void SetUp() override {
    IntegrationTest::SetUp();
    ASSERT_EQ(package().failure(), "");
  }

  InstalledPackage& package() { return InstalledPackage::shared(); }

  // Copies examples/cpp-app into this test's directory, configures it
  // against the installed package only and builds it. Returns false (with a
  // failure recorded) if any step fails.
  bool build_example_app() {
    fs::copy(kExampleApp, app_dir(), fs::copy_options::recursive);
    ProcessResult configure = run_process({kCmake, "-S", app_dir(), "-B", app_build_dir(), "-G", "Ninja",
                                           "-DCMAKE_PREFIX_PATH=" + package().prefix(),
                                           "-DCMAKE_CXX_COMPILER=" + kCxx,
                                           "-DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF"},
                                          build_step());
    EXPECT_EQ(configure.exit_code, 0) << describe(configure);
    if (configure.exit_code != 0) return false;
    // The package found is the installed one, not this build tree.
    std::string cache = read_file(app_build_dir() + "/CMakeCache.txt");
    std::string expected_dir = package().libdir() + "/cmake/mongomigrate";
    EXPECT_TRUE(contains(cache, "mongomigrate_DIR:PATH=" + expected_dir + "\n")) << "expected " << expected_dir;
    return rebuild_example_app();
  }

  // Builds the app's build directory (again): `cmake --build` runs Ninja,
  // nothing is configured by hand, as when a developer edits a migration.
  bool rebuild_example_app() {
    ProcessResult build = run_process({kCmake, "--build", app_build_dir(), "--parallel", "2"}, build_step());
    EXPECT_EQ(build.exit_code, 0) << describe(build);
    return build.exit_code == 0;
  }

  std::string app_dir() const { return work_.path() + "/cpp-app"; }
  std::string app_build_dir() const { return work_.path() + "/cpp-app-build"; }
  std::string app_migration(const std::string& name) const { return app_dir() + "/migrations/" + name; }

  ProcessResult app_migrate(std::vector<std::string> args) {
    return run_binary(app_build_dir() + "/app-migrate", std::move(args));
  }

  // Every document of `collection`, in _id order, equals `expected`
  // (Extended JSON, compared as typed values).
  void expect_documents(const std::string& collection, const std::vector<std::string>& expected) {
    std::vector<std::string> found = probe().find(collection);
    ASSERT_EQ(found.size(), expected.size()) << collection;
    for (std::size_t i = 0; i < found.size(); ++i) {
      EXPECT_TRUE(json(found[i]) == json(expected[i]))
          << collection << " #" << i << ": found " << found[i] << ", expected " << expected[i];
    }
  }

  TempDir work_;
};

// ---- the example app, built against the installed CMake package ----

TEST_F(CppAppInstallTest, ExampleAppReportsEachSourceFilesChecksumAndAppliesTheExamples) {
  ASSERT_TRUE(build_example_app());

  probe().insert("users", R"({"_id": 1, "name": "Ann"})");
  probe().insert("users", R"({"_id": 2, "name": "Bo", "preferences": {"theme": "dark"}})");
  probe().insert("clients", R"({"_id": 1, "phoneNumber": "055 123-4567"})");
  probe().insert("clients", R"({"_id": 2, "phoneNumber": "0559876543"})");
  probe().insert("invoices", R"({"_id": 1, "address": "King Fahd Road 12"})");
  probe().insert("cases", R"({"_id": 1, "firmId": 7, "status": "open"})");

  ProcessResult pending = app_migrate({"status", "--json"});
  ASSERT_EQ(pending.exit_code, 0) << describe(pending);
  Document before = parse_document(pending.out);
  EXPECT_EQ(before.integer("summary.total"), 4);
  EXPECT_EQ(before.integer("summary.pending"), 4);
  for (std::size_t i = 0; i < kMigrations.size(); ++i) {
    std::string at = fmt::format("migrations.{}.", i);
    EXPECT_EQ(before.string(at + "name"), kMigrations[i]);
    EXPECT_EQ(before.string(at + "status"), "pending") << kMigrations[i];
    EXPECT_EQ(before.string(at + "checksum"), sha256_file(app_migration(kMigrations[i]))) << kMigrations[i];
  }

  ProcessResult up = app_migrate({"up"});
  ASSERT_EQ(up.exit_code, 0) << describe(up);

  expect_documents("users", {R"({"_id": 1, "name": "Ann", "preferences": {"theme": "light", "language": "en"}})",
                             R"({"_id": 2, "name": "Bo", "preferences": {"theme": "dark"}})"});
  expect_documents("clients", {R"({"_id": 1, "phoneNumber": "0551234567"})",
                               R"({"_id": 2, "phoneNumber": "0559876543"})"});
  expect_documents("invoices", {R"({"_id": 1, "address": {"street": "King Fahd Road 12", "city": "",
                                                           "country": "Saudi Arabia"}})"});
  std::vector<std::string> indexes = probe().index_names("cases");
  EXPECT_NE(std::find(indexes.begin(), indexes.end(), "idx_firm_status_created"), indexes.end());

  ProcessResult applied = app_migrate({"status", "--json"});
  ASSERT_EQ(applied.exit_code, 0) << describe(applied);
  Document after = parse_document(applied.out);
  EXPECT_EQ(after.integer("summary.applied"), 4);
  for (std::size_t i = 0; i < kMigrations.size(); ++i) {
    std::string at = fmt::format("migrations.{}.", i);
    std::string expected = sha256_file(app_migration(kMigrations[i]));
    EXPECT_EQ(after.string(at + "status"), "applied") << kMigrations[i];
    EXPECT_EQ(after.string(at + "recordedChecksum"), expected) << kMigrations[i];
  }
  ProcessResult validate = app_migrate({"validate"});
  EXPECT_EQ(validate.exit_code, 0) << describe(validate);
}

TEST_F(CppAppInstallTest, EditingAMigrationAndRebuildingWithNinjaChangesItsChecksum) {
  ASSERT_TRUE(build_example_app());
  ProcessResult up = app_migrate({"up"});
  ASSERT_EQ(up.exit_code, 0) << describe(up);
  std::string original = sha256_file(app_migration(kPhones));

  {
    std::ofstream edit(app_migration(kPhones), std::ios::app);
    edit << "// Edited after it was applied.\n";
  }
  std::string edited = sha256_file(app_migration(kPhones));
  ASSERT_NE(edited, original);
  ASSERT_TRUE(rebuild_example_app());

  ProcessResult status = app_migrate({"status", "--json"});
  ASSERT_EQ(status.exit_code, 0) << describe(status);
  Document report = parse_document(status.out);
  EXPECT_EQ(report.string("migrations.1.name"), kPhones);
  EXPECT_EQ(report.string("migrations.1.checksum"), edited) << "the rebuilt migrator has the edited file's checksum";
  EXPECT_EQ(report.string("migrations.1.recordedChecksum"), original);
  EXPECT_EQ(report.boolean("migrations.1.modified"), true);
  for (std::size_t i : {0u, 2u, 3u}) {
    std::string at = fmt::format("migrations.{}.", i);
    EXPECT_EQ(report.string(at + "checksum"), sha256_file(app_migration(kMigrations[i]))) << kMigrations[i];
    EXPECT_EQ(report.boolean(at + "modified"), false) << kMigrations[i];
  }

  ProcessResult validate = app_migrate({"validate"});
  EXPECT_EQ(validate.exit_code, 1) << describe(validate);
  EXPECT_TRUE(contains(validate.out, kPhones)) << describe(validate);
  ProcessResult validate_json = app_migrate({"validate", "--json"});
  EXPECT_EQ(validate_json.exit_code, 1) << describe(validate_json);
  Document issues = parse_document(validate_json.out);
  EXPECT_EQ(issues.boolean("valid"), false);
  EXPECT_EQ(issues.string("issues.modified.0"), kPhones);
  EXPECT_FALSE(issues.has("issues.modified.1")) << validate_json.out;
}

// ---- a program built with the installed pkg-config file ----

// Applies the migrations in a directory through the library and prints the
// library's version and each migration's status and checksum.
const char* kPkgConfigProgram = R"(#include <mongomigrate/migrator.h>

#include <cstdio>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s <uri> <migration directory>\n", argv[0]);
    return 2;
  }
  auto migrator = mongomigrate::Migrator::open({.uri = argv[1], .directory = argv[2]});
  if (!migrator) {
    std::fprintf(stderr, "open: %s\n", migrator.error().message.c_str());
    return 1;
  }
  auto run = migrator->run_pending({.applied_by = "pkg-config"});
  if (!run) {
    std::fprintf(stderr, "up: %s\n", run.error().message.c_str());
    return 1;
  }
  auto status = migrator->status();
  if (!status) {
    std::fprintf(stderr, "status: %s\n", status.error().message.c_str());
    return 1;
  }
  std::printf("mongomigrate %s\n", mongomigrate::version());
  for (const mongomigrate::MigrationState& m : status->migrations) {
    std::printf("%s %s %s\n", m.name.c_str(), mongomigrate::to_string(m.status), m.checksum.c_str());
  }
  return run->ok() ? 0 : 1;
}
)";

TEST_F(CppAppInstallTest, ProgramBuiltWithPkgConfigFlagsRunsAMigration) {
  std::string pkg_config = find_on_path("pkg-config");
  ASSERT_NE(pkg_config, "") << "pkg-config is not installed (not on PATH); scripts/install-deps.sh installs it";
  ProcessOptions with_prefix{.env = {{"PKG_CONFIG_PATH", package().libdir() + "/pkgconfig"}}};

  ProcessResult version = run_process({pkg_config, "--modversion", "mongomigrate"}, with_prefix);
  ASSERT_EQ(version.exit_code, 0) << describe(version);
  EXPECT_EQ(version.out, std::string(MONGOMIGRATE_PROJECT_VERSION) + "\n");
  ProcessResult flags = run_process({pkg_config, "--cflags", "--libs", "mongomigrate"}, with_prefix);
  ASSERT_EQ(flags.exit_code, 0) << describe(flags);
  // The flags point into the prefix (the .pc file finds it relative to itself).
  EXPECT_TRUE(contains(flags.out, "-I" + package().prefix())) << flags.out;
  EXPECT_TRUE(contains(flags.out, "-L" + package().prefix())) << flags.out;

  std::string source = work_.write("program.cc", kPkgConfigProgram);
  std::string program = work_.path() + "/program";
  std::vector<std::string> compile = {kCxx, source, "-o", program};
  for (std::string& flag : split_on_whitespace(flags.out)) compile.push_back(std::move(flag));
  ProcessResult built = run_process(compile, build_step());
  ASSERT_EQ(built.exit_code, 0) << describe(built);

  std::string migration = write_migration("001-add-thing.json", R"({"description": "insert a thing",
    "up": [{"insert": "things", "documents": [{"_id": "a"}]}]})");
  ProcessResult run = run_process({program, uri(), dir()});
  ASSERT_EQ(run.exit_code, 0) << describe(run);
  EXPECT_EQ(run.out, fmt::format("mongomigrate {}\n001-add-thing.json applied {}\n", MONGOMIGRATE_PROJECT_VERSION,
                                 sha256_file(migration)));
  EXPECT_EQ(probe().count("things", R"({"_id": "a"})"), 1);
  EXPECT_EQ(probe().count("migrationlogs", R"({"name": "001-add-thing.json", "status": "applied"})"), 1);
}

}  // namespace
}  // namespace mongomigrate::testing
