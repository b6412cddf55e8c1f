// The compiled-in source (src/source/compiled_source.h): the registered C++
// migrations as catalog entries, and their merge with the directory's.
#include "source/compiled_source.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace mongomigrate::source {
namespace {

CompiledMigration compiled(std::string name) {
  return CompiledMigration{.name = std::move(name), .checksum = std::string(64, 'a'), .description = "",
                           .up = [](Context&) {}, .down = {}};
}

TEST(LoadCompiled, SortsByNameAndDerivesTheVersion) {
  std::vector<CompiledMigration> registered = {compiled("002-b.cc"), compiled("001-a.cc")};
  auto catalog = load_compiled(registered);
  ASSERT_TRUE(catalog) << catalog.error().message;
  ASSERT_EQ(catalog->size(), 2u);
  EXPECT_EQ((*catalog)[0].name, "001-a.cc");
  EXPECT_EQ((*catalog)[0].version, "001");
  EXPECT_EQ((*catalog)[0].compiled, &registered[1]);
}

TEST(LoadCompiled, TheSameMigrationTwiceIsRefused) {
  auto twice = load_compiled({compiled("001-a.cc"), compiled("001-a.cc")});
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().kind, ErrorKind::kBadInput);
  EXPECT_EQ(twice.error().message, "the migration 001-a.cc is compiled in twice");
}

// 001-x.cc and 001-x.cpp are one migration twice: `run 001-x` could not tell
// them apart.
TEST(LoadCompiled, NamesThatDifferOnlyInTheirExtensionAreRefused) {
  auto both = load_compiled({compiled("001-x.cpp"), compiled("001-x.cc")});
  ASSERT_FALSE(both);
  EXPECT_EQ(both.error().kind, ErrorKind::kBadInput);
  EXPECT_EQ(both.error().message, "two migrations named 001-x: 001-x.cc and 001-x.cpp; remove or rename one");
}

}  // namespace
}  // namespace mongomigrate::source
