#include "new_file.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/temp_dir.h"

namespace mongomigrate::cli {
namespace {

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(WriteNewFile, WritesAFileThatDoesNotExist) {
  testing::TempDir dir;
  std::string path = dir.path() + "/001-x.json";
  ASSERT_TRUE(write_new_file(path, "hello\n", "migration file"));
  EXPECT_EQ(read(path), "hello\n");
}

TEST(WriteNewFile, NeverOverwritesAFileOrFollowsASymlink) {
  testing::TempDir dir;
  std::string path = dir.write("001-x.json", "mine\n");
  auto again = write_new_file(path, "theirs\n", "migration file");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().kind, ErrorKind::kUsage);
  EXPECT_EQ(again.error().message, path + " already exists; it was left as it is (never overwritten)");
  EXPECT_EQ(read(path), "mine\n");

  std::string link = dir.path() + "/002-y.json";
  std::string target = dir.path() + "/elsewhere";
  ASSERT_EQ(::symlink(target.c_str(), link.c_str()), 0);
  EXPECT_FALSE(write_new_file(link, "x", "migration file"));
  EXPECT_FALSE(std::filesystem::exists(target)) << "a dangling symlink is not followed";
}

TEST(WriteNewFile, AMissingDirectoryIsAnError) {
  testing::TempDir dir;
  auto r = write_new_file(dir.path() + "/no/such/dir/f.json", "x", "config file");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("cannot create the config file"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace mongomigrate::cli
