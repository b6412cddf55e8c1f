#include "support/integration.h"

#include <unistd.h>

#include <atomic>
#include <cctype>

namespace mongomigrate::testing {

std::string unique_database_name() {
  static std::atomic<int> counter{0};
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string base = info ? std::string(info->test_suite_name()) + "_" + info->name() : "test";
  std::string clean;
  for (char c : base) clean.push_back(std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
  if (clean.size() > 40) clean.resize(40);
  return "t_" + clean + "_" + std::to_string(getpid()) + "_" + std::to_string(counter++);
}

std::string cli_binary() {
  if (const char* env = std::getenv("MONGO_MIGRATE_BIN"); env && *env) return env;
  return MONGOMIGRATE_CLI_BIN;
}

void IntegrationTest::SetUp() {
  db_ = unique_database_name();
  uri_ = server().uri(db_);
}

std::vector<std::string> IntegrationTest::cli_argv(const std::string& binary, std::vector<std::string> args,
                                                   ProcessOptions& options, bool with_defaults) {
  std::vector<std::string> argv = {binary};
  argv.insert(argv.end(), args.begin(), args.end());
  if (with_defaults) {
    argv.insert(argv.end(), {"--uri", uri_, "--dir", dir()});
  }
  options.env.try_emplace("MONGODB_URI", std::nullopt);
  options.env.try_emplace("MONGO_MIGRATE_CONFIG", std::nullopt);
  options.env.try_emplace("MONGO_MIGRATE_ENV", std::nullopt);
  options.env.try_emplace("NO_COLOR", "1");
  return argv;
}

ProcessResult IntegrationTest::cli(std::vector<std::string> args, ProcessOptions options, bool with_defaults) {
  return run_binary(cli_binary(), std::move(args), std::move(options), with_defaults);
}

ProcessResult IntegrationTest::run_binary(const std::string& binary, std::vector<std::string> args,
                                          ProcessOptions options, bool with_defaults) {
  std::vector<std::string> argv = cli_argv(binary, std::move(args), options, with_defaults);
  return run_process(argv, options);
}

std::unique_ptr<BackgroundProcess> IntegrationTest::cli_background(std::vector<std::string> args,
                                                                   ProcessOptions options, bool with_defaults) {
  std::vector<std::string> argv = cli_argv(cli_binary(), std::move(args), options, with_defaults);
  return std::make_unique<BackgroundProcess>(argv, options);
}

DbProbe& IntegrationTest::probe() {
  if (!probe_) probe_ = std::make_unique<DbProbe>(uri_, db_);
  return *probe_;
}

std::string describe(const ProcessResult& r) {
  return "exit " + std::to_string(r.exit_code) + (r.timed_out ? " (timed out)" : "") + "\nstdout: " + r.out +
         "\nstderr: " + r.err;
}

std::vector<std::string> with_short_lease(std::vector<std::string> args, const char* renew) {
  args.insert(args.end(), {"--lock-lease", "2s", "--lock-renew", renew});
  return args;
}

ProcessOptions bounded(std::chrono::milliseconds timeout) {
  ProcessOptions options;
  options.timeout = timeout;
  return options;
}

}  // namespace mongomigrate::testing
