// default_actor() without $USER reads the password database; every database
// of a fan-out asks on its own thread, so it must not share getpwuid's one
// static entry with those threads, nor with any other caller of getpwuid.
#include <gtest/gtest.h>

#include <pwd.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "mongomigrate/options.h"

namespace mongomigrate {
namespace {

// $USER unset while it lives, as under cron or in a container; set again after.
class WithoutUser {
 public:
  WithoutUser() {
    if (const char* user = std::getenv("USER")) saved_ = user;
    unsetenv("USER");
  }
  ~WithoutUser() {
    if (saved_) setenv("USER", saved_->c_str(), 1);
  }
  WithoutUser(const WithoutUser&) = delete;
  WithoutUser& operator=(const WithoutUser&) = delete;

 private:
  std::optional<std::string> saved_;
};

TEST(DefaultActorTest, WithoutUserEveryThreadGetsTheSameNameAsOneThreadDoes) {
  WithoutUser no_user;  // before any thread starts: setenv is not thread-safe
  const std::string expected = default_actor();
  ASSERT_FALSE(expected.starts_with("@")) << expected;

  constexpr int kThreads = 8, kCalls = 1000;
  std::atomic<bool> finished{false};
  // Another user's entry looked up meanwhile, with getpwuid: a default_actor
  // that read getpwuid's static entry would now and then read that one.
  std::jthread other_lookups([&] {
    const uid_t other = getuid() == 0 ? 1 : 0;
    while (!finished.load()) (void)getpwuid(other);
  });
  std::vector<std::vector<std::string>> seen(kThreads);
  {
    std::vector<std::jthread> callers;
    for (int t = 0; t < kThreads; ++t) {
      callers.emplace_back([&seen, t] {
        for (int i = 0; i < kCalls; ++i) seen[static_cast<std::size_t>(t)].push_back(default_actor());
      });
    }
  }  // joined
  finished = true;
  for (const std::vector<std::string>& names : seen) {
    ASSERT_EQ(names.size(), static_cast<std::size_t>(kCalls));
    for (const std::string& name : names) ASSERT_EQ(name, expected);
  }
}

}  // namespace
}  // namespace mongomigrate
