// The pure half of the fan-out: --dbs and --dbs-from parsing, the regex
// filter and the order in which databases' exit codes combine.
#include "core/database_selection.h"

#include <gtest/gtest.h>

#include <vector>

namespace mongomigrate::core {
namespace {

using Names = std::vector<std::string>;

TEST(DatabaseSelection, ParsesACommaListTrimmingSpaces) {
  auto names = parse_database_list(" a, b ,c\t");
  ASSERT_TRUE(names) << names.error();
  EXPECT_EQ(*names, (Names{"a", "b", "c"}));
}

TEST(DatabaseSelection, RefusesEmptyListsEmptyNamesAndNamesMongoCannotHold) {
  EXPECT_FALSE(parse_database_list(""));
  EXPECT_FALSE(parse_database_list("  "));
  auto empty_name = parse_database_list("a,,b");
  ASSERT_FALSE(empty_name);
  EXPECT_NE(empty_name.error().find("empty database name"), std::string::npos) << empty_name.error();
  EXPECT_FALSE(parse_database_list("a,"));
  EXPECT_FALSE(parse_database_list("tenant/1"));
  EXPECT_FALSE(parse_database_list("tenant.1"));
  EXPECT_FALSE(parse_database_list("a b"));
  EXPECT_FALSE(parse_database_list(std::string(64, 'x')));
}

TEST(DatabaseSelection, ReadsOneNameALineSkippingBlanksAndComments) {
  auto names = parse_database_lines("# tenants\n\ntenant_a\n  tenant_b  \r\n   # gone: tenant_c\ntenant_d", "dbs.txt");
  ASSERT_TRUE(names) << names.error();
  EXPECT_EQ(*names, (Names{"tenant_a", "tenant_b", "tenant_d"}));
  auto none = parse_database_lines("# nothing yet\n\n", "dbs.txt");
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
}

TEST(DatabaseSelection, AFileLineMongoCannotHoldIsNamedWithItsLine) {
  auto names = parse_database_lines("ok\nbad.name\n", "dbs.txt");
  ASSERT_FALSE(names);
  EXPECT_EQ(names.error().rfind("dbs.txt:2: ", 0), 0u) << names.error();
}

// What Windows editors and web pages slip into a name: a byte-order mark at
// the file's start is skipped; an invisible character in a name is refused,
// for it would name a new database that prints like the one meant.
TEST(DatabaseSelection, AByteOrderMarkIsSkippedAndInvisibleCharactersAreRefused) {
  auto names = parse_database_lines("\xEF\xBB\xBFtenant_a\r\ntenant_b\r\n", "dbs.txt");
  ASSERT_TRUE(names) << names.error();
  EXPECT_EQ(*names, (Names{"tenant_a", "tenant_b"}));
  for (const char* invisible : {"\xEF\xBB\xBF", "\xE2\x80\x8B", "\xC2\xA0", "\xE2\x81\xA0", "\xC2\xAD"}) {
    std::string name = std::string("tenant") + invisible + "_a";
    auto listed = parse_database_list(name);
    ASSERT_FALSE(listed) << name;
    EXPECT_NE(listed.error().find("holds an invisible character (U+"), std::string::npos) << listed.error();
    auto lined = parse_database_lines("tenant_b\n" + name + "\n", "dbs.txt");
    ASSERT_FALSE(lined) << name;
    EXPECT_EQ(lined.error().rfind("dbs.txt:2: ", 0), 0u) << lined.error();
  }
  EXPECT_EQ(parse_database_list("tenant\xE2\x80\x8B_a").error(),
            "--dbs: database name \"tenant\u200B_a\" holds an invisible character (U+200B): retype it");
  // Letters beyond ASCII are names like any other.
  EXPECT_TRUE(parse_database_list("kunde_m\xC3\xBCller"));
}

TEST(DatabaseSelection, NamesThatDifferOnlyInCaseAreOneTooMany) {
  EXPECT_EQ(case_clash_problem({"tenant_a", "Tenant_B", "tenant_a"}), "");
  EXPECT_EQ(case_clash_problem({"tenant_a", "x", "Tenant_A"}),
            "databases \"tenant_a\" and \"Tenant_A\" differ only in case: MongoDB holds only one of such names");
}

TEST(DatabaseSelection, FiltersWithRegexSearchSortsAndDeduplicates) {
  auto filter = DatabaseFilter::make("^tenant_", "_archived$");
  ASSERT_TRUE(filter) << filter.error();
  Names selected = select_databases({"tenant_b", "other", "tenant_a", "tenant_b", "tenant_c_archived", "x_tenant_d"},
                                    *filter, true);
  EXPECT_EQ(selected, (Names{"tenant_a", "tenant_b"}));
  // Unanchored: a match anywhere in the name.
  auto anywhere = DatabaseFilter::make("ten", "");
  ASSERT_TRUE(anywhere);
  EXPECT_TRUE(anywhere->keeps("x_tenant"));
  EXPECT_FALSE(anywhere->keeps("other"));
}

TEST(DatabaseSelection, SystemDatabasesAreDroppedOnlyWhenAsked) {
  auto all = DatabaseFilter::make("", "");
  ASSERT_TRUE(all);
  EXPECT_EQ(select_databases({"config", "b", "admin", "local", "a"}, *all, true), (Names{"a", "b"}));
  EXPECT_EQ(select_databases({"admin", "a"}, *all, false), (Names{"a", "admin"}));
}

TEST(DatabaseSelection, AnInvalidRegexIsAnErrorNamingTheOption) {
  auto bad_match = DatabaseFilter::make("(", "");
  ASSERT_FALSE(bad_match);
  EXPECT_EQ(bad_match.error().rfind("--match \"(\"", 0), 0u) << bad_match.error();
  auto bad_exclude = DatabaseFilter::make("", "[a-");
  ASSERT_FALSE(bad_exclude);
  EXPECT_EQ(bad_exclude.error().rfind("--exclude", 0), 0u) << bad_exclude.error();
}

TEST(DatabaseSelection, TheWorstExitCodeFollowsTheDocumentedOrder) {
  EXPECT_EQ(worst_exit_code(std::vector<int>{}), 0);
  EXPECT_EQ(worst_exit_code(std::vector<int>{0, 0}), 0);
  EXPECT_EQ(worst_exit_code(std::vector<int>{0, 5}), 5);
  EXPECT_EQ(worst_exit_code(std::vector<int>{5, 1, 0}), 1);
  EXPECT_EQ(worst_exit_code(std::vector<int>{1, 4}), 4);
  EXPECT_EQ(worst_exit_code(std::vector<int>{4, 3, 1}), 3);
  EXPECT_EQ(worst_exit_code(std::vector<int>{3, 2}), 2);
  EXPECT_EQ(worst_exit_code(std::vector<int>{2, 130, 1}), 130);
  EXPECT_EQ(worst_exit_code(std::vector<int>{143, 2}), 143);
  EXPECT_EQ(worst_exit_code(std::vector<int>{0, 4, 0}), 4);
}

}  // namespace
}  // namespace mongomigrate::core
