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
constexpr const char* kSecret = "s3cretPW";

const char* kGood = R"({"up": [{"insert": "things", "documents": [{"_id": "good"}]}]})";

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// Case-insensitive: libmongoc lower-cases host names it quotes.
bool contains_secret(const std::string& text, const std::string& secret = kSecret) {
  auto lower = [](std::string s) {
    std::ranges::transform(s, s.begin(), [](unsigned char c) { return std::tolower(c); });
    return s;
  };
  return contains(lower(text), lower(secret));
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

// The reading commands show such entries as invalid instead (cli_output_test).
TEST_F(RefusedBeforeConnectingTest, AFileNameThatIsNotUtf8IsRefusedAndShownEscaped) {
  write_migration("001-good.json", kGood);
  write_migration("002-\xff\xfe.json", kGood);
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"up"}, {"up", "--dry-run"}, {"up", "--json"}, {"run", "001-good.json"}}) {
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

// ---- item 4: secrets in URIs ------------------------------------------------

// Each rejected URI is given by --uri and by MONGODB_URI, with and without
// --json: nothing printed holds the secret, in any case.
TEST_F(RefusedBeforeConnectingTest, APasswordInAUriTheParserRejectsIsNeverPrinted) {
  write_migration("001-good.json", kGood);
  const std::string pw = kSecret;
  struct Case {
    std::string uri;
    const char* why;
  };
  for (const Case& c : std::vector<Case>{
           {"mongodb://u:" + pw + ":x@127.0.0.1:1/db", "a ':' in the password: libmongoc's error quotes it"},
           {"mongodb://u:" + pw + "@" + pw + "@127.0.0.1:1/db", "an '@' in the password: resolved as a host"},
           {"mongodb://u:abc@" + pw + "@127.0.0.1:1/db", "an '@' in the password, another split"},
           {"mongodb://u:" + pw + "/db", "no host: the whole URI was printed"},
           {"mongodb://u:s3cret%50W:x@127.0.0.1:1/db", "percent-encoded, with a ':'"},
           {"mongodb://u:" + pw + "@127.0.0.1:notaport/db", "a bad port"},
       }) {
    SCOPED_TRACE(c.why);
    for (bool json : {false, true}) {
      for (bool env : {false, true}) {
        std::vector<std::string> args = {"status"};
        if (json) args.push_back("--json");
        ProcessOptions options;
        if (env) {
          options.env["MONGODB_URI"] = c.uri;
        } else {
          args.insert(args.end(), {"--uri", c.uri});
        }
        ProcessResult r = cli(args, options);
        EXPECT_EQ(r.exit_code, 2) << describe(r);
        EXPECT_TRUE(one_line(r.err)) << describe(r);
        EXPECT_TRUE(contains(r.err, "URI")) << describe(r);
        EXPECT_FALSE(contains_secret(r.out + r.err)) << describe(r);
        EXPECT_FALSE(contains_secret(r.out + r.err, "s3cret%50W")) << describe(r);
      }
    }
  }
}

TEST_F(RefusedBeforeConnectingTest, SecretOptionsAreNeverPrinted) {
  write_migration("001-good.json", kGood);
  const std::string pw = kSecret;
  for (const std::string& uri : {
           std::string(kUnreachable) + "&tlsCertificateKeyFilePassword=" + pw,
           std::string(kUnreachable) + "&authMechanism=MONGODB-AWS&authMechanismProperties=AWS_SESSION_TOKEN:" + pw,
           std::string(kUnreachable) + "&password=" + pw,
           std::string(kUnreachable) + "&sslClientCertificateKeyPassword=" + pw + "&tlsCertificateKeyFilePassword=" +
               pw + "x",
       }) {
    SCOPED_TRACE(uri);
    for (bool json : {false, true}) {
      std::vector<std::string> args = {"status", "--uri", uri};
      if (json) args.push_back("--json");
      ProcessResult r = cli(args);
      EXPECT_TRUE(r.exit_code == 2 || r.exit_code == 3) << describe(r);
      EXPECT_FALSE(r.err.empty()) << describe(r);
      EXPECT_FALSE(contains_secret(r.out + r.err)) << describe(r);
    }
  }
}

// ---- item 10: the URI's length ---------------------------------------------

TEST_F(RefusedBeforeConnectingTest, AUriLongerThanTheLimitIsRefusedAtOnce) {
  write_migration("001-good.json", kGood);
  std::string uri = "mongodb://127.0.0.1:1/db?serverSelectionTimeoutMS=500";
  while (uri.size() < 100 * 1024) uri += "&connectTimeoutMS=500";
  auto start = std::chrono::steady_clock::now();
  ProcessResult r = cli({"status", "--uri", uri});
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(r.exit_code, 2) << describe(r);
  EXPECT_TRUE(one_line(r.err)) << describe(r);
  EXPECT_TRUE(contains(r.err, "16384")) << "names the limit: " << describe(r);
  // Not a timing assertion of speed, only that the 20 s parse is not reached.
  EXPECT_LT(took, std::chrono::seconds(10)) << describe(r);

  // Through the environment too.
  ProcessOptions env;
  env.env["MONGODB_URI"] = uri;
  ProcessResult from_env = cli({"status"}, env);
  EXPECT_EQ(from_env.exit_code, 2) << describe(from_env);
}

// ---- item 7: database and collection names the server cannot hold --------

TEST_F(RefusedBeforeConnectingTest, DatabaseNamesTheServerCannotHoldAreRefused) {
  write_migration("001-good.json", kGood);
  for (const std::string& db : {std::string("a/b"), std::string("a b"), std::string("a.b"), std::string("a$b"),
                                std::string(64, 'd')}) {
    SCOPED_TRACE(db);
    for (const char* command : {"up", "status", "unlock"}) expect_refused({command, "--db", db}, {"database"});
  }
  // From the URI's path: the driver refuses these itself.
  expect_refused({"up", "--uri", "mongodb://127.0.0.1:1/a.b"}, {"URI"});
}

TEST_F(RefusedBeforeConnectingTest, CollectionNamesTheServerCannotHoldAreRefused) {
  write_migration("001-good.json", kGood);
  for (const std::string& name : {std::string("system.migrations"), std::string("a$b"), std::string("$cmd"),
                                  std::string(".hidden")}) {
    SCOPED_TRACE(name);
    expect_refused({"up", "--collection", name}, {"collection"});
  }
  // "db." + the name + "_events" is over 255 bytes; the log itself would fit.
  std::string too_long(255 - 3 - 7 + 1, 'c');
  expect_refused({"up", "--collection", too_long}, {"collection", "_events", "255"});
  // One byte shorter passes the check (and then finds no server).
  ProcessResult r = cli({"status", "--collection", too_long.substr(1)});
  EXPECT_EQ(r.exit_code, 3) << describe(r);
}

// ---- item 8: duplicate keys in a migration file ----------------------------

TEST_F(RefusedBeforeConnectingTest, DuplicateKeysInACommandAreRefusedWithTheirPath) {
  write_migration("001-dup.json", R"({"up": [{"insert": "a", "insert": "b", "documents": [{"_id": 1}]}]})");
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"up"}, {"up", "--dry-run"}, {"run", "001-dup.json"}}) {
    SCOPED_TRACE(args.back());
    expect_refused(args, {"001-dup.json", "up[0].insert", "twice"});
  }
}

// ---- item 9: entries named like migrations that are not files -------------

TEST_F(RefusedBeforeConnectingTest, AFifoADanglingSymlinkAndADirectoryAreEachNamed) {
  write_migration("001-good.json", kGood);
  fs::create_directory(fs::path(dir()) / "002-dir.json");
  fs::create_symlink(fs::path(dir()) / "gone.json", fs::path(dir()) / "003-link.json");
  ASSERT_EQ(mkfifo((fs::path(dir()) / "004-fifo.json").c_str(), 0600), 0);
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"up"}, {"up", "--dry-run"}, {"down", "001-good.json"}}) {
    SCOPED_TRACE(args.back());
    // A reader blocked on the FIFO would be killed by the 30 s timeout.
    expect_refused(args, {"002-dir.json", "003-link.json", "004-fifo.json"});
  }
}

// ---- item 6: sizes ----------------------------------------------------------

TEST_F(RefusedBeforeConnectingTest, AFileOverTheCapAndACommandOverTheServersLimitAreRefused) {
  write_migration("001-good.json", kGood);
  std::string big = write_migration("002-big.json", kGood);
  fs::resize_file(big, 32 * 1024 * 1024 + 1);  // sparse: only the size is looked at
  expect_refused({"up"}, {"002-big.json", "33554432"});
  fs::remove(big);

  write_migration("002-big-command.json", R"({"up": [{"insert": "a", "documents": [{"s": ")" +
                                              std::string(16 * 1024 * 1024, 'x') + R"("}]}]})");
  expect_refused({"up"}, {"002-big-command.json", "up[0]", "16777216"});
  expect_refused({"up", "--dry-run"}, {"002-big-command.json", "up[0]"});
}

}  // namespace
}  // namespace mongomigrate::testing
