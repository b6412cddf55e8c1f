// Bad input that the real binary must refuse before it connects (issue 15,
// items 4, 5, 7, 8, 9, 10): exit 2, one line on stderr, and no secret or raw
// control byte anywhere in the output. No server is needed: every command
// points at a port nothing listens on, so a run that got as far as connecting
// would exit 3 instead (and write nothing either way).
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "support/integration.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace mongomigrate::testing {
namespace {

namespace fs = std::filesystem;

constexpr const char* kUnreachable = "mongodb://127.0.0.1:1/db?serverSelectionTimeoutMS=500&connectTimeoutMS=500";

const char* kGood = R"({"up": [{"insert": "things", "documents": [{"_id": "good"}]}]})";

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

bool one_line(const std::string& text) {
  return !text.empty() && text.back() == '\n' && std::count(text.begin(), text.end(), '\n') == 1;
}

// No byte a terminal would act on or a UTF-8 decoder would replace.
bool plain_ascii(const std::string& text) {
  return std::ranges::all_of(text, [](unsigned char c) { return c == '\n' || (c >= 0x20 && c < 0x7f); });
}

class RefusedBeforeConnectingTest : public ::testing::Test {
 protected:
  const std::string& dir() const { return migrations_.path(); }
  std::string write_migration(const std::string& name, const std::string& content) {
    return migrations_.write(name, content);
  }

  // mongo-migrate `args` with --dir (and --uri, unless `args` has one).
  ProcessResult cli(std::vector<std::string> args, ProcessOptions options = {}) {
    std::vector<std::string> argv = {cli_binary()};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--dir", dir()});
    if (std::ranges::find(args, "--uri") == args.end() && !options.env.contains("MONGODB_URI")) {
      argv.insert(argv.end(), {"--uri", kUnreachable});
    }
    options.env.try_emplace("MONGODB_URI", std::nullopt);
    options.env.try_emplace("NO_COLOR", "1");
    options.timeout = std::chrono::seconds(30);
    return run_process(argv, options);
  }

  // `args` exits 2 with one plain line on stderr that has every word of `words`.
  void expect_refused(const std::vector<std::string>& args, const std::vector<std::string>& words,
                      ProcessOptions options = {}) {
    ProcessResult r = cli(args, options);
    EXPECT_EQ(r.exit_code, 2) << describe(r);
    EXPECT_TRUE(one_line(r.err)) << describe(r);
    EXPECT_TRUE(plain_ascii(r.err)) << describe(r);
    for (const std::string& w : words) EXPECT_TRUE(contains(r.err, w)) << "'" << w << "' in " << describe(r);
  }

 private:
  TempDir migrations_;
};

// ---- item 5: names that are not valid UTF-8 or hold control characters -----

TEST_F(RefusedBeforeConnectingTest, AFileNameThatIsNotUtf8IsRefusedAndShownEscaped) {
  write_migration("001-good.json", kGood);
  write_migration("002-\xff\xfe.json", kGood);
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"up"}, {"up", "--dry-run"}, {"status"}, {"status", "--json"}, {"run", "001-good.json"}}) {
    SCOPED_TRACE(args[0]);
    expect_refused(args, {"002-\\xff\\xfe.json", "UTF-8"});
  }
}

TEST_F(RefusedBeforeConnectingTest, ControlCharactersInAFileNameAreShownEscaped) {
  write_migration("001-\x1b[31mred.json", kGood);
  expect_refused({"up"}, {"001-\\x1b[31mred.json", "control"});
}

TEST_F(RefusedBeforeConnectingTest, ControlCharactersInANameGivenOnTheCommandLineAreShownEscaped) {
  write_migration("001-good.json", kGood);
  expect_refused({"run", "001-\x1b[2J.json"}, {"001-\\x1b[2J.json"});
  expect_refused({"down", "001-\xff.json"}, {"001-\\xff.json"});
  expect_refused({"run", "001-\xe2\x80\xae" "nosj.json"}, {"001-\\u202enosj.json"});
}

}  // namespace
}  // namespace mongomigrate::testing
