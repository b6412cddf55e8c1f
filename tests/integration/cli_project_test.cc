// Everyday settings (issue 16, item 7): `config` and mongo-migrate.toml,
// through the real binary.
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

  write_config("dir = \"migrations\"\nuri = \"mongodb://u:${NOT_SET_ANYWHERE}@h/db\"\n");
  expect_usage_error({"status"}, {"mongo-migrate.toml:2", "uri", "${NOT_SET_ANYWHERE} is not set"});
  expect_usage_error({"config"}, {"mongo-migrate.toml:2", "uri", "${NOT_SET_ANYWHERE} is not set"});
  // Only a value that is used is expanded: --uri overrides this one (and the directory is missing).
  expect_usage_error(status, {"migration directory", "does not exist"});

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
