// Starting a project and everyday settings (issue 16, items 1 and 7):
// `init`, `create`, `config` and mongo-migrate.toml, through the real binary.
// None of these bad inputs writes to the database; most never connect.
#include <gtest/gtest.h>

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "support/integration.h"

namespace mongomigrate::testing {
namespace {

namespace fs = std::filesystem;

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

bool one_line(const std::string& text) {
  return !text.empty() && text.back() == '\n' && std::count(text.begin(), text.end(), '\n') == 1;
}

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> files_in(const std::string& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

class CliProjectTest : public IntegrationTest {
 protected:
  // A project directory to run in (the config file is looked for in the current directory).
  const std::string& project() const { return project_.path(); }
  std::string write_config(const std::string& content) { return project_.write("mongo-migrate.toml", content); }

  // mongo-migrate in the project directory, with nothing from the test's defaults.
  ProcessResult run_in_project(std::vector<std::string> args, ProcessOptions options = {}) {
    options.working_directory = project();
    return cli(std::move(args), std::move(options), false);
  }

  // Asserts exit 2 with one line on stderr naming every word, and that the database did not change.
  void expect_usage_error(const std::vector<std::string>& args, const std::vector<std::string>& words,
                          ProcessOptions options = {}) {
    std::vector<std::string> before = probe().snapshot();
    ProcessResult r = run_in_project(args, options);
    EXPECT_EQ(r.exit_code, 2) << describe(r);
    EXPECT_TRUE(one_line(r.err)) << "one line on stderr: " << describe(r);
    for (const std::string& w : words) EXPECT_TRUE(contains(r.err, w)) << "'" << w << "' in " << describe(r);
    EXPECT_EQ(probe().snapshot(), before) << "nothing is written";
  }

 private:
  TempDir project_;
};

// ---- init ------------------------------------------------------------------

TEST_F(CliProjectTest, InitMakesTheDirectoryAndACommentedConfigAndNeverOverwrites) {
  ProcessResult init = run_in_project({"init"});
  ASSERT_EQ(init.exit_code, 0) << describe(init);
  EXPECT_TRUE(fs::is_directory(project() + "/migrations"));
  std::string config = read(project() + "/mongo-migrate.toml");
  EXPECT_TRUE(contains(config, "dir = \"migrations\"")) << config;
  EXPECT_TRUE(contains(config, "# [env.production]")) << config;
  EXPECT_TRUE(contains(init.out, "created migrations")) << init.out;
  EXPECT_TRUE(contains(init.out, "created mongo-migrate.toml")) << init.out;

  // The file it wrote is valid: `config` reads it.
  ProcessResult shown = run_in_project({"config"});
  ASSERT_EQ(shown.exit_code, 0) << describe(shown);
  EXPECT_TRUE(contains(shown.out, "Config file: mongo-migrate.toml")) << shown.out;
  EXPECT_TRUE(std::regex_search(shown.out, std::regex("dir +migrations +file \\(mongo-migrate.toml:7\\)"))) << shown.out;

  // A second init refuses, naming the file, and leaves it as it was.
  write_config("dir = \"mine\"\n");
  expect_usage_error({"init"}, {"mongo-migrate.toml", "already exists"});
  EXPECT_EQ(read(project() + "/mongo-migrate.toml"), "dir = \"mine\"\n");
  EXPECT_FALSE(fs::exists(project() + "/mine")) << "nothing made";
}

TEST_F(CliProjectTest, InitTakesTheDirectoryAndConfigPathFromTheSettings) {
  ProcessResult init = run_in_project({"init", "--dir", "db/migrate", "--config", "conf/mm.toml"});
  EXPECT_EQ(init.exit_code, 2) << "conf/ does not exist: " << describe(init);
  fs::create_directory(project() + "/conf");
  init = run_in_project({"init", "--dir", "db/migrate", "--config", "conf/mm.toml"});
  ASSERT_EQ(init.exit_code, 0) << describe(init);
  EXPECT_TRUE(fs::is_directory(project() + "/db/migrate"));
  EXPECT_TRUE(contains(read(project() + "/conf/mm.toml"), "dir = \"db/migrate\""));
  EXPECT_FALSE(fs::exists(project() + "/mongo-migrate.toml"));

  // An existing directory is fine; an existing config is not.
  ProcessOptions env;
  env.env["MONGO_MIGRATE_CONFIG"] = "conf/mm.toml";
  expect_usage_error({"init", "--dir", "db/migrate"}, {"conf/mm.toml", "already exists"}, env);

  // A '$' in the directory reads back as itself (the config expands ${VAR}
  // and $$), so later commands use the directory init made.
  for (const char* dir : {"a$$b", "x${HOME}"}) {
    SCOPED_TRACE(dir);
    std::string file = std::string("conf/") + (dir[0] == 'a' ? "dollars.toml" : "home.toml");
    ASSERT_EQ(run_in_project({"init", "--dir", dir, "--config", file}).exit_code, 0);
    EXPECT_TRUE(fs::is_directory(project() + "/" + dir));
    ProcessResult config = run_in_project({"config", "--config", file, "--json"});
    ASSERT_EQ(config.exit_code, 0) << describe(config);
    EXPECT_TRUE(contains(config.out, std::string(R"("value":")") + dir + '"')) << config.out;
  }

  // A directory name that is not UTF-8: a TOML file cannot hold it, so
  // nothing is written (no config every later command refuses to read).
  expect_usage_error({"init", "--dir", "d\xff", "--config", "conf/bytes.toml"},
                     {"--dir d\\xff: not valid UTF-8", "nothing was written"});
  EXPECT_FALSE(fs::exists(project() + "/conf/bytes.toml"));
  EXPECT_FALSE(fs::exists(project() + "/d\xff"));
}

// ---- create ----------------------------------------------------------------

TEST_F(CliProjectTest, CreateInAnEmptyDirectoryUsesATimestampAndStatusAcceptsTheTemplate) {
  ASSERT_EQ(run_in_project({"init"}).exit_code, 0);
  ProcessResult create = run_in_project({"create", "Add user email index"});
  ASSERT_EQ(create.exit_code, 0) << describe(create);
  std::vector<std::string> files = files_in(project() + "/migrations");
  ASSERT_EQ(files.size(), 1u);
  EXPECT_TRUE(std::regex_match(files[0], std::regex("20[0-9]{12}-add-user-email-index\\.json"))) << files[0];
  EXPECT_EQ(create.out, "migrations/" + files[0] + "\n");
  EXPECT_EQ(read(project() + "/migrations/" + files[0]),
            "{\n  \"description\": \"Add user email index\",\n  \"up\": [],\n  \"down\": []\n}\n");
  EXPECT_TRUE(probe().collections().empty()) << "create does not touch the database";

  ProcessResult status = run_in_project({"status", "--uri", uri()});
  ASSERT_EQ(status.exit_code, 0) << describe(status);
  EXPECT_TRUE(contains(status.out, "1 pending")) << status.out;
  ProcessResult up = run_in_project({"up", "--uri", uri()});
  ASSERT_EQ(up.exit_code, 0) << describe(up);
  EXPECT_TRUE(contains(up.out, "1 applied")) << up.out;
}

TEST_F(CliProjectTest, CreateFollowsASequenceAndItsWidth) {
  write_migration("001-a.json", "{\"up\": []}");
  write_migration("006-b.json", "{\"up\": []}");
  ProcessResult create = cli({"create", "--dir", dir(), "backfill", "users"}, {}, false);
  ASSERT_EQ(create.exit_code, 0) << describe(create);
  EXPECT_EQ(create.out, dir() + "/007-backfill-users.json\n");
  EXPECT_EQ(create.err, "");

  ProcessResult cpp = cli({"create", "--dir", dir(), "--type", "cpp", "Normalise \"phones\""}, {}, false);
  ASSERT_EQ(cpp.exit_code, 0) << describe(cpp);
  EXPECT_EQ(cpp.out, dir() + "/008-normalise-phones.cc\n");
  EXPECT_TRUE(contains(cpp.err, "a C++ migration runs only in a migrator built with mongomigrate_add_migrator()"))
      << "the stock binary never reads it: " << describe(cpp);
  std::string source = read(dir() + "/008-normalise-phones.cc");
  EXPECT_TRUE(contains(source, "MONGOMIGRATE_MIGRATION(\"Normalise \\\"phones\\\"\", up, down);")) << source;
  // It compiles as mongomigrate_add_migrator() builds it, warnings as errors.
  ProcessResult compiled = run_process({MONGOMIGRATE_CXX_COMPILER, "-std=c++23", "-fsyntax-only", "-Wall", "-Wextra",
                                        "-Wpedantic", "-Werror", std::string("-I") + MONGOMIGRATE_SOURCE_DIR + "/include",
                                        "-DMONGOMIGRATE_FILE_NAME=\"008-normalise-phones.cc\"",
                                        "-DMONGOMIGRATE_FILE_SHA256=\"00\"", dir() + "/008-normalise-phones.cc"});
  EXPECT_EQ(compiled.exit_code, 0) << describe(compiled);

  ProcessResult json = cli({"create", "--dir", dir(), "--json", "third"}, {}, false);
  ASSERT_EQ(json.exit_code, 0) << describe(json);
  EXPECT_TRUE(contains(json.out, "\"name\":\"009-third.json\"")) << json.out;

  ProcessResult bad_type = cli({"create", "--dir", dir(), "--type", "sql", "x"}, {}, false);
  EXPECT_EQ(bad_type.exit_code, 2) << describe(bad_type);
}

TEST_F(CliProjectTest, CreateInAnEmptyDirectoryUsesASequenceWhenTheConfigSaysSo) {
  write_config("dir = \"m\"\nnaming = \"sequence\"\n");
  fs::create_directory(project() + "/m");
  ProcessResult create = run_in_project({"create", "first"});
  ASSERT_EQ(create.exit_code, 0) << describe(create);
  EXPECT_EQ(create.out, "m/001-first.json\n");
}

TEST_F(CliProjectTest, CreateInAMixedDirectorySaysWhichConventionItChoseAndWhy) {
  write_migration("001-a.json", "{\"up\": []}");
  write_migration("002-b.json", "{\"up\": []}");
  write_migration("20240115093000-c.json", "{\"up\": []}");
  ProcessResult create = cli({"create", "--dir", dir(), "next"}, {}, false);
  ASSERT_EQ(create.exit_code, 0) << describe(create);
  EXPECT_EQ(create.out, dir() + "/003-next.json\n");
  EXPECT_TRUE(contains(create.err, "mixes naming conventions (1 named by timestamp, 2 by sequence number)")) << create.err;
  EXPECT_TRUE(contains(create.err, "using a sequence number, the majority")) << create.err;

  write_migration("20240116093000-d.json", "{\"up\": []}");  // now 3 sequence, 2 timestamp
  write_migration("20240117093000-e.json", "{\"up\": []}");  // 3 and 3: a tie
  ProcessResult tie = cli({"create", "--dir", dir(), "after", "tie"}, {}, false);
  ASSERT_EQ(tie.exit_code, 0) << describe(tie);
  EXPECT_TRUE(std::regex_search(tie.out, std::regex("/20[0-9]{12}-after-tie\\.json\n$"))) << tie.out;
  EXPECT_TRUE(contains(tie.err, "a tie goes to timestamps")) << tie.err;
}

TEST_F(CliProjectTest, CreateRefusesABadDescriptionOrDirectoryAndWritesNothing) {
  fs::create_directory(project() + "/migrations");
  expect_usage_error({"create", ""}, {"description is empty"});
  expect_usage_error({"create", "   "}, {"description is empty"});
  expect_usage_error({"create", "../../etc/passwd"}, {"looks like a path"});
  expect_usage_error({"create", "migrations/001-x"}, {"looks like a path"});
  expect_usage_error({"create", "!!!"}, {"no ASCII letter or digit"});
  expect_usage_error({"create", "x", "--dir", "nowhere"}, {"nowhere", "does not exist", "init"});
  EXPECT_TRUE(files_in(project() + "/migrations").empty());
  EXPECT_FALSE(fs::exists(project() + "/etc"));
  ProcessResult missing = run_in_project({"create"});
  EXPECT_EQ(missing.exit_code, 2) << describe(missing);
}

// ---- config ----------------------------------------------------------------

TEST_F(CliProjectTest, ConfigFileSettingsAreUsedByEveryCommand) {
  write_config("uri = \"" + uri() + "\"\ndir = \"db\"\ncollection = \"${LOG_NAME}\"\nlock_timeout = \"1m30s\"\n");
  fs::create_directory(project() + "/db");
  std::ofstream(project() + "/db/001-a.json") << R"({"up": [{"insert": "things", "documents": [{"_id": "a"}]}]})";
  ProcessOptions env;
  env.env["LOG_NAME"] = "mylog";
  ProcessResult up = run_in_project({"up"}, env);
  ASSERT_EQ(up.exit_code, 0) << describe(up);
  EXPECT_EQ(probe().count("mylog", R"({"name": "001-a.json", "status": "applied"})"), 1);
  EXPECT_EQ(probe().count("things"), 1);
}

TEST_F(CliProjectTest, ParallelInTheConfigFileIsANumberOrAString) {
  write_config("parallel = 8\n\n[env.small]\nparallel = \"2\"\n");
  ProcessResult number = run_in_project({"config", "--json"});
  ASSERT_EQ(number.exit_code, 0) << describe(number);
  EXPECT_TRUE(contains(number.out, R"("parallel":{"value":"8","source":"file","origin":"mongo-migrate.toml:1"})"))
      << number.out;
  ProcessResult text = run_in_project({"config", "--json", "--env", "small"});
  ASSERT_EQ(text.exit_code, 0) << describe(text);
  EXPECT_TRUE(contains(text.out, R"("parallel":{"value":"2","source":"file","origin":"mongo-migrate.toml:4 [env.small]"})"))
      << text.out;
}

TEST_F(CliProjectTest, FlagBeatsEnvironmentBeatsFileBeatsDefaultAndConfigSaysWhich) {
  write_config("uri = \"mongodb://app:${DB_PASSWORD}@file-host:27017/filedb\"\ncollection = \"filelog\"\n\n"
               "[env.staging]\ncollection = \"staginglog\"\nby = \"stager\"\n");
  ProcessOptions env;
  env.env["DB_PASSWORD"] = "Sup3rSecret";
  ProcessResult file = run_in_project({"config"}, env);
  ASSERT_EQ(file.exit_code, 0) << describe(file);
  EXPECT_TRUE(std::regex_search(file.out, std::regex("uri +mongodb://app:\\*\\*\\*\\*\\*@file-host:27017/filedb +file "
                                                     "\\(mongo-migrate.toml:1\\)")))
      << file.out;
  EXPECT_TRUE(std::regex_search(file.out, std::regex("collection +filelog +file \\(mongo-migrate.toml:2\\)"))) << file.out;
  EXPECT_TRUE(std::regex_search(file.out, std::regex("dir +migrations +default"))) << file.out;
  EXPECT_TRUE(std::regex_search(file.out, std::regex("db +filedb \\(the URI's path\\) +default"))) << file.out;
  EXPECT_FALSE(contains(file.out + file.err, "Sup3rSecret")) << "the password is redacted";

  env.env["MONGODB_URI"] = "mongodb://env-host:27017/envdb";
  env.env["MONGO_MIGRATE_ENV"] = "staging";
  ProcessResult environment = run_in_project({"config", "--json"}, env);
  ASSERT_EQ(environment.exit_code, 0) << describe(environment);
  EXPECT_TRUE(contains(environment.out, R"("uri":{"value":"mongodb://env-host:27017/envdb","source":"environment","origin":"MONGODB_URI"})"))
      << environment.out;
  EXPECT_TRUE(contains(environment.out, R"("collection":{"value":"staginglog","source":"file","origin":"mongo-migrate.toml:5 [env.staging]"})"))
      << environment.out;
  EXPECT_TRUE(contains(environment.out, R"("env":"staging")")) << environment.out;

  ProcessResult flag = run_in_project({"config", "--json", "--uri", "mongodb://u:FlagPass@flag-host/x", "--collection",
                                       "flaglog", "--env", "staging"},
                                      env);
  ASSERT_EQ(flag.exit_code, 0) << describe(flag);
  EXPECT_TRUE(contains(flag.out, R"("uri":{"value":"mongodb://u:*****@flag-host/x","source":"flag","origin":"--uri"})"))
      << flag.out;
  EXPECT_TRUE(contains(flag.out, R"("collection":{"value":"flaglog","source":"flag","origin":"--collection"})"))
      << flag.out;
  EXPECT_TRUE(contains(flag.out, R"("by":{"value":"stager","source":"file")")) << flag.out;
  EXPECT_FALSE(contains(flag.out, "FlagPass")) << flag.out;

  // The staging table names its own URI, and MONGODB_URI another: refused.
  write_config("uri = \"mongodb://file-host/filedb\"\n\n[env.staging]\nuri = \"mongodb://staging-host/app\"\n");
  ProcessResult clash = run_in_project({"status"}, env);
  EXPECT_EQ(clash.exit_code, 2) << describe(clash);
  EXPECT_EQ(clash.err, "mongo-migrate: MONGODB_URI and mongo-migrate.toml:4 [env.staging] both set uri, to different "
                       "values: unset MONGODB_URI or give --uri\n");
  EXPECT_TRUE(probe().collections().empty());
}

// `config` shows values as they may be printed: a control character from
// the file is escaped, not sent to the terminal.
TEST_F(CliProjectTest, ConfigShowsValuesEscaped) {
  write_config("dir = \"\\u001b[31mRED\\u001b[0m\"\nby = \"a\\nb\"\n");
  ProcessResult config = run_in_project({"config"});
  ASSERT_EQ(config.exit_code, 0) << describe(config);
  EXPECT_TRUE(contains(config.out, "\\x1b[31mRED\\x1b[0m")) << config.out;
  EXPECT_TRUE(contains(config.out, "a\\nb")) << config.out;
  EXPECT_FALSE(contains(config.out, "\x1b")) << "no raw escape";
}

TEST_F(CliProjectTest, ConfigErrorsNameTheFileLineAndKeyAndNothingIsWritten) {
  std::vector<std::string> status = {"status", "--uri", uri()};
  auto with = [](std::vector<std::string> args, std::string extra) {
    args.push_back(std::move(extra));
    return args;
  };

  write_config("dir = \"migrations\"\nurl = \"mongodb://x\"\n");
  expect_usage_error(status, {"mongo-migrate.toml:2", "url", "unknown key"});
  expect_usage_error({"up", "--uri", uri()}, {"mongo-migrate.toml:2", "url"});

  write_config("[env.prod]\nlock_timeout = true\n");
  expect_usage_error(status, {"mongo-migrate.toml:2", "env.prod.lock_timeout", "not a boolean"});

  write_config("lock_timeout = \"forever\"\n");
  expect_usage_error(status, {"mongo-migrate.toml:1", "lock_timeout", "not a duration"});
  // In a table not chosen, and under a flag that overrides it: found all the
  // same, before the deploy that chooses that table.
  write_config("[env.prod]\nlock_lease = \"bad\"\nnaming = \"dates\"\n");
  expect_usage_error(status, {"mongo-migrate.toml:2", "env.prod.lock_lease", "\"bad\" is not a duration"});
  write_config("lock_lease = \"bad\"\n");
  expect_usage_error(with(status, "--lock-lease=30s"), {"mongo-migrate.toml:1", "lock_lease", "not a duration"});
  write_config("[env.prod]\nnaming = \"dates\"\n");
  expect_usage_error({"config"}, {"mongo-migrate.toml:2", "env.prod.naming", "neither \"timestamp\" nor \"sequence\""});

  write_config("parallel = 0\n");
  expect_usage_error(status, {"mongo-migrate.toml:1", "parallel", "\"0\" is not a whole number of 1 or more"});
  write_config("parallel = 2.5\n");
  expect_usage_error(status, {"mongo-migrate.toml:1", "parallel", "expected a whole number of 1 or more"});
  write_config("");
  ProcessOptions parallel_env;
  parallel_env.env["MONGO_MIGRATE_PARALLEL"] = "none";
  expect_usage_error(status, {"MONGO_MIGRATE_PARALLEL \"none\"", "1 or more"}, parallel_env);

  write_config("dir = \"migrations\"\nuri = \"mongodb://u:${NOT_SET_ANYWHERE}@h/db\"\n");
  expect_usage_error({"status"}, {"mongo-migrate.toml:2", "uri", "${NOT_SET_ANYWHERE} is not set"});
  expect_usage_error({"config"}, {"mongo-migrate.toml:2", "uri", "${NOT_SET_ANYWHERE} is not set"});
  // Only a value that is used is expanded: --uri overrides this one (and the directory is missing).
  expect_usage_error(status, {"migration directory", "does not exist"});

  // A deploy's --uri naming one database under a file's db naming another;
  // `config` still shows them, and a fan-out selects with neither.
  write_config("dir = \"migrations\"\ndb = \"staging\"\n");
  expect_usage_error({"up", "--uri", "mongodb://127.0.0.1:1/prod"},
                     {"the URI from --uri names database \"prod\" but db from mongo-migrate.toml:2 says \"staging\""});
  EXPECT_EQ(run_in_project({"config", "--uri", "mongodb://127.0.0.1:1/prod"}).exit_code, 0);
  fs::create_directory(project() + "/migrations");
  ProcessResult fan = run_in_project({"status", "--dbs", db(), "--uri", uri()});
  EXPECT_TRUE(contains(fan.out, db() + "  error: database " + db() + " does not exist"))
      << "it went as far as the database\n" << describe(fan);
  EXPECT_FALSE(contains(fan.err, "give --db to choose")) << describe(fan);
  fs::remove(project() + "/migrations");

  write_config("dir = \"migrations\"\n\n[env.prod]\ndb = \"p\"\n");
  expect_usage_error(with(status, "--env=staging"), {"mongo-migrate.toml", "[env.staging]", "it has prod"});
  ProcessOptions env;
  env.env["MONGO_MIGRATE_ENV"] = "nope";
  expect_usage_error(status, {"MONGO_MIGRATE_ENV nope", "[env.nope]"}, env);

  write_config("dir = \"migrations\n");
  expect_usage_error(status, {"mongo-migrate.toml:1", "invalid TOML"});
  expect_usage_error({"config", "--json"}, {"mongo-migrate.toml:1"});

  fs::remove(project() + "/mongo-migrate.toml");
  expect_usage_error(with(status, "--env=prod"), {"--env prod", "mongo-migrate.toml does not exist"});
}

TEST_F(CliProjectTest, AnUnreadableConfigIsAnError) {
  std::vector<std::string> status = {"status", "--uri", uri()};
  status.push_back("--config");
  status.push_back("missing.toml");
  expect_usage_error(status, {"cannot read the config file missing.toml"});

  fs::create_directory(project() + "/adir.toml");
  ProcessOptions env;
  env.env["MONGO_MIGRATE_CONFIG"] = "adir.toml";
  expect_usage_error({"status", "--uri", uri()}, {"cannot read the config file adir.toml", "not a regular file"}, env);

  fs::create_directory(project() + "/mongo-migrate.toml");
  expect_usage_error({"status", "--uri", uri()}, {"cannot read the config file mongo-migrate.toml"});
}

TEST_F(CliProjectTest, DurationsTakeGoForms) {
  ProcessResult status = cli({"status", "--lock-timeout", "1m30s", "--lock-lease", "1.5s", "--lock-renew", "500ms"});
  EXPECT_EQ(status.exit_code, 0) << describe(status);
  ProcessResult bad = cli({"status", "--lock-timeout", "1.0005s"});
  EXPECT_EQ(bad.exit_code, 2) << describe(bad);
}

}  // namespace
}  // namespace mongomigrate::testing
