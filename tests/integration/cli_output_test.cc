// Output people and programs can trust (issue 16, items 6, 8 and 9), through
// the real binary: invalid entries shown by the readers, --json matching its
// schema (docs/json-schema/) in valid UTF-8, --color, --quiet, --verbose,
// each command's help, progress on a terminal, hints for shell syntax.
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "support/file_checks.h"
#include "support/integration.h"
#include "support/json_schema_check.h"
#include "support/temp_dir.h"

namespace mongomigrate::testing {
namespace {

namespace fs = std::filesystem;

std::string migration(const std::string& id) {
  return R"({"description": "insert )" + id + R"(", "up": [{"insert": "things", "documents": [{"_id": ")" + id +
         R"("}]}], "down": [{"delete": "things", "deletes": [{"q": {"_id": ")" + id + R"("}, "limit": 1}]}]})";
}

class CliOutputTest : public IntegrationTest {
 protected:
  // Asserts that `r.out` is one line of valid UTF-8 that
  // docs/json-schema/<schema>.schema.json accepts (python3-jsonschema).
  void expect_schema(const ProcessResult& r, const std::string& schema) {
    EXPECT_EQ(json_schema_problems(r.out, schema), "") << schema << ": " << describe(r);
  }
};

// ---- item 6: invalid entries ---------------------------------------------

TEST_F(CliOutputTest, EveryKindOfInvalidEntryIsShownByTheReadersAndRefusedByTheWriters) {
  write_migration("001-good.json", migration("good"));
  write_migration("002-syntax.json", R"({"up": [{"insert": "things",}]})");
  write_migration("003-dup.json", R"({"up": [{"ping": 1}], "up": []})");
  write_migration("004-\xff\xfe.json", migration("bytes"));
  fs::create_directory(fs::path(dir()) / "005-dir.json");
  fs::create_symlink(fs::path(dir()) / "gone.json", fs::path(dir()) / "006-link.json");
  ASSERT_EQ(mkfifo((fs::path(dir()) / "007-fifo.json").c_str(), 0600), 0);

  ProcessResult status = cli({"status"});
  ASSERT_EQ(status.exit_code, 0) << describe(status);
  EXPECT_TRUE(contains(status.out, "7 total · 0 applied · 1 pending")) << describe(status);
  EXPECT_TRUE(contains(status.out, "6 invalid")) << describe(status);
  for (const char* shown : {"002-syntax.json is not a valid migration: invalid JSON",
                            "003-dup.json is not a valid migration: \"up\" appears twice",
                            "004-\\xff\\xfe.json is not a valid migration", "005-dir.json is not a valid migration: a directory",
                            "006-link.json is not a valid migration: a symbolic link to nothing",
                            "007-fifo.json is not a valid migration: a FIFO"}) {
    EXPECT_TRUE(contains(status.out, shown)) << shown << "\n" << describe(status);
  }

  ProcessResult json = cli({"status", "--json"});
  ASSERT_EQ(json.exit_code, 0) << describe(json);
  expect_schema(json, "status");
  EXPECT_TRUE(contains(json.out, R"("invalid":6)")) << describe(json);
  // The name that is not UTF-8, escaped losslessly: \xNN for each bad byte.
  EXPECT_TRUE(contains(json.out, R"("name":"004-\\xff\\xfe.json")")) << describe(json);

  ProcessResult validate = cli({"validate"});
  EXPECT_EQ(validate.exit_code, 1) << describe(validate);
  EXPECT_TRUE(contains(validate.out, "invalid:     005-dir.json (a directory)")) << describe(validate);
  EXPECT_TRUE(contains(validate.err, "6 invalid")) << describe(validate);
  ProcessResult validate_json = cli({"validate", "--json"});
  EXPECT_EQ(validate_json.exit_code, 1) << describe(validate_json);
  expect_schema(validate_json, "validate");
  EXPECT_TRUE(contains(validate_json.out, R"({"name":"007-fifo.json","error":"a FIFO"})")) << describe(validate_json);

  // history: the trail has no events of them, but lists them.
  ProcessResult history = cli({"history"});
  EXPECT_EQ(history.exit_code, 0) << describe(history);
  EXPECT_TRUE(contains(history.out, "invalid: 005-dir.json (a directory)")) << describe(history);
  EXPECT_TRUE(contains(history.out, "No events recorded yet.")) << describe(history);
  ProcessResult history_json = cli({"history", "--json"});
  EXPECT_EQ(history_json.exit_code, 0) << describe(history_json);
  expect_schema(history_json, "history");
  EXPECT_TRUE(contains(history_json.out, R"({"name":"007-fifo.json","error":"a FIFO"})")) << describe(history_json);

  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"up"}, {"up", "--dry-run"}, {"run", "001-good.json"}, {"down", "001-good.json"}}) {
    ProcessResult r = cli(args);
    EXPECT_EQ(r.exit_code, 2) << args[0] << ": " << describe(r);
    EXPECT_TRUE(one_line(r.err)) << describe(r);
  }
  EXPECT_TRUE(probe().collections().empty()) << "nothing is written";
}

TEST_F(CliOutputTest, AnAppliedFileThatBreaksIsInvalidNotMissing) {
  write_migration("001-a.json", migration("a"));
  ASSERT_EQ(cli({"up"}).exit_code, 0);
  write_migration("001-a.json", R"({"up": [ISODate("2024-01-01T00:00:00Z")]})");

  ProcessResult status = cli({"status", "--json"});
  ASSERT_EQ(status.exit_code, 0) << describe(status);
  expect_schema(status, "status");
  EXPECT_TRUE(contains(status.out, R"("status":"invalid")")) << describe(status);
  EXPECT_TRUE(contains(status.out, R"("missing":[])")) << describe(status);
  EXPECT_TRUE(contains(status.out, R"("applied":0)")) << describe(status);
  ProcessResult validate = cli({"validate"});
  EXPECT_EQ(validate.exit_code, 1) << describe(validate);
  EXPECT_TRUE(contains(validate.out, "invalid:     001-a.json")) << describe(validate);
  EXPECT_FALSE(contains(validate.out, "missing:")) << describe(validate);
}

// ---- item 8: --json -------------------------------------------------------

TEST_F(CliOutputTest, TheJsonOutputOfEveryCommandMatchesItsSchema) {
  TempDir project;
  ProcessOptions in_project;
  in_project.working_directory = project.path();
  ProcessResult init = cli({"init", "--json"}, in_project);
  ASSERT_EQ(init.exit_code, 0) << describe(init);
  expect_schema(init, "init");
  ProcessResult create = cli({"create", "add things", "--json"}, in_project);
  ASSERT_EQ(create.exit_code, 0) << describe(create);
  expect_schema(create, "create");
  ProcessResult config = cli({"config", "--json"}, in_project);
  ASSERT_EQ(config.exit_code, 0) << describe(config);
  expect_schema(config, "config");
  for (const fs::directory_entry& e : fs::directory_iterator(dir())) fs::remove(e.path());

  write_migration("001-a.json", migration("a"));
  write_migration("002-b.json", migration("b"));
  write_migration("003-c.json", migration("c"));
  write_migration("004-irreversible.json", R"({"up": [{"ping": 1}]})");

  struct Case {
    std::vector<std::string> args;
    const char* schema;
    int exit_code;
  };
  for (const Case& c : std::vector<Case>{
           {{"up", "--dry-run"}, "up", 0},
           {{"up"}, "up", 0},
           {{"up"}, "up", 0},  // nothing to do
           {{"status"}, "status", 0},
           {{"validate"}, "validate", 0},
           {{"down", "003-c.json", "--force"}, "down", 0},
           {{"run", "003-c.json", "--dry-run"}, "run", 0},
           {{"run", "003-c.json"}, "run", 0},
           {{"baseline", "002-b.json"}, "baseline", 0},
           {{"mark", "004-irreversible.json", "--as", "pending"}, "mark", 0},  // a ping: up runs it again
           {{"history", "--limit", "50"}, "history", 0},
           {{"unlock"}, "unlock", 0},
           {{"down", "004-irreversible.json"}, "error", 1},
           {{"run", "999-nope.json"}, "error", 2},
           {{"history", "--limit", "0"}, "error", 2},
       }) {
    std::vector<std::string> args = c.args;
    args.push_back("--json");
    ProcessResult r = cli(args);
    SCOPED_TRACE(args[0]);
    EXPECT_EQ(r.exit_code, c.exit_code) << describe(r);
    expect_schema(r, c.schema);
  }

  // A failed migration: ok false, its error in the step.
  write_migration("005-fails.json", R"({"up": [{"insert": "things", "documents": [{"_id": "a"}]}]})");
  ProcessResult failed = cli({"up", "--json"});
  EXPECT_EQ(failed.exit_code, 1) << describe(failed);
  expect_schema(failed, "up");
  EXPECT_TRUE(failed.out.starts_with(R"({"schema":1,"ok":false,)")) << describe(failed);
  // Errors go to stderr with --json too (docs/json-output.md).
  EXPECT_TRUE(contains(failed.err, "mongo-migrate: 005-fails.json failed: ")) << describe(failed);
  // Blocked by it: blockedBy names it.
  ProcessResult blocked = cli({"up", "--json"});
  EXPECT_EQ(blocked.exit_code, 1) << describe(blocked);
  expect_schema(blocked, "up");
  EXPECT_TRUE(contains(blocked.out, R"("blockedBy":"005-fails.json")")) << describe(blocked);
  EXPECT_TRUE(contains(blocked.err, "mongo-migrate: blocked by 005-fails.json: it failed")) << describe(blocked);
  // A changed file: validate's ok is false.
  write_migration("001-a.json", migration("changed"));
  ProcessResult invalid = cli({"validate", "--json"});
  EXPECT_EQ(invalid.exit_code, 1) << describe(invalid);
  expect_schema(invalid, "validate");
  EXPECT_TRUE(contains(invalid.err, "mongo-migrate: validation failed: 1 modified")) << describe(invalid);
}

TEST_F(CliOutputTest, ADatePastFourDigitYearsIsNullInEveryDocument) {
  // Only a hand edit makes one: year 20000 has no form the schemas' pattern
  // accepts, so history's `at` and the lease's times are null, like status's.
  constexpr const char* kYear20000 = R"({"$date": {"$numberLong": "568971820800000"}})";
  write_migration("001-a.json", migration("a"));
  ASSERT_EQ(cli({"up"}).exit_code, 0);
  probe().command(fmt::format(R"({{"update": "migrationlogs_events", "updates": [{{"q": {{}}, "u": {{"$set": {{"at": {}}}}},
                                  "multi": true}}]}})",
                              kYear20000));
  probe().insert("migrationlogs_lock",
                 fmt::format(R"({{"_id": "lease", "owner": "elsewhere:1:ab", "host": "elsewhere", "pid": 1,
                                 "user": "ops", "acquiredAt": {{"$date": {{"$numberLong": "-62167219200001"}}}},
                                 "expiresAt": {}}})",
                             kYear20000));

  ProcessResult history = cli({"history", "--json"});
  ASSERT_EQ(history.exit_code, 0) << describe(history);
  expect_schema(history, "history");
  EXPECT_TRUE(contains(history.out, R"("at":null)")) << describe(history);
  ProcessResult status = cli({"status", "--json"});
  ASSERT_EQ(status.exit_code, 0) << describe(status);
  expect_schema(status, "status");
  EXPECT_TRUE(contains(status.out, R"("acquiredAt":null,"expiresAt":null,"live":true)")) << describe(status);
  ProcessResult unlock = cli({"unlock", "--force", "--json"});
  ASSERT_EQ(unlock.exit_code, 0) << describe(unlock);
  expect_schema(unlock, "unlock");
  EXPECT_TRUE(contains(unlock.out, R"("acquiredAt":null,"expiresAt":null)")) << describe(unlock);
  // A person still sees what the database holds.
  ProcessResult text = cli({"history"});
  EXPECT_EQ(text.exit_code, 0) << describe(text);
  EXPECT_TRUE(contains(text.out, "20000-")) << describe(text);
}

TEST_F(CliOutputTest, ANameWithABackslashIsEscapedSoThatItReadsBack) {
  write_migration("001-a\\x41.json", migration("a"));
  ProcessResult json = cli({"status", "--json"});
  ASSERT_EQ(json.exit_code, 0) << describe(json);
  expect_schema(json, "status");
  // The backslash itself is \x5c, so "\x41" in the name cannot be read as the byte 0x41.
  EXPECT_TRUE(contains(json.out, R"("name":"001-a\\x5cx41.json")")) << describe(json);
}

// ---- item 8: tables, colour, quiet, verbose, progress ----------------------

TEST_F(CliOutputTest, TheStatusTableAlignsNamesByDisplayWidth) {
  write_migration("001-中文名.json", migration("wide"));
  write_migration("002-cafe\xcc\x81.json", migration("combining"));  // e + U+0301
  write_migration("003-abcdefgh.json", migration("ascii"));
  ProcessResult status = cli({"status"});
  ASSERT_EQ(status.exit_code, 0) << describe(status);
  // Each name is 12 columns wide on a terminal ("中文名" is 6, "é" 1), so
  // the STATUS column starts after the same text width on every row.
  for (const std::string& row : {std::string("001-中文名.json    pending"), std::string("002-cafe\xcc\x81.json      pending"),
                                 std::string("003-abcdefgh.json  pending"), "NAME" + std::string(15, ' ') + "STATUS"}) {
    EXPECT_TRUE(contains(status.out, row)) << row << "\n" << describe(status);
  }
}

TEST_F(CliOutputTest, ColorFollowsTheFlagThenNoColor) {
  write_migration("001-a.json", migration("a"));
  ProcessOptions no_color;
  no_color.env["NO_COLOR"] = "1";
  ProcessResult always = cli({"status", "--color", "always"}, no_color);
  EXPECT_EQ(always.exit_code, 0) << describe(always);
  EXPECT_TRUE(contains(always.out, "\033[")) << "the flag beats NO_COLOR: " << describe(always);
  ProcessResult never = cli({"status", "--color", "never"});
  EXPECT_FALSE(contains(never.out, "\033[")) << describe(never);
  ProcessResult automatic = cli({"status"});  // not a terminal
  EXPECT_FALSE(contains(automatic.out, "\033[")) << describe(automatic);
  ProcessResult error = cli({"run", "nope.json", "--color", "always"});
  EXPECT_TRUE(contains(error.err, "\033[31mmongo-migrate:")) << describe(error);

  std::vector<std::string> before = probe().snapshot();
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"up", "--color", "purple"}, {"status", "--color"}, {"up", "--quiet", "--verbose"}}) {
    ProcessResult r = cli(args);
    EXPECT_EQ(r.exit_code, 2) << args[1] << ": " << describe(r);
    EXPECT_TRUE(one_line(r.err)) << describe(r);
  }
  EXPECT_TRUE(contains(cli({"up", "--color", "purple"}).err, "purple"));
  // A command line that does not parse honours --color too: always, and
  // never on a terminal (script(1) gives it one).
  ProcessResult bad_always = cli({"status", "--bogus", "--color", "always"});
  EXPECT_EQ(bad_always.exit_code, 2) << describe(bad_always);
  EXPECT_TRUE(contains(bad_always.err, "\033[31mmongo-migrate:")) << describe(bad_always);
  ProcessResult bad_never = run_process(
      {"/usr/bin/script", "-qefc", fmt::format("'{}' --color=never status --bogus", cli_binary()), "/dev/null"});
  EXPECT_EQ(bad_never.exit_code, 2) << describe(bad_never);
  EXPECT_TRUE(contains(bad_never.out, "mongo-migrate: ")) << describe(bad_never);
  EXPECT_FALSE(contains(bad_never.out, "\033[")) << describe(bad_never);
  EXPECT_EQ(probe().snapshot(), before) << "nothing is written";
}

// A word taken for a command that is none is named, with the commands there
// are (a URI given by mistake in its place stays redacted).
TEST_F(CliOutputTest, AnUnknownCommandIsNamed) {
  ProcessResult typo = cli({"stat"});
  EXPECT_EQ(typo.exit_code, 2) << describe(typo);
  EXPECT_TRUE(contains(typo.err, "unknown command \"stat\" (the commands: up, run, down, status,")) << describe(typo);
  EXPECT_TRUE(one_line(typo.err)) << describe(typo);
  ProcessResult uri_typed = cli({"mongodb://admin:Sup3rSecret@host/db"});
  EXPECT_EQ(uri_typed.exit_code, 2) << describe(uri_typed);
  EXPECT_TRUE(contains(uri_typed.err, "unknown command")) << describe(uri_typed);
  EXPECT_FALSE(contains(uri_typed.err + uri_typed.out, "Sup3rSecret")) << describe(uri_typed);
  ProcessResult none = cli({});
  EXPECT_EQ(none.exit_code, 2) << describe(none);
}

TEST_F(CliOutputTest, QuietPrintsOnlyTheResultAndErrors) {
  write_migration("001-a.json", migration("a"));
  write_migration("002-b.json", migration("b"));
  ProcessResult up = cli({"up", "--quiet"});
  EXPECT_EQ(up.exit_code, 0) << describe(up);
  EXPECT_EQ(up.out, "2 applied.\n") << describe(up);
  EXPECT_EQ(up.err, "") << describe(up);
  ProcessResult status = cli({"status", "-q"});
  EXPECT_FALSE(contains(status.out, "Database")) << describe(status);
  EXPECT_TRUE(contains(status.out, "002-b.json")) << describe(status);
  ProcessResult validate = cli({"validate", "--quiet"});
  EXPECT_EQ(validate.exit_code, 0) << describe(validate);
  EXPECT_EQ(validate.out, "") << describe(validate);
  ProcessResult error = cli({"run", "nope.json", "--quiet"});
  EXPECT_EQ(error.exit_code, 2) << describe(error);
  EXPECT_TRUE(one_line(error.err)) << describe(error);
}

TEST_F(CliOutputTest, VerboseWritesTheDriversLogToStderr) {
  // libmongoc warns about a URI option it does not know; only --verbose shows it.
  std::string noisy = uri() + (contains(uri(), "?") ? "&" : "?") + "fooBarOption=1";
  ProcessResult plain = cli({"status", "--uri", noisy, "--dir", dir()}, {}, false);
  EXPECT_EQ(plain.exit_code, 0) << describe(plain);
  EXPECT_FALSE(contains(plain.err, "foobaroption")) << describe(plain);
  ProcessResult verbose = cli({"status", "--verbose", "--uri", noisy, "--dir", dir()}, {}, false);
  EXPECT_EQ(verbose.exit_code, 0) << describe(verbose);
  EXPECT_TRUE(contains(verbose.err, "Unsupported URI option \"foobaroption\"")) << describe(verbose);
}

// Started with stdout closed (`mongo-migrate status >&-`): the output went
// into the first socket to the server, which took fd 1, and the exit was 0.
TEST_F(CliOutputTest, AClosedStdoutIsExit141AndNothingGoesToTheServer) {
  write_migration("001-a.json", migration("a"));
  ASSERT_EQ(cli({"up"}).exit_code, 0);
  // sh -c: $0 is mongo-migrate, "$@" its arguments (then --uri and --dir).
  for (const char* option : {"--json", "--quiet"}) {
    SCOPED_TRACE(option);
    ProcessResult closed = run_binary("/bin/sh", {"-c", R"(exec "$0" "$@" >&-)", cli_binary(), "status", option});
    EXPECT_EQ(closed.exit_code, 141) << describe(closed);
  }
  EXPECT_EQ(cli({"status", "--exit-code"}).exit_code, 0) << "the server is as it was";
}

TEST_F(CliOutputTest, UpOnATerminalShowsOneProgressLineAndNoneElsewhere) {
  for (int i = 1; i <= 3; ++i) write_migration(fmt::format("00{}-m.json", i), migration(std::to_string(i)));
  // script(1) gives the command a terminal; its output is the terminal's.
  std::string command = fmt::format("'{}' up --color never --uri '{}' --dir '{}'", cli_binary(), uri(), dir());
  ProcessResult tty = run_process({"/usr/bin/script", "-qefc", command, "/dev/null"});
  ASSERT_EQ(tty.exit_code, 0) << describe(tty);
  for (const char* shown : {"running  001-m.json", "(0/3 done, ", "(1/3 done, ", "(2/3 done, ", " elapsed)\r",
                            "\033[2K", "3 applied."}) {
    EXPECT_TRUE(contains(tty.out, shown)) << shown << "\n" << describe(tty);
  }
  ASSERT_EQ(cli({"down", "003-m.json"}).exit_code, 0);
  ProcessResult piped = cli({"up"});
  EXPECT_EQ(piped.exit_code, 0) << describe(piped);
  EXPECT_FALSE(contains(piped.out, "\r")) << describe(piped);
  EXPECT_FALSE(contains(piped.out, "done,")) << describe(piped);
}

// A server that does not answer: on a terminal a line says what the wait
// is for before the error ends it; a pipe gets only the one-line error.
TEST_F(CliOutputTest, AServerThatDoesNotAnswerIsAnnouncedOnATerminalOnly) {
  const std::string hosts = "127.0.0.1:" + std::to_string(free_loopback_port());
  const std::string silent = "mongodb://" + hosts + "/db?serverSelectionTimeoutMS=1500&connectTimeoutMS=500";
  std::string command =
      fmt::format("'{}' status --color never --uri '{}' --dir '{}'", cli_binary(), silent, dir());
  ProcessResult tty = run_process({"/usr/bin/script", "-qefc", command, "/dev/null"});
  EXPECT_EQ(tty.exit_code, 3) << describe(tty);
  const std::string waiting = "mongo-migrate: no answer from " + hosts + " (";
  EXPECT_TRUE(contains(tty.out, waiting)) << describe(tty);
  EXPECT_TRUE(contains(tty.out, "waiting up to 1.5 s for a server (serverSelectionTimeoutMS)")) << describe(tty);
  EXPECT_LT(tty.out.find(waiting), tty.out.find("cannot reach the database")) << "said before the error";

  ProcessResult piped = cli({"status", "--uri", silent, "--dir", dir()}, {}, false);
  EXPECT_EQ(piped.exit_code, 3) << describe(piped);
  EXPECT_FALSE(contains(piped.err, "no answer from")) << describe(piped);
  EXPECT_EQ(std::count(piped.err.begin(), piped.err.end(), '\n'), 1) << describe(piped);

  // A fan-out tells it once too, from its connection pool.
  std::string fanned = fmt::format("'{}' up --dbs a,b,c --color never --uri '{}' --dir '{}'", cli_binary(), silent,
                                   dir());
  ProcessResult fan_tty = run_process({"/usr/bin/script", "-qefc", fanned, "/dev/null"});
  EXPECT_EQ(fan_tty.exit_code, 3) << describe(fan_tty);
  EXPECT_TRUE(contains(fan_tty.out, waiting)) << describe(fan_tty);
  std::size_t told = 0;
  for (std::size_t at = fan_tty.out.find(waiting); at != std::string::npos; at = fan_tty.out.find(waiting, at + 1)) {
    ++told;
  }
  EXPECT_EQ(told, 1u) << describe(fan_tty);
  ProcessResult fan_piped = cli({"up", "--dbs", "a,b,c", "--uri", silent, "--dir", dir()}, {}, false);
  EXPECT_EQ(fan_piped.exit_code, 3) << describe(fan_piped);
  EXPECT_FALSE(contains(fan_piped.err, "no answer from")) << describe(fan_piped);
}

// ---- item 9: help and hints -----------------------------------------------

TEST_F(CliOutputTest, ACommandLineThatDoesNotParseGivesTheErrorDocumentWithJson) {
  // docs/json-output.md: every command writes exactly one document, the
  // error document for exit 2; a parse error wrote nothing on stdout.
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"status", "--json", "--bogus"},
           {"--json", "status", "mongodb://admin:S3cretPassw0rd@127.0.0.1:27217/x"},
           {"history", "--limit", "many", "--json"},
           {"status", "--json=TRUE", "--bogus"},  // every spelling CLI11 takes for true
           {"status", "--json=y", "--bogus"},
           {"--json"}}) {
    ProcessResult r = cli(args, {}, false);
    SCOPED_TRACE(args[0] + " " + args.back());
    EXPECT_EQ(r.exit_code, 2) << describe(r);
    expect_schema(r, "error");
    EXPECT_TRUE(contains(r.out, R"("exitCode":2)")) << describe(r);
    EXPECT_FALSE(contains(r.out + r.err, "S3cret")) << describe(r);
  }
  // Without --json (or with it false), stdout stays empty.
  for (const char* off : {"--json=false", "--json=OFF"}) {
    ProcessResult plain = cli({"status", off, "--bogus"}, {}, false);
    EXPECT_EQ(plain.exit_code, 2) << describe(plain);
    EXPECT_EQ(plain.out, "") << off;
  }
  ProcessResult plain = cli({"status", "--bogus"}, {}, false);
  EXPECT_EQ(plain.exit_code, 2) << describe(plain);
  EXPECT_EQ(plain.out, "");
}

TEST_F(CliOutputTest, EveryCommandsHelpListsTheGlobalOptions) {
  for (const char* command : {"up", "run", "down", "status", "validate", "history", "unlock", "mark", "baseline",
                              "init", "create", "config"}) {
    ProcessResult r = cli({command, "--help"}, {}, false);
    EXPECT_EQ(r.exit_code, 0) << command << ": " << describe(r);
    for (const char* option : {"Global options", "--uri", "--dir", "--json", "--color", "--quiet", "--verbose"}) {
      EXPECT_TRUE(contains(r.out, option)) << command << " --help lists " << option << "\n" << r.out;
    }
  }
}

TEST_F(CliOutputTest, ShellSyntaxGetsItsExtendedJsonForm) {
  struct Case {
    const char* content;
    const char* hint;
  };
  for (const Case& c : std::vector<Case>{
           {R"({"up": [{"insert": "t", "documents": [{"at": ISODate("2024-05-01T00:00:00Z")}]}]})",
            R"(write {"$date": "2024-05-01T00:00:00Z"})"},
           {R"({"up": [{"insert": "t", "documents": [{"_id": ObjectId("65f0a1b2c3d4e5f6a7b8c9d0")}]}]})",
            R"(write {"$oid": "65f0a1b2c3d4e5f6a7b8c9d0"})"},
           {R"({"up": [{"insert": "t", "documents": [{"n": NumberLong(42)}]}]})", R"(write {"$numberLong": "42"})"},
           {R"({"up": [{"insert": "t", "documents": [{"at": new Date("2024-05-01")}]}]})",
            R"(write {"$date": "2024-05-01T00:00:00Z"})"},
       }) {
    write_migration("001-shell.json", c.content);
    ProcessResult up = cli({"up"});
    EXPECT_EQ(up.exit_code, 2) << describe(up);
    EXPECT_TRUE(one_line(up.err)) << describe(up);
    EXPECT_TRUE(contains(up.err, "001-shell.json")) << describe(up);
    EXPECT_TRUE(contains(up.err, c.hint)) << c.hint << "\n" << describe(up);
    ProcessResult status = cli({"status"});
    EXPECT_TRUE(contains(status.out, c.hint)) << "status shows the hint too: " << describe(status);
  }
  EXPECT_TRUE(probe().collections().empty());
}

}  // namespace
}  // namespace mongomigrate::testing
