// The base of every integration test: a database of its own on the test
// server (support/test_server.h), a temporary migration directory, and helpers to run the real
// mongo-migrate binary against them and to look at the database directly.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "support/db_probe.h"
#include "support/test_server.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace mongomigrate::testing {

// "t_<suite>_<test>_<pid>_<n>", sanitised and short enough for a database name.
std::string unique_database_name();

// The path of the mongo-migrate binary under test.
std::string cli_binary();

class IntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override;

  TestServer& server() { return TestServer::shared(); }
  const std::string& db() const { return db_; }
  const std::string& uri() const { return uri_; }
  const std::string& dir() const { return migrations_.path(); }

  // Writes a migration file into the test's migration directory.
  std::string write_migration(const std::string& name, const std::string& content) {
    return migrations_.write(name, content);
  }

  // Runs mongo-migrate with `args` followed by --uri/--dir for this test
  // (unless `with_defaults` is false). MONGODB_URI, MONGO_MIGRATE_CONFIG
  // and MONGO_MIGRATE_ENV are removed from the child's environment unless
  // `options` sets them.
  ProcessResult cli(std::vector<std::string> args, ProcessOptions options = {}, bool with_defaults = true);
  // The same, started in the background (to signal it or act on the
  // database while it runs); wait() for its result.
  std::unique_ptr<BackgroundProcess> cli_background(std::vector<std::string> args, ProcessOptions options = {},
                                                    bool with_defaults = true);
  // The same for another binary with mongo-migrate's command line (a
  // migrator built with mongomigrate_add_migrator()).
  ProcessResult run_binary(const std::string& binary, std::vector<std::string> args, ProcessOptions options = {},
                           bool with_defaults = true);

  DbProbe& probe();

 private:
  std::vector<std::string> cli_argv(const std::string& binary, std::vector<std::string> args, ProcessOptions& options,
                                    bool with_defaults);

  std::string db_;
  std::string uri_;
  TempDir migrations_;
  std::unique_ptr<DbProbe> probe_;
};

// For assertion messages: "exit N\nstdout: ...\nstderr: ...".
std::string describe(const ProcessResult& r);

// `args` with a 2 s lease renewed every `renew`, so that a dead runner's lease
// expires within a test.
std::vector<std::string> with_short_lease(std::vector<std::string> args, const char* renew = "300ms");
// Options that end a process still running after `timeout`.
ProcessOptions bounded(std::chrono::milliseconds timeout = std::chrono::seconds(60));

}  // namespace mongomigrate::testing
