// Bad input never costs data (DESIGN.md §2.1, §4, §5): every bad file, name,
// option or URI gives one clear line on stderr, the documented exit code, and
// writes nothing to the database.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "support/integration.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace mongomigrate::testing {
namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// One line: non-empty, ends with a newline, and has no other.
bool one_line(const std::string& text) {
  return !text.empty() && text.back() == '\n' && std::count(text.begin(), text.end(), '\n') == 1;
}

const char* kGood = R"({"up": [{"insert": "things", "documents": [{"_id": "good"}]}],
  "down": [{"delete": "things", "deletes": [{"q": {"_id": "good"}, "limit": 1}]}]})";

constexpr const char* kPassword = "S3cretPassw0rd";

class BadInputTest : public IntegrationTest {
 protected:
  std::vector<std::string> snapshot() { return probe().snapshot(); }

  // Asserts that `args` fails with `code`, one line on stderr naming every
  // word in `words`, and that the database did not change.
  void expect_rejected(const std::vector<std::string>& args, int code, const std::vector<std::string>& words) {
    std::vector<std::string> before = snapshot();
    ProcessResult r = cli(args);
    std::string what = args.empty() ? "" : args[0] + (args.size() > 1 ? " " + args[1] : "");
    EXPECT_EQ(r.exit_code, code) << what << ": " << describe(r);
    EXPECT_TRUE(one_line(r.err)) << what << ": expected one line on stderr: " << describe(r);
    for (const std::string& w : words) EXPECT_TRUE(contains(r.err, w)) << what << ": '" << w << "' in " << describe(r);
    EXPECT_EQ(snapshot(), before) << what << ": nothing is written";
  }

  std::string unused_uri(const std::string& userinfo, const std::string& query) {
    return "mongodb://" + userinfo + "127.0.0.1:" + std::to_string(free_loopback_port()) + "/db" + query;
  }
};

// ---- invalid migration files -----------------------------------------------

TEST_F(BadInputTest, InvalidJsonNamesTheFileLineAndOffsetAndBlocksEveryWritingCommand) {
  write_migration("001-good.json", kGood);
  write_migration("002-bad.json", "{\n  \"up\": [\n    {\"insert\": \"things\",}\n  ]\n}\n");

  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"up"}, {"up", "--dry-run"}, {"run", "001-good.json"}, {"down", "001-good.json"}}) {
    SCOPED_TRACE(args[0]);
    expect_rejected(args, 2, {"002-bad.json", "line", "offset"});
  }
  EXPECT_TRUE(probe().collections().empty());

  // The readers show it, with its error, and are not blocked by it.
  ProcessResult status = cli({"status"});
  EXPECT_EQ(status.exit_code, 0) << describe(status);
  EXPECT_TRUE(contains(status.out, "1 invalid")) << describe(status);
  EXPECT_TRUE(contains(status.out, "002-bad.json is not a valid migration: invalid JSON at line 3")) << describe(status);
  ProcessResult json = cli({"status", "--json"});
  EXPECT_EQ(json.exit_code, 0) << describe(json);
  EXPECT_TRUE(contains(json.out, R"("invalid":1)")) << describe(json);
  EXPECT_TRUE(contains(json.out, R"("status":"invalid")")) << describe(json);
  ProcessResult validate = cli({"validate"});
  EXPECT_EQ(validate.exit_code, 1) << describe(validate);
  EXPECT_TRUE(contains(validate.out, "002-bad.json (invalid JSON at line 3")) << describe(validate);
  EXPECT_TRUE(one_line(validate.err)) << describe(validate);
  EXPECT_TRUE(contains(validate.err, "1 invalid")) << describe(validate);
  ProcessResult history = cli({"history"});
  EXPECT_EQ(history.exit_code, 0) << describe(history);
  EXPECT_TRUE(probe().collections().empty()) << "the readers wrote nothing";
}

TEST_F(BadInputTest, InvalidFileDoesNotTouchAnExistingLog) {
  write_migration("001-good.json", kGood);
  ProcessResult up = cli({"up"});
  ASSERT_EQ(up.exit_code, 0) << describe(up);
  std::int64_t events = probe().count("migrationlogs_events");

  write_migration("002-bad.json", R"({"up": [{"insert": "things", "documents": [{"_id": "x"}]}], "up2": []})");
  expect_rejected({"up"}, 2, {"002-bad.json"});
  expect_rejected({"down", "001-good.json"}, 2, {"002-bad.json"});
  EXPECT_EQ(probe().count("migrationlogs_events"), events);
  EXPECT_EQ(probe().count("things", R"({"_id": "good"})"), 1);
}

TEST_F(BadInputTest, TruncatedJsonIsRejectedWithTheFileNamed) {
  write_migration("001-truncated.json", R"({"up": [{"insert": "things")");
  expect_rejected({"up"}, 2, {"001-truncated.json"});
  EXPECT_TRUE(probe().collections().empty());
}

TEST_F(BadInputTest, StructurallyInvalidMigrationsAreRejectedWithTheFileNamed) {
  struct Case {
    const char* what;
    const char* content;
  };
  const Case cases[] = {
      {"a command that is a number", R"({"up": [1]})"},
      {"a command that is a string", R"({"up": ["insert"]})"},
      {"a command that is an array", R"({"up": [[{"ping": 1}]]})"},
      {"a down command that is not a document", R"({"up": [{"ping": 1}], "down": [true]})"},
      {"up that is a document", R"({"up": {"insert": "things", "documents": [{"_id": 1}]}})"},
      {"up that is a string", R"({"up": "db.things.insertOne"})"},
      {"down that is not an array", R"({"up": [{"ping": 1}], "down": {"drop": "things"}})"},
      {"an unknown top-level key", R"({"up": [{"ping": 1}], "rollback": []})"},
      {"a misspelt key", R"({"Up": [{"ping": 1}]})"},
      {"a top-level array", R"([{"ping": 1}])"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    write_migration("001-broken.json", c.content);
    expect_rejected({"up"}, 2, {"001-broken.json"});
    ProcessResult status = cli({"status"});
    EXPECT_EQ(status.exit_code, 0) << describe(status);
    EXPECT_TRUE(contains(status.out, "error: 001-broken.json is not a valid migration")) << describe(status);
  }
  EXPECT_TRUE(probe().collections().empty());
}

// ---- the directory ---------------------------------------------------------

TEST_F(BadInputTest, MissingDirectoryIsAUsageError) {
  std::string missing = dir() + "/does-not-exist";
  for (const char* command : {"status", "up", "validate"}) {
    SCOPED_TRACE(command);
    ProcessResult r = cli({command, "--uri", uri(), "--dir", missing}, {}, false);
    EXPECT_EQ(r.exit_code, 2) << describe(r);
    EXPECT_TRUE(one_line(r.err)) << describe(r);
    EXPECT_TRUE(contains(r.err, "does not exist")) << describe(r);
    EXPECT_TRUE(contains(r.err, "does-not-exist")) << describe(r);
  }
  EXPECT_TRUE(probe().collections().empty());
}

TEST_F(BadInputTest, EmptyDirectoryIsFine) {
  ProcessResult status = cli({"status"});
  EXPECT_EQ(status.exit_code, 0) << describe(status);
  EXPECT_TRUE(contains(status.out, "0 total")) << describe(status);

  ProcessResult json = cli({"status", "--json"});
  EXPECT_EQ(json.exit_code, 0) << describe(json);
  EXPECT_TRUE(contains(json.out, "\"total\":0") || contains(json.out, "\"total\": 0")) << describe(json);

  ProcessResult up = cli({"up"});
  EXPECT_EQ(up.exit_code, 0) << describe(up);
  EXPECT_FALSE(up.out.empty()) << "says there is nothing to do: " << describe(up);

  ProcessResult validate = cli({"validate"});
  EXPECT_EQ(validate.exit_code, 0) << describe(validate);

  EXPECT_TRUE(probe().collections().empty()) << "an empty up creates nothing";
}

// ---- names on the command line ---------------------------------------------

TEST_F(BadInputTest, NamesWithPathsOrDotDotAreRejected) {
  write_migration("001-good.json", kGood);
  ASSERT_EQ(cli({"run", "001-good.json"}).exit_code, 0);
  for (const char* name : {"../001-good.json", "sub/001-good.json", "/etc/passwd", "..", "a..b.json",
                           "..\\001-good.json"}) {
    SCOPED_TRACE(name);
    expect_rejected({"run", name}, 2, {});
    expect_rejected({"down", name}, 2, {});
  }
}

TEST_F(BadInputTest, UnknownNamesAreRejected) {
  write_migration("001-good.json", kGood);
  expect_rejected({"run", "999-nope.json"}, 2, {"999-nope.json"});
  expect_rejected({"down", "999-nope.json"}, 2, {"999-nope.json"});
  expect_rejected({"run", "001-goo"}, 2, {"001-goo"});
  expect_rejected({"run", "001-good.js"}, 2, {"001-good.js"});
  expect_rejected({"down", "--to", "999-nope"}, 2, {"999-nope"});
  expect_rejected({"mark", "999-nope", "--as", "applied"}, 2, {"999-nope"});
  expect_rejected({"baseline", "999-nope"}, 2, {"999-nope"});
  EXPECT_TRUE(probe().collections().empty());
}

// ---- the connection --------------------------------------------------------

TEST_F(BadInputTest, NoDatabaseIsAUsageErrorSayingToPassDb) {
  write_migration("001-good.json", kGood);
  std::string no_path = server().hosts_uri();
  for (const std::string& u : {no_path, no_path + "/", no_path + "/?serverSelectionTimeoutMS=1000"}) {
    SCOPED_TRACE(u);
    ProcessResult r = cli({"status", "--uri", u, "--dir", dir()}, {}, false);
    EXPECT_EQ(r.exit_code, 2) << describe(r);
    EXPECT_TRUE(one_line(r.err)) << describe(r);
    EXPECT_TRUE(contains(r.err, "--db")) << describe(r);
  }
  ProcessOptions env;
  env.env["MONGODB_URI"] = no_path;
  ProcessResult from_env = cli({"up", "--dir", dir()}, env, false);
  EXPECT_EQ(from_env.exit_code, 2) << describe(from_env);
  EXPECT_TRUE(contains(from_env.err, "--db")) << describe(from_env);
  EXPECT_TRUE(probe().collections().empty());
}

TEST_F(BadInputTest, UnreachableServerExits3Quickly) {
  write_migration("001-good.json", kGood);
  std::string u = unused_uri("", "?serverSelectionTimeoutMS=1500&connectTimeoutMS=1000");
  ProcessOptions options;
  options.timeout = std::chrono::seconds(30);
  for (const char* command : {"status", "up", "validate", "history"}) {
    SCOPED_TRACE(command);
    ProcessResult r = cli({command, "--uri", u, "--dir", dir()}, options, false);
    EXPECT_FALSE(r.timed_out) << describe(r);
    EXPECT_EQ(r.exit_code, 3) << describe(r);
    EXPECT_FALSE(r.err.empty()) << describe(r);
    EXPECT_TRUE(contains(r.err.substr(0, r.err.find('\n')), "127.0.0.1")) << "the first line says where: "
                                                                           << describe(r);
  }
  ProcessResult run = cli({"run", "001-good.json", "--uri", u, "--dir", dir()}, options, false);
  EXPECT_EQ(run.exit_code, 3) << describe(run);
  EXPECT_FALSE(run.timed_out);
}

// A signal while the driver waits for a server that does not answer: the
// wait does not watch for it, but the exit code and the message still say
// the run was stopped (it was 3, "no suitable servers").
TEST_F(BadInputTest, ASignalWhileWaitingForTheServerExitsAsStopped) {
  write_migration("001-good.json", kGood);
  ProcessOptions options;
  options.timeout = std::chrono::seconds(30);
  BackgroundProcess status({cli_binary(), "status", "--uri", unused_uri("", "?serverSelectionTimeoutMS=3000"), "--dir",
                            dir()},
                           options);
  // Its handler installed (after parsing the arguments), then a while into the wait.
  ASSERT_TRUE(status.wait_until_catching(SIGINT, std::chrono::seconds(10)));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_TRUE(status.signal(SIGINT));
  ProcessResult r = status.wait();
  EXPECT_EQ(r.exit_code, 130) << describe(r);
  EXPECT_TRUE(contains(r.err, "stopped by signal 2 while waiting for the server: ")) << describe(r);
  EXPECT_TRUE(one_line(r.err)) << describe(r);
}

TEST_F(BadInputTest, PasswordIsNeverPrinted) {
  write_migration("001-good.json", kGood);
  ProcessOptions options;
  options.timeout = std::chrono::seconds(30);
  std::string unreachable = unused_uri(std::string("user:") + kPassword + "@", "?serverSelectionTimeoutMS=1000");
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"status"}, {"status", "--json"}, {"up"}, {"up", "--json"}, {"validate", "--json"}, {"history"}}) {
    SCOPED_TRACE(args[0] + (args.size() > 1 ? " " + args[1] : ""));
    std::vector<std::string> full = args;
    full.insert(full.end(), {"--uri", unreachable, "--dir", dir()});
    ProcessResult r = cli(full, options, false);
    EXPECT_EQ(r.exit_code, 3) << describe(r);
    EXPECT_FALSE(r.timed_out);
    EXPECT_FALSE(contains(r.out, kPassword)) << describe(r);
    EXPECT_FALSE(contains(r.err, kPassword)) << describe(r);
  }

  // Through MONGODB_URI too.
  ProcessOptions env = options;
  env.env["MONGODB_URI"] = unreachable;
  ProcessResult from_env = cli({"status", "--dir", dir()}, env, false);
  EXPECT_EQ(from_env.exit_code, 3) << describe(from_env);
  EXPECT_FALSE(contains(from_env.out + from_env.err, kPassword)) << describe(from_env);

  // Malformed URIs that contain a password: a usage error, still redacted.
  const std::string pw = kPassword;
  for (const std::string& bad : {"mongodb://user:" + pw + "@", "mongodb://user:" + pw + "@host:notaport/db",
                                 "mongodb://user:" + pw + "@127.0.0.1:99999/db",
                                 "mongodb://user:" + pw + "@/db",
                                 "mongodb+srv://user:" + pw + "@127.0.0.1:27017/db"}) {
    SCOPED_TRACE(bad);
    for (bool json : {false, true}) {
      std::vector<std::string> args = {"status", "--uri", bad, "--dir", dir()};
      if (json) args.push_back("--json");
      ProcessResult r = cli(args, options, false);
      EXPECT_TRUE(r.exit_code == 2 || r.exit_code == 3) << describe(r);
      EXPECT_FALSE(contains(r.out, kPassword)) << describe(r);
      EXPECT_FALSE(contains(r.err, kPassword)) << describe(r);
    }
  }
  for (const std::string& bad : {"mongodb://user:" + pw + "@", "mongodb://user:" + pw + "@host:notaport/db"}) {
    ProcessResult r = cli({"status", "--uri", bad, "--dir", dir()}, options, false);
    EXPECT_EQ(r.exit_code, 2) << bad << ": " << describe(r);
    EXPECT_TRUE(one_line(r.err)) << describe(r);
  }

  // A percent-encoded password: neither the encoded nor the decoded form.
  std::string encoded = "S3cret%40Passw0rd";
  std::string decoded = "S3cret@Passw0rd";
  std::string u = unused_uri("user:" + encoded + "@", "?serverSelectionTimeoutMS=1000");
  ProcessResult r = cli({"status", "--json", "--uri", u, "--dir", dir()}, options, false);
  EXPECT_EQ(r.exit_code, 3) << describe(r);
  EXPECT_FALSE(contains(r.out + r.err, encoded)) << describe(r);
  EXPECT_FALSE(contains(r.out + r.err, decoded)) << describe(r);
}

TEST_F(BadInputTest, APasswordThatIsAlsoAWordOfTheMessageLeavesTheMessageWhole) {
  // The password was masked everywhere in the message, the tool's words and
  // the redacted URI too: "mongo" gave "*****db://user:*****@...", which
  // spells the password out.
  write_migration("001-good.json", kGood);
  ProcessOptions options;
  options.timeout = std::chrono::seconds(30);
  for (const std::string& password : {std::string("mongo"), std::string("a"), std::string("database")}) {
    SCOPED_TRACE(password);
    std::string u = unused_uri("user:" + password + "@", "?serverSelectionTimeoutMS=1000");
    ProcessResult r = cli({"status", "--uri", u, "--dir", dir()}, options, false);
    EXPECT_EQ(r.exit_code, 3) << describe(r);
    EXPECT_TRUE(contains(r.err, "cannot reach the database at mongodb://user:*****@127.0.0.1:")) << describe(r);
    EXPECT_FALSE(contains(r.err, "*****db://")) << describe(r);
  }
}

// Credentials the server refuses: exit 3 (the database cannot be used),
// said as an authentication failure, not as a server that cannot be reached.
TEST_F(BadInputTest, CredentialsTheServerRefusesAreAnAuthenticationFailure) {
  std::string why;
  std::optional<ServerAddress> address = server().proxiable_address(&why);
  if (!address) GTEST_SKIP() << "needs a plain single-host server to point wrong credentials at: " << why;
  write_migration("001-good.json", kGood);
  std::string u = fmt::format("mongodb://nobody:Wr0ngPass@{}:{}/{}?serverSelectionTimeoutMS=5000", address->host,
                              address->port, db());
  ProcessResult r = cli({"status", "--uri", u, "--dir", dir()}, bounded(), false);
  EXPECT_EQ(r.exit_code, 3) << describe(r);
  EXPECT_TRUE(contains(r.err, "authentication with the server at mongodb://nobody:*****@")) << describe(r);
  EXPECT_TRUE(contains(r.err, " failed (check the user, the password and authSource)"))
      << describe(r);
  EXPECT_FALSE(contains(r.err, "cannot reach")) << describe(r);
  EXPECT_FALSE(contains(r.out + r.err, "Wr0ngPass")) << describe(r);

  // With --verbose the driver's log goes to stderr too: stdout stays the
  // one JSON document (the driver's default handler wrote it to stdout).
  ProcessResult verbose = cli({"status", "--json", "--verbose", "--uri", u, "--dir", dir()}, bounded(), false);
  EXPECT_EQ(verbose.exit_code, 3) << describe(verbose);
  EXPECT_TRUE(verbose.out.starts_with(R"({"schema":1,"ok":false,"error":)")) << describe(verbose);
  EXPECT_EQ(std::count(verbose.out.begin(), verbose.out.end(), '\n'), 1) << describe(verbose);
  EXPECT_TRUE(contains(verbose.err, "mongoc DEBUG cluster: Authentication failed"))
      << "the driver's log, on stderr: " << describe(verbose);
  EXPECT_FALSE(contains(verbose.out + verbose.err, "Wr0ngPass")) << describe(verbose);
}

// A mongodb+srv name that does not resolve is a server that cannot be
// reached (exit 3, as an unknown host is), not a bad URI (exit 2); the
// password stays masked. (The .invalid top-level domain never resolves.)
TEST_F(BadInputTest, AnSrvNameThatDoesNotResolveIsAServerThatCannotBeReached) {
  write_migration("001-good.json", kGood);
  ProcessResult r = cli({"status", "--uri", "mongodb+srv://user:Srv5ecret@cluster0.nonexistent.invalid/app", "--dir",
                         dir()},
                        bounded(), false);
  EXPECT_EQ(r.exit_code, 3) << describe(r);
  EXPECT_TRUE(contains(r.err, "cannot reach the database at mongodb+srv://user:*****@cluster0.nonexistent.invalid/app: "))
      << describe(r);
  EXPECT_FALSE(contains(r.out + r.err, "Srv5ecret")) << describe(r);
}

TEST_F(BadInputTest, APasswordWithASlashOrAQuestionMarkIsRedactedByConfig) {
  // The path was looked for from the first '/', inside the password: config
  // showed the database "word@127.0.0.1:27217/db", and with a '?' before the
  // '/' the URI was not redacted at all.
  for (const std::string& password : {std::string("secret/word"), std::string("se/cr?etpw")}) {
    SCOPED_TRACE(password);
    std::string u = "mongodb://admin:" + password + "@127.0.0.1:27217/db";
    for (bool json : {false, true}) {
      std::vector<std::string> args = {"config", "--uri", u};
      if (json) args.push_back("--json");
      ProcessResult r = cli(args, {}, false);
      EXPECT_EQ(r.exit_code, 0) << describe(r);
      EXPECT_FALSE(contains(r.out + r.err, password)) << describe(r);
      EXPECT_FALSE(contains(r.out + r.err, password.substr(password.find('/')))) << describe(r);
      EXPECT_FALSE(contains(r.out + r.err, password.substr(0, password.find('/') + 1))) << describe(r);
      EXPECT_TRUE(contains(r.out, "mongodb://admin:*****@127.0.0.1:27217/db")) << describe(r);
      if (!json) {
        EXPECT_TRUE(contains(r.out, "db (the URI's path)")) << describe(r);
      }
    }
  }
}

TEST_F(BadInputTest, ConfigShowsTheUrisDatabaseWithItsControlCharactersEscaped) {
  ProcessResult r = cli({"config", "--uri", "mongodb://127.0.0.1:27217/a\x1b[31mb"}, {}, false);
  EXPECT_EQ(r.exit_code, 0) << describe(r);
  EXPECT_TRUE(contains(r.out, "a\\x1b[31mb (the URI's path)")) << describe(r);
  EXPECT_FALSE(contains(r.out, "\x1b")) << "no escape sequence reaches the terminal: " << describe(r);
}

TEST_F(BadInputTest, ACommandLineThatDoesNotParseDoesNotRepeatAPassword) {
  // CLI11 quotes the arguments it rejects: a URI given without --uri, or
  // after a misspelt option, came back whole on stderr.
  std::string u = "mongodb://admin:" + std::string(kPassword) + "@127.0.0.1:27217/x";
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"status", u},
           {"status", "--url", u},
           {"status", "-uri", u},
           {"status", "--url=" + u},
           {"status", "--limit=" + u},
           {"history", "--limit", u},
           {"status", "--color", u},
           {"status", u, "--json"}}) {
    SCOPED_TRACE(args[1]);
    ProcessResult r = cli(args, {}, false);
    EXPECT_EQ(r.exit_code, 2) << describe(r);
    EXPECT_TRUE(one_line(r.err)) << describe(r);
    EXPECT_FALSE(contains(r.out + r.err, kPassword)) << describe(r);
    EXPECT_FALSE(contains(r.out + r.err, "S3cret")) << describe(r);
  }
  ProcessResult r = cli({"status", u}, {}, false);
  EXPECT_TRUE(contains(r.err, "mongodb://admin:*****@127.0.0.1:27217/x")) << "the argument, redacted: " << describe(r);
}

// ---- other options ---------------------------------------------------------

TEST_F(BadInputTest, SecretOptionsAreNotShownEvenOnSuccess) {
  // Issue 15 item 4: the status header printed tlsCertificateKeyFilePassword.
  write_migration("001-good.json", kGood);
  std::vector<std::string> queries = {"authMechanismProperties=AWS_SESSION_TOKEN:" + std::string(kPassword)};
  // tls=false keeps a plain connection; a server given by URI may need TLS.
  if (!test_uri_given()) queries.push_back("tls=false&tlsCertificateKeyFilePassword=" + std::string(kPassword));
  for (const std::string& query : queries) {
    SCOPED_TRACE(query);
    std::string u = server().uri(db(), query);
    for (const char* command : {"status", "up", "history"}) {
      ProcessResult r = cli({command, "--uri", u, "--dir", dir()}, {}, false);
      EXPECT_EQ(r.exit_code, 0) << describe(r);
      EXPECT_FALSE(contains(r.out + r.err, kPassword)) << describe(r);
    }
    ProcessResult status = cli({"status", "--uri", u, "--dir", dir()}, {}, false);
    EXPECT_TRUE(contains(status.out, "=*****")) << "the header shows the option, masked: " << describe(status);
  }
}

TEST_F(BadInputTest, ControlCharactersFromTheLogAreShownEscaped) {
  // Issue 15 item 5: a name recorded in the log (here --by) reaches the
  // terminal escaped, never raw.
  write_migration("001-good.json", kGood);
  ProcessResult up = cli({"up", "--by", "evil\x1b[2J\r"});
  ASSERT_EQ(up.exit_code, 0) << describe(up);
  for (const char* command : {"status", "history"}) {
    ProcessResult r = cli({command});
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_EQ((r.out + r.err).find_first_of("\x1b\r"), std::string::npos) << describe(r);
    EXPECT_TRUE(contains(r.out, "evil\\x1b[2J\\r")) << describe(r);
  }
}

TEST_F(BadInputTest, AnEventsActionFromTheLogIsShownEscaped) {
  // The action column is the log's text like the others: an event written
  // by another tool (or a hand) must not reach the terminal raw.
  write_migration("001-good.json", kGood);
  ASSERT_EQ(cli({"up"}).exit_code, 0);
  probe().command(R"({"update": "migrationlogs_events", "updates": [{"q": {}, "u": {"$set": {"action": )"
                  R"("applied\u001b[2J\r"}}, "multi": true}]})");
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"history"}, {"history", "--dbs", db()}}) {
    ProcessResult r = cli(args);
    SCOPED_TRACE(args.back());
    EXPECT_EQ(r.exit_code, 0) << describe(r);
    EXPECT_EQ((r.out + r.err).find_first_of("\x1b\r"), std::string::npos) << describe(r);
    EXPECT_TRUE(contains(r.out, "applied\\x1b[2J\\r")) << describe(r);
  }
}

TEST_F(BadInputTest, LockSettingsOutOfRangeAreUsageErrorsNamingTheSetting) {
  // A lock timeout of 3,000,000 h overflowed the deadline and gave up at
  // once (exit 4); a lease of 9,000,000 h renewed in a loop; `config` and
  // the file were not checked; a short lease blamed a renewal never set.
  write_migration("001-good.json", kGood);
  expect_rejected({"up", "--lock-timeout", "3000000h"}, 2, {"--lock-timeout", "maximum"});
  expect_rejected({"up", "--lock-lease", "9000000h"}, 2, {"--lock-lease", "maximum"});
  expect_rejected({"config", "--lock-timeout", "1e9s"}, 2, {"--lock-timeout", "1e9s", "not a duration"});
  expect_rejected({"status", "--lock-lease", "1ms"}, 2, {"--lock-lease", "too short"});
  expect_rejected({"status", "--lock-lease", "10s", "--lock-renew", "10s"}, 2, {"--lock-renew", "shorter"});

  TempDir project;
  project.write("mongo-migrate.toml", "dir = \"" + dir() + "\"\nlock_lease = \"0s\"\n");
  ProcessOptions in_project;
  in_project.working_directory = project.path();
  for (const char* command : {"config", "status"}) {
    ProcessResult r = cli({command, "--uri", uri()}, in_project, false);
    EXPECT_EQ(r.exit_code, 2) << describe(r);
    EXPECT_TRUE(one_line(r.err)) << describe(r);
    EXPECT_TRUE(contains(r.err, "mongo-migrate.toml:2: lock_lease: \"0s\"")) << describe(r);
  }
  EXPECT_TRUE(probe().collections().empty());
}

TEST_F(BadInputTest, InvalidCollectionNameIsAUsageError) {
  write_migration("001-good.json", kGood);
  for (const char* name : {"bad$name", "$cmd", "", "a\tb"}) {
    SCOPED_TRACE(name);
    expect_rejected({"up", "--collection", name}, 2, {"collection"});
  }
  EXPECT_TRUE(probe().collections().empty());
}

TEST_F(BadInputTest, MalformedOptionValuesAreUsageErrors) {
  write_migration("001-good.json", kGood);
  expect_rejected({"history", "--limit", "abc"}, 2, {});
  expect_rejected({"history", "--limit", "0"}, 2, {"limit"});
  expect_rejected({"run"}, 2, {});
  for (const char* count : {"0", "-1", "abc", "1.5", "", "99999999999999999999"}) {
    SCOPED_TRACE(count);
    expect_rejected({"down", "--count", count}, 2, {"--count"});
  }
  expect_rejected({"down", "--count=-3"}, 2, {"--count"});
  expect_rejected({"down", "001-good", "--count", "1"}, 2, {"--count"});
  expect_rejected({"down", "--to", "001-good", "--count", "1"}, 2, {"--count"});
  expect_rejected({"down", "--force"}, 2, {"--force"});
  expect_rejected({"up", "extra-argument"}, 2, {});
  EXPECT_TRUE(probe().collections().empty());
}

}  // namespace
}  // namespace mongomigrate::testing
