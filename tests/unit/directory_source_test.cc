#include "source/directory_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <future>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "source/sha256.h"
#include "support/temp_dir.h"

namespace mongomigrate::source {
namespace {

namespace fs = std::filesystem;
using mongomigrate::testing::TempDir;

constexpr const char* kValid = R"({"up": [{"ping": 1}]})";

std::vector<std::string> names(const core::Catalog& catalog) {
  std::vector<std::string> out;
  for (const core::Migration& m : catalog) out.push_back(m.name);
  return out;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// ---------------------------------------------------------------- check_directory

TEST(CheckDirectory, ExistingDirectoryIsFine) {
  TempDir dir;
  EXPECT_TRUE(check_directory(dir.path()).has_value());
}

TEST(CheckDirectory, MissingDirectory) {
  TempDir dir;
  std::string missing = dir.path() + "/nope";
  auto r = check_directory(missing);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().kind, ErrorKind::kBadInput);
  EXPECT_TRUE(contains(r.error().message, "does not exist")) << r.error().message;
  EXPECT_TRUE(contains(r.error().message, missing)) << r.error().message;
}

// A directory that may exist but cannot be looked at (here a loop of
// links; a parent without search permission is the usual case, which root
// cannot provoke) says why, not that it does not exist.
TEST(CheckDirectory, ADirectoryThatCannotBeExaminedSaysWhy) {
  TempDir dir;
  fs::create_symlink(dir.path() + "/b", dir.path() + "/a");
  fs::create_symlink(dir.path() + "/a", dir.path() + "/b");
  auto r = check_directory(dir.path() + "/a");
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().kind, ErrorKind::kBadInput);
  EXPECT_TRUE(contains(r.error().message, "cannot examine the migration directory")) << r.error().message;
  EXPECT_TRUE(contains(r.error().message, std::make_error_code(std::errc::too_many_symbolic_link_levels).message()))
      << r.error().message;
  EXPECT_FALSE(contains(r.error().message, "does not exist")) << r.error().message;
  // A path through a file is simply not there.
  std::string file = dir.write("001-x.json", kValid);
  auto through = check_directory(file + "/migrations");
  ASSERT_FALSE(through.has_value());
  EXPECT_TRUE(contains(through.error().message, "does not exist")) << through.error().message;
}

TEST(CheckDirectory, FileInsteadOfDirectory) {
  TempDir dir;
  std::string file = dir.write("001-x.json", kValid);
  auto r = check_directory(file);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().kind, ErrorKind::kBadInput);
  EXPECT_TRUE(contains(r.error().message, "not a directory")) << r.error().message;
  EXPECT_TRUE(contains(r.error().message, file)) << r.error().message;
}

// ---------------------------------------------------------------- load_directory

TEST(LoadDirectory, MissingDirectory) {
  TempDir dir;
  std::string missing = dir.path() + "/migrations";
  auto r = load_directory(missing);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().kind, ErrorKind::kBadInput);
  EXPECT_TRUE(contains(r.error().message, "does not exist")) << r.error().message;
  EXPECT_TRUE(contains(r.error().message, missing)) << r.error().message;
}

TEST(LoadDirectory, FileInsteadOfDirectory) {
  TempDir dir;
  std::string file = dir.write("migrations", "not a directory");
  auto r = load_directory(file);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().kind, ErrorKind::kBadInput);
  EXPECT_TRUE(contains(r.error().message, "not a directory")) << r.error().message;
}

TEST(LoadDirectory, EmptyDirectoryIsAnEmptyCatalog) {
  TempDir dir;
  auto r = load_directory(dir.path());
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_TRUE(r->empty());
}

TEST(LoadDirectory, LoadsEachFileWithItsDetails) {
  TempDir dir;
  std::string content = R"({"description": "first", "up": [{"ping": 1}], "down": []})";
  std::string path = dir.write("001-first.json", content);
  auto r = load_directory(dir.path());
  ASSERT_TRUE(r.has_value()) << r.error().message;
  ASSERT_EQ(r->size(), 1u);
  const core::Migration& m = (*r)[0];
  EXPECT_EQ(m.name, "001-first.json");
  EXPECT_EQ(m.version, "001");
  EXPECT_EQ(m.description, "first");
  EXPECT_EQ(m.checksum, sha256_hex(content));
  EXPECT_EQ(fs::path(m.path), fs::path(path));
  EXPECT_EQ(m.up.size(), 1u);
  ASSERT_TRUE(m.down.has_value());
  EXPECT_TRUE(m.down->empty());
}

TEST(LoadDirectory, OnlyJsonFilesDirectlyInsideAreLoaded) {
  TempDir dir;
  dir.write("001-a.json", kValid);
  dir.write("README.md", "# not a migration");
  dir.write("002-b.json.bak", "{ broken");
  dir.write("notes.txt", "{ broken");
  dir.write(".hidden.json", "{ broken");
  dir.write("sub/004-nested.json", kValid);
  dir.write("005-e.json", kValid);
  auto r = load_directory(dir.path());
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(names(*r), (std::vector<std::string>{"001-a.json", "005-e.json"}));
}

TEST(LoadDirectory, SortedByteWiseRegardlessOfCreationOrder) {
  TempDir dir;
  for (const char* name : {"b.json", "010-x.json", "B.json", "9-x.json", "a.json", "001-x.json", "_u.json"}) {
    dir.write(name, kValid);
  }
  auto r = load_directory(dir.path());
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(names(*r), (std::vector<std::string>{"001-x.json", "010-x.json", "9-x.json", "B.json",
                                                 "_u.json", "a.json", "b.json"}));
}

TEST(LoadDirectory, OneInvalidFileFailsTheWholeLoad) {
  TempDir dir;
  dir.write("001-a.json", kValid);
  std::string bad = dir.write("002-bad.json", R"({"up": [{"ping": 1}], "extra": 1})");
  dir.write("003-c.json", kValid);
  auto r = load_directory(dir.path());
  ASSERT_FALSE(r.has_value()) << "loaded " << r->size() << " migrations";
  EXPECT_EQ(r.error().kind, ErrorKind::kBadInput);
  EXPECT_TRUE(contains(r.error().message, "002-bad.json")) << r.error().message;
  EXPECT_TRUE(contains(r.error().message, bad)) << r.error().message;
  EXPECT_FALSE(contains(r.error().message, "001-a.json")) << r.error().message;
  EXPECT_FALSE(contains(r.error().message, "003-c.json")) << r.error().message;
}

TEST(LoadDirectory, SyntaxErrorNamesTheFile) {
  TempDir dir;
  dir.write("001-a.json", kValid);
  dir.write("002-broken.json", "{\n  \"up\": [\n");
  auto r = load_directory(dir.path());
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().kind, ErrorKind::kBadInput);
  EXPECT_TRUE(contains(r.error().message, "002-broken.json")) << r.error().message;
}

TEST(LoadDirectory, EmptyFileNamesTheFile) {
  TempDir dir;
  dir.write("001-empty.json", "");
  auto r = load_directory(dir.path());
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().kind, ErrorKind::kBadInput);
  EXPECT_TRUE(contains(r.error().message, "001-empty.json")) << r.error().message;
}

TEST(LoadDirectory, RejectsUnsafeFileNames) {
  {
    TempDir dir;
    dir.write("a\\b.json", kValid);  // a legal file name on POSIX, not a legal migration name
    auto r = load_directory(dir.path());
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().kind, ErrorKind::kBadInput);
    EXPECT_TRUE(contains(r.error().message, "a\\b.json")) << r.error().message;
  }
  {
    TempDir dir;
    dir.write("a..b.json", kValid);
    auto r = load_directory(dir.path());
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().kind, ErrorKind::kBadInput);
  }
  {
    TempDir dir;
    dir.write("a\nb.json", kValid);
    auto r = load_directory(dir.path());
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().kind, ErrorKind::kBadInput);
  }
}

// ---- entries named like migrations that are not files (issue 15, item 9):
// skipping them let `up` say everything was applied.

// `result` is a kBadInput error on one line that holds each of `words`.
void expect_refused(const Result<core::Catalog>& result, const std::vector<std::string>& words) {
  ASSERT_FALSE(result.has_value()) << "loaded " << result->size() << " migrations";
  EXPECT_EQ(result.error().kind, ErrorKind::kBadInput);
  for (const std::string& w : words) {
    EXPECT_TRUE(contains(result.error().message, w)) << w << ": " << result.error().message;
  }
  EXPECT_EQ(result.error().message.find('\n'), std::string::npos) << "one line";
}

TEST(LoadDirectory, ADirectoryNamedLikeAMigrationIsAnError) {
  TempDir dir;
  dir.write("001-a.json", kValid);
  fs::create_directory(fs::path(dir.path()) / "002-dir.json");
  expect_refused(load_directory(dir.path()), {"002-dir.json", "directory"});
}

TEST(LoadDirectory, ADanglingSymlinkIsAnError) {
  TempDir dir;
  dir.write("001-a.json", kValid);
  fs::create_symlink(fs::path(dir.path()) / "gone.json", fs::path(dir.path()) / "002-link.json");
  expect_refused(load_directory(dir.path()), {"002-link.json", "symbolic link"});
}

TEST(LoadDirectory, AFifoIsAnErrorAndIsNeverOpened) {
  TempDir dir;
  dir.write("001-a.json", kValid);
  std::string fifo = (fs::path(dir.path()) / "002-fifo.json").string();
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  auto loading = std::async(std::launch::async, [&] { return load_directory(dir.path()); });
  if (loading.wait_for(std::chrono::seconds(10)) == std::future_status::timeout) {
    // Opened for reading and waiting for a writer: be that writer, so the test ends.
    int fd = open(fifo.c_str(), O_WRONLY | O_NONBLOCK);
    if (fd >= 0) close(fd);
    FAIL() << "load_directory blocked on the FIFO";
  }
  expect_refused(loading.get(), {"002-fifo.json", "FIFO"});
}

TEST(LoadDirectory, EveryEntryThatIsNotAFileIsNamed) {
  TempDir dir;
  dir.write("001-a.json", kValid);
  fs::create_directory(fs::path(dir.path()) / "002-dir.json");
  fs::create_symlink(fs::path(dir.path()) / "gone.json", fs::path(dir.path()) / "003-link.json");
  ASSERT_EQ(mkfifo((fs::path(dir.path()) / "004-fifo.json").c_str(), 0600), 0);
  expect_refused(load_directory(dir.path()), {"002-dir.json", "003-link.json", "004-fifo.json"});
}

TEST(LoadDirectory, ASymlinkToAFileIsLoaded) {
  TempDir dir, elsewhere;
  std::string target = elsewhere.write("shared.json", kValid);
  fs::create_symlink(target, fs::path(dir.path()) / "001-linked.json");
  auto r = load_directory(dir.path());
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(names(*r), (std::vector<std::string>{"001-linked.json"}));
}

TEST(LoadDirectory, AFileOverTheSizeCapIsRefusedBeforeItIsRead) {
  // Issue 15 item 6: a 200 MB file took 1 GB of memory. A sparse file: its
  // size is all that is looked at.
  TempDir dir;
  dir.write("001-a.json", kValid);
  std::string big = dir.write("002-big.json", kValid);
  fs::resize_file(big, kMaxMigrationFileBytes + 1);
  expect_refused(load_directory(dir.path()), {"002-big.json", std::to_string(kMaxMigrationFileBytes)});
}

TEST(LoadDirectory, AcceptsATrailingSlash) {
  TempDir dir;
  dir.write("001-a.json", kValid);
  auto r = load_directory(dir.path() + "/");
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(names(*r), (std::vector<std::string>{"001-a.json"}));
}

// ---------------------------------------------------------------- scan_directory

TEST(ScanDirectory, KeepsEveryInvalidEntryBesideTheValidMigrations) {
  TempDir dir;
  dir.write("001-a.json", kValid);
  dir.write("002-syntax.json", "{\n  \"up\": [\n");
  dir.write("003-schema.json", R"({"up": [{"ping": 1}], "extra": 1})");
  dir.write("004-\xff.json", kValid);
  fs::create_directory(fs::path(dir.path()) / "005-dir.json");
  ASSERT_EQ(mkfifo((fs::path(dir.path()) / "006-fifo.json").c_str(), 0600), 0);
  dir.write("007-b.json", kValid);
  auto r = scan_directory(dir.path());
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(names(r->migrations), (std::vector<std::string>{"001-a.json", "007-b.json"}));
  ASSERT_EQ(r->invalid.size(), 5u);
  std::vector<std::string> invalid;
  for (const core::InvalidMigration& e : r->invalid) {
    invalid.push_back(e.name);
    EXPECT_EQ(e.error.find('\n'), std::string::npos) << "one line: " << e.error;
    EXPECT_FALSE(contains(e.error, dir.path())) << "the error is without the path: " << e.error;
  }
  EXPECT_EQ(invalid, (std::vector<std::string>{"002-syntax.json", "003-schema.json", "004-\xff.json",
                                               "005-dir.json", "006-fifo.json"}));
  EXPECT_TRUE(contains(r->invalid[0].error, "invalid JSON")) << r->invalid[0].error;
  EXPECT_TRUE(contains(r->invalid[1].error, "unknown key \"extra\"")) << r->invalid[1].error;
  EXPECT_TRUE(contains(r->invalid[2].error, "UTF-8")) << r->invalid[2].error;
  EXPECT_EQ(r->invalid[3].error, "a directory");
  EXPECT_TRUE(r->invalid[3].not_a_file);
  EXPECT_EQ(r->invalid[4].error, "a FIFO");
  EXPECT_FALSE(r->invalid[0].not_a_file);
}

// "003-c.JSON" is meant as a migration: reported, not skipped (up would
// otherwise say everything is applied).
TEST(ScanDirectory, AJsonExtensionInAnotherCaseIsReportedNotSkipped) {
  TempDir dir;
  dir.write("001-a.json", kValid);
  dir.write("003-c.JSON", kValid);
  dir.write("004-d.Json", kValid);
  dir.write("notes.txt", "x");
  auto r = scan_directory(dir.path());
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(names(r->migrations), std::vector<std::string>{"001-a.json"});
  ASSERT_EQ(r->invalid.size(), 2u);
  EXPECT_EQ(r->invalid[0].name, "003-c.JSON");
  EXPECT_EQ(r->invalid[0].error, "migration files end in \".json\", in lower case: rename it 003-c.json");
  EXPECT_EQ(r->invalid[1].name, "004-d.Json");
  EXPECT_FALSE(load_directory(dir.path())) << "a load refuses it like any invalid file";
}

TEST(ScanDirectory, OnlyAProblemWithTheDirectoryItselfIsAnError) {
  TempDir dir;
  auto missing = scan_directory(dir.path() + "/nope");
  ASSERT_FALSE(missing.has_value());
  EXPECT_TRUE(contains(missing.error().message, "does not exist")) << missing.error().message;
  dir.write("001-bad.json", "");
  auto scan = scan_directory(dir.path());
  ASSERT_TRUE(scan.has_value()) << scan.error().message;
  EXPECT_TRUE(scan->migrations.empty());
  EXPECT_EQ(scan->invalid.size(), 1u);
}

}  // namespace
}  // namespace mongomigrate::source
