// scripts/merge-golang-migrate.py (docs/migrating.md): golang-migrate's
// N_title.up.json / .down.json pairs become files this tool's directory
// source loads, with the commands as written and versions padded so that
// byte-wise order is numeric order.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "source/directory_source.h"
#include "source/json_migration.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace mongomigrate::testing {
namespace {

ProcessResult merge(const std::string& source, const std::string& dest) {
  return run_process({"/usr/bin/env", "python3", std::string(MONGOMIGRATE_SOURCE_DIR) + "/scripts/merge-golang-migrate.py",
                      source, dest});
}

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> entries(const std::string& dir) {
  std::vector<std::string> names;
  if (!std::filesystem::exists(dir)) return names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

TEST(MergeGolangMigrate, EachPairBecomesOneMigrationTheDirectorySourceLoads) {
  TempDir golang, ours;
  golang.write("1_create_users.up.json", R"([{"create": "users"}])");
  golang.write("1_create_users.down.json", R"([{"drop": "users"}])");
  golang.write("2_add_counter.up.json",
               R"([{"insert": "counters", "documents": [{"_id": "c", "n": {"$numberLong": "5"}}]}])");
  golang.write("10_backfill.up.json", "  \n");  // empty: no commands
  golang.write("10_backfill.down.json", "[]");
  golang.write("README.md", "not a migration");

  ProcessResult r = merge(golang.path(), ours.path() + "/out");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(entries(ours.path() + "/out"),
            (std::vector<std::string>{"01_create_users.json", "02_add_counter.json", "10_backfill.json"}))
      << "padded: byte-wise order is golang-migrate's numeric order";

  auto catalog = source::load_directory(ours.path() + "/out");
  ASSERT_TRUE(catalog) << catalog.error().message;
  ASSERT_EQ(catalog->size(), 3u);
  const core::Migration& create = (*catalog)[0];
  EXPECT_EQ(create.description, "create users");
  ASSERT_EQ(create.up.size(), 1u);
  EXPECT_NE(source::command_json(create.up[0]).find("\"create\""), std::string::npos);
  ASSERT_TRUE(create.down.has_value());
  EXPECT_EQ(create.down->size(), 1u);
  const core::Migration& counter = (*catalog)[1];
  EXPECT_FALSE(counter.down.has_value()) << "no .down.json: irreversible, as under golang-migrate";
  EXPECT_NE(read(ours.path() + "/out/02_add_counter.json").find(R"({"$numberLong": "5"})"), std::string::npos)
      << "commands are copied as written";
  EXPECT_TRUE((*catalog)[2].up.empty());
  ASSERT_TRUE((*catalog)[2].down.has_value());

  ProcessResult again = merge(golang.path(), ours.path() + "/out");
  EXPECT_EQ(again.exit_code, 0) << "identical files are left as they are: " << again.err;
}

TEST(MergeGolangMigrate, RefusesBadInputWritingNothing) {
  TempDir golang, ours;
  golang.write("1_a.up.json", R"([{"create": "a"}])");
  golang.write("2_b.up.json", R"({"create": "b"})");  // an object, not an array
  ProcessResult not_array = merge(golang.path(), ours.path() + "/out");
  EXPECT_EQ(not_array.exit_code, 1);
  EXPECT_NE(not_array.err.find("2_b.up.json"), std::string::npos) << not_array.err;
  EXPECT_TRUE(entries(ours.path() + "/out").empty()) << "nothing written";

  golang.write("2_b.up.json", R"([{"create": "b"},)");
  ProcessResult invalid = merge(golang.path(), ours.path() + "/out");
  EXPECT_EQ(invalid.exit_code, 1);
  EXPECT_NE(invalid.err.find("invalid JSON"), std::string::npos) << invalid.err;

  golang.write("2_b.up.json", R"([{"create": "b"}])");
  ours.write("out/1_a.json", "edited by hand");
  ProcessResult exists = merge(golang.path(), ours.path() + "/out");
  EXPECT_EQ(exists.exit_code, 1);
  EXPECT_NE(exists.err.find("exists with other content"), std::string::npos) << exists.err;
  EXPECT_EQ(entries(ours.path() + "/out"), std::vector<std::string>{"1_a.json"});
  EXPECT_EQ(read(ours.path() + "/out/1_a.json"), "edited by hand");

  TempDir down_only;
  down_only.write("3_c.down.json", "[]");
  ProcessResult lone = merge(down_only.path(), ours.path() + "/other");
  EXPECT_EQ(lone.exit_code, 1);
  EXPECT_NE(lone.err.find("has no .up.json"), std::string::npos) << lone.err;
}

}  // namespace
}  // namespace mongomigrate::testing
