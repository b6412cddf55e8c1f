#include "core/names.h"

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

namespace mongomigrate::core {
namespace {

using namespace std::string_view_literals;

TEST(DeriveVersion, TakesTheLeadingToken) {
  EXPECT_EQ(derive_version("001-add-user-email-index.json"), "001");
  EXPECT_EQ(derive_version("2024-01-15-backfill.json"), "2024-01-15");
  EXPECT_EQ(derive_version("v1.0.0-users.json"), "v1.0.0");
  EXPECT_EQ(derive_version("add-user-preferences.json"), "");
}

TEST(DeriveVersion, ShortExamplesFromTheSpec) {
  EXPECT_EQ(derive_version("001-x.json"), "001");
  EXPECT_EQ(derive_version("2024-01-15-x.json"), "2024-01-15");
  EXPECT_EQ(derive_version("v1.0.0-x.json"), "v1.0.0");
  EXPECT_EQ(derive_version("add-x.json"), "");
}

TEST(DeriveVersion, VersionIsTheWholeNameBeforeTheExtension) {
  EXPECT_EQ(derive_version("001.json"), "001");
  EXPECT_EQ(derive_version("v1.json"), "v1");
  EXPECT_EQ(derive_version("v1.0.0.json"), "v1.0.0");
  EXPECT_EQ(derive_version("2024-01-15.json"), "2024-01-15");
}

TEST(DeriveVersion, NumericTokens) {
  EXPECT_EQ(derive_version("20240115-x.json"), "20240115");
  EXPECT_EQ(derive_version("1-x.json"), "1");
  EXPECT_EQ(derive_version("001_underscore.json"), "001");
  EXPECT_EQ(derive_version("0042.extra.json"), "0042");
}

TEST(DeriveVersion, VPrefixedTokens) {
  EXPECT_EQ(derive_version("v2-x.json"), "v2");
  EXPECT_EQ(derive_version("V3-upper.json"), "V3");
  EXPECT_EQ(derive_version("v10.20-x.json"), "v10.20");
  EXPECT_EQ(derive_version("v1_2-x.json"), "v1");
  // A trailing dot that is not followed by a digit is not part of the version.
  EXPECT_EQ(derive_version("v1.-x.json"), "v1");
}

TEST(DeriveVersion, WorksWithoutAnExtension) {
  EXPECT_EQ(derive_version("001-x"), "001");
  EXPECT_EQ(derive_version("v1.0.0-x"), "v1.0.0");
  EXPECT_EQ(derive_version("v1.2"), "v1.2");
  EXPECT_EQ(derive_version("2024-01-15"), "2024-01-15");
}

TEST(DeriveVersion, DescriptiveNamesHaveNoVersion) {
  EXPECT_EQ(derive_version(""), "");
  EXPECT_EQ(derive_version(".json"), "");
  EXPECT_EQ(derive_version("x.json"), "");
  EXPECT_EQ(derive_version("v.json"), "");
  EXPECT_EQ(derive_version("version-x.json"), "");
  EXPECT_EQ(derive_version("vx-1.json"), "");
  // A digit run glued to letters is not a token.
  EXPECT_EQ(derive_version("001x.json"), "");
  EXPECT_EQ(derive_version("123abc-x.json"), "");
  EXPECT_EQ(derive_version("v1a-x.json"), "");
}

TEST(DeriveVersion, NearDatesFallBackToTheLeadingNumber) {
  // Not YYYY-MM-DD: the leading digit run is the version.
  EXPECT_EQ(derive_version("2024-1-15-x.json"), "2024");
  EXPECT_EQ(derive_version("2024-01-15x.json"), "2024");
}

TEST(NameProblem, AcceptsOrdinaryNames) {
  EXPECT_EQ(name_problem("001-x.json"), "");
  EXPECT_EQ(name_problem("2024-01-15-backfill.json"), "");
  EXPECT_EQ(name_problem("v1.0.0-users.json"), "");
  EXPECT_EQ(name_problem("a.b.json"), "");
  EXPECT_EQ(name_problem("with space.json"), "");
  EXPECT_EQ(name_problem("\xc3\xa9t\xc3\xa9.json"), "");  // UTF-8 is not a control character
}

TEST(NameProblem, RejectsEmpty) { EXPECT_NE(name_problem(""), ""); }

TEST(NameProblem, RejectsPathSeparators) {
  EXPECT_NE(name_problem("a/b.json"), "");
  EXPECT_NE(name_problem("/abs.json"), "");
  EXPECT_NE(name_problem("a\\b.json"), "");
  EXPECT_NE(name_problem("dir/"), "");
}

TEST(NameProblem, RejectsDotDot) {
  EXPECT_NE(name_problem("..json"), "");
  EXPECT_NE(name_problem("../x.json"), "");
  EXPECT_NE(name_problem("..\\x.json"), "");
  EXPECT_NE(name_problem("a..b.json"), "");
  EXPECT_NE(name_problem(".."), "");
  EXPECT_NE(name_problem("x.json.."), "");
}

TEST(NameProblem, RejectsLeadingDot) {
  EXPECT_NE(name_problem(".hidden.json"), "");
  EXPECT_NE(name_problem("."), "");
}

TEST(NameProblem, RejectsControlCharacters) {
  EXPECT_NE(name_problem("a\nb.json"), "");
  EXPECT_NE(name_problem("a\tb.json"), "");
  EXPECT_NE(name_problem("a\x01" "b.json"), "");
  EXPECT_NE(name_problem("a\x1f.json"), "");
  EXPECT_NE(name_problem("a\x7f.json"), "");
  EXPECT_NE(name_problem("a\0b.json"sv), "");
  EXPECT_NE(name_problem("x.json\r"), "");
}

TEST(NameProblem, RejectsInvalidUtf8) {
  // Issue 15 item 5: the server stores such a name with replacement
  // characters, so its record never matches the file again.
  EXPECT_NE(name_problem("001-\xff\xfe.json"), "");
  EXPECT_NE(name_problem("001-\xc3.json"), "");          // truncated sequence
  EXPECT_NE(name_problem("001-\xc0\xaf.json"), "");      // overlong '/'
  EXPECT_NE(name_problem("001-\xed\xa0\x80.json"), "");  // a UTF-16 surrogate
  EXPECT_NE(name_problem("001-\xf4\x90\x80\x80.json"), "");  // past U+10FFFF
  EXPECT_NE(name_problem("001-\xff.json").find("UTF-8"), std::string::npos);
}

TEST(NameProblem, AcceptsUnicodeNames) {
  EXPECT_EQ(name_problem("001-caf\xc3\xa9.json"), "");              // é
  EXPECT_EQ(name_problem("002-\xe6\x97\xa5\xe6\x9c\xac.json"), "");  // 日本
  EXPECT_EQ(name_problem("003-\xf0\x9f\x9a\x80.json"), "");          // an emoji
}

TEST(NameProblem, RejectsUnicodeControlsAndReordering) {
  EXPECT_NE(name_problem("001-\xc2\x85.json"), "");      // U+0085, a C1 control
  EXPECT_NE(name_problem("001-\xe2\x80\xae.json"), "");  // U+202E, right-to-left override
  EXPECT_NE(name_problem("001-\xe2\x81\xa6.json"), "");  // U+2066, left-to-right isolate
  EXPECT_NE(name_problem("001-\xe2\x80\xa8.json"), "");  // U+2028, line separator
}

// A name that prints like another: typing the visible name would not match
// it, and a leading byte-order mark makes it sort after every ASCII name.
TEST(NameProblem, RejectsInvisibleCharacters) {
  for (const char* name : {"001-add\xe2\x80\x8b-index.json",  // U+200B, zero-width space
                           "\xef\xbb\xbf" "001-x.json",          // U+FEFF, a byte-order mark
                           "001-no\xc2\xa0" "break.json",         // U+00A0, no-break space
                           "001-soft\xc2\xadhyphen.json"}) {      // U+00AD, soft hyphen
    std::string problem = name_problem(name);
    EXPECT_NE(problem.find("invisible character"), std::string::npos) << printable(name) << ": " << problem;
  }
}

// ---------------------------------------------------------------- printable

TEST(Printable, LeavesOrdinaryTextAlone) {
  EXPECT_EQ(printable("001-add-index.json"), "001-add-index.json");
  EXPECT_EQ(printable("caf\xc3\xa9 \xe6\x97\xa5"), "caf\xc3\xa9 \xe6\x97\xa5");
  EXPECT_EQ(printable(""), "");
  EXPECT_EQ(printable("a \"quoted\" name: {}"), "a \"quoted\" name: {}");
}

TEST(Printable, EscapesInvalidUtf8BytesAsHex) {
  EXPECT_EQ(printable("001-\xff\xfe.json"), "001-\\xff\\xfe.json");
  EXPECT_EQ(printable("\xc3"), "\\xc3");
  EXPECT_EQ(printable("\xc0\xaf"), "\\xc0\\xaf");
  EXPECT_EQ(printable("\xed\xa0\x80"), "\\xed\\xa0\\x80");
}

TEST(Printable, EscapesControlCharacters) {
  EXPECT_EQ(printable("a\nb"), "a\\nb");
  EXPECT_EQ(printable("a\tb\r"), "a\\tb\\r");
  EXPECT_EQ(printable("\x1b[31mred"), "\\x1b[31mred");
  EXPECT_EQ(printable("a\x7f"), "a\\x7f");
  EXPECT_EQ(printable("a\0b"sv), "a\\x00b");
  EXPECT_EQ(printable("a\xc2\x85" "b"), "a\\u0085b");
  EXPECT_EQ(printable("a\xe2\x80\xae" "b"), "a\\u202eb");
  EXPECT_EQ(printable("a\xe2\x80\xa8" "b"), "a\\u2028b");
}

TEST(Printable, OutputIsOneLineOfValidUtf8) {
  std::string all;
  for (int c = 0; c < 256; ++c) all.push_back(static_cast<char>(c));
  std::string out = printable(all);
  EXPECT_EQ(out.find('\n'), std::string::npos);
  for (unsigned char c : out) EXPECT_TRUE(c >= 0x20 && c < 0x7f) << int(c);  // every high byte was invalid here
}

TEST(NameProblem, MessagesSayWhat) {
  EXPECT_NE(name_problem("").find("empty"), std::string::npos);
  EXPECT_NE(name_problem("a/b.json").find("separator"), std::string::npos);
  EXPECT_NE(name_problem("a..b.json").find(".."), std::string::npos);
  EXPECT_NE(name_problem(".hidden.json").find("'.'"), std::string::npos);
  EXPECT_NE(name_problem("a\x01.json").find("control"), std::string::npos);
}

TEST(RunsBefore, IsByteWise) {
  EXPECT_TRUE(runs_before("B", "a"));  // uppercase sorts before lowercase
  EXPECT_FALSE(runs_before("a", "B"));
  EXPECT_TRUE(runs_before("010", "9"));  // not numeric
  EXPECT_FALSE(runs_before("9", "010"));
  EXPECT_TRUE(runs_before("001-a.json", "002-a.json"));
  EXPECT_TRUE(runs_before("a", "ab"));  // a prefix first
  EXPECT_FALSE(runs_before("ab", "a"));
  EXPECT_TRUE(runs_before("-", "0"));
  EXPECT_TRUE(runs_before("Z", "_"));
}

TEST(RunsBefore, IsIrreflexive) {
  EXPECT_FALSE(runs_before("a", "a"));
  EXPECT_FALSE(runs_before("", ""));
  EXPECT_TRUE(runs_before("", "a"));
}

TEST(RunsBefore, HighBytesSortAfterAscii) {
  // Bytes compare as unsigned: UTF-8 lead bytes (>= 0x80) after 'z'.
  EXPECT_TRUE(runs_before("z.json", "\xc3\xa9.json"));
  EXPECT_FALSE(runs_before("\xc3\xa9.json", "z.json"));
}

TEST(RunsBefore, SortsAListLikeTheSeed) {
  std::vector<std::string> names = {"b.json", "10-x.json", "B.json", "2-x.json", "a.json", "001.json"};
  std::sort(names.begin(), names.end(),
            [](const std::string& a, const std::string& b) { return runs_before(a, b); });
  EXPECT_EQ(names, (std::vector<std::string>{"001.json", "10-x.json", "2-x.json", "B.json", "a.json",
                                             "b.json"}));
}

}  // namespace
}  // namespace mongomigrate::core

namespace mongomigrate::core {
namespace {

// ------------------------------------- database and collection names (item 7)

TEST(DatabaseNameProblem, AcceptsWhatMongoDbAccepts) {
  for (const char* db : {"app", "my_app-2", "App", "caf\xc3\xa9", "a:b"}) EXPECT_EQ(database_name_problem(db), "") << db;
  EXPECT_EQ(database_name_problem(std::string(63, 'd')), "");
}

TEST(DatabaseNameProblem, RefusesWhatMongoDbRefuses) {
  for (std::string_view db : {"a/b"sv, "a b"sv, "a.b"sv, "a\\b"sv, "a\"b"sv, "a$b"sv, "a\0b"sv, ""sv, "a\tb"sv,
                              "\xff"sv}) {
    EXPECT_NE(database_name_problem(db), "") << printable(db);
  }
  EXPECT_NE(database_name_problem(std::string(64, 'd')), "");
  EXPECT_NE(database_name_problem(std::string(64, 'd')).find("64"), std::string::npos);
  EXPECT_NE(database_name_problem("a/b").find("\"a/b\""), std::string::npos) << "names it";
  EXPECT_NE(database_name_problem("a\x1b" "b").find("a\\x1bb"), std::string::npos) << "escaped";
}

TEST(CollectionNameProblem, AcceptsWhatMongoDbAccepts) {
  for (const char* c : {"migrationlogs", "migration.logs", "my-log_2", "a/b", "caf\xc3\xa9"}) {
    EXPECT_EQ(collection_name_problem(c), "") << c;
  }
}

TEST(CollectionNameProblem, RefusesWhatMongoDbRefuses) {
  for (std::string_view c : {""sv, "a$b"sv, "$cmd"sv, "system.profile"sv, "system.x"sv, "a\0b"sv, ".a"sv,
                             "a\tb"sv, "\xff"sv}) {
    EXPECT_NE(collection_name_problem(c), "") << printable(c);
  }
  EXPECT_NE(collection_name_problem("system.x").find("system."), std::string::npos);
}

TEST(TrackingNamespaceProblem, CountsTheLongestCompanionCollection) {
  // "db." + name + "_events" may be 255 bytes at most.
  std::string longest(255 - 3 - 7, 'c');
  EXPECT_EQ(tracking_namespace_problem("db", longest), "");
  std::string problem = tracking_namespace_problem("db", longest + "c");
  EXPECT_NE(problem, "");
  EXPECT_NE(problem.find("_events"), std::string::npos) << problem;
  EXPECT_NE(problem.find("255"), std::string::npos) << problem;
  // The database's length counts too.
  EXPECT_NE(tracking_namespace_problem(std::string(63, 'd'), std::string(255 - 64 - 6, 'c')), "");
  EXPECT_EQ(tracking_namespace_problem(std::string(63, 'd'), std::string(255 - 64 - 7, 'c')), "");
}

TEST(TrackingNamespaceProblem, ChecksBothNames) {
  EXPECT_NE(tracking_namespace_problem("a.b", "migrationlogs"), "");
  EXPECT_NE(tracking_namespace_problem("app", "system.log"), "");
  EXPECT_EQ(tracking_namespace_problem("app", "migrationlogs"), "");
}

}  // namespace
}  // namespace mongomigrate::core
