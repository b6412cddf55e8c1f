#include "source/shell_syntax.h"

#include <string>

#include <gtest/gtest.h>

#include "source/json_migration.h"

namespace mongomigrate::source {
namespace {

TEST(ShellSyntaxHint, NoneForJson) {
  EXPECT_EQ(shell_syntax_hint(R"({"up": [{"ping": 1}]})"), "");
  EXPECT_EQ(shell_syntax_hint(""), "");
}

TEST(ShellSyntaxHint, IsoDate) {
  EXPECT_EQ(shell_syntax_hint("{\n \"at\": ISODate(\"2024-01-15T10:00:00Z\")}"),
            R"(line 2 has the shell's ISODate("2024-01-15T10:00:00Z"), which is not JSON: write {"$date": "2024-01-15T10:00:00Z"})");
}

TEST(ShellSyntaxHint, ObjectId) {
  EXPECT_EQ(shell_syntax_hint(R"({"_id": ObjectId('65f0a1b2c3d4e5f6a7b8c9d0')})"),
            R"(line 1 has the shell's ObjectId('65f0a1b2c3d4e5f6a7b8c9d0'), which is not JSON: write {"$oid": "65f0a1b2c3d4e5f6a7b8c9d0"})");
}

TEST(ShellSyntaxHint, NumberLongWithOrWithoutQuotes) {
  EXPECT_EQ(shell_syntax_hint(R"({"n": NumberLong(42)})"),
            R"(line 1 has the shell's NumberLong(42), which is not JSON: write {"$numberLong": "42"})");
  EXPECT_EQ(shell_syntax_hint(R"({"n": NumberLong("9007199254740993")})"),
            R"(line 1 has the shell's NumberLong("9007199254740993"), which is not JSON: write {"$numberLong": "9007199254740993"})");
}

TEST(ShellSyntaxHint, NewDateWithAStringANumberOrNothing) {
  // A bare date, or a time without a zone: the suggestion is one Extended JSON accepts.
  EXPECT_EQ(shell_syntax_hint(R"({"at": new Date("2024-01-15")})"),
            R"(line 1 has the shell's new Date("2024-01-15"), which is not JSON: write {"$date": "2024-01-15T00:00:00Z"})");
  EXPECT_EQ(shell_syntax_hint(R"({"at": ISODate("2024-01-15T10:30")})"),
            R"(line 1 has the shell's ISODate("2024-01-15T10:30"), which is not JSON: write {"$date": "2024-01-15T10:30Z"})");
  EXPECT_EQ(shell_syntax_hint(R"({"at": new Date(1700000000000)})"),
            R"(line 1 has the shell's new Date(1700000000000), which is not JSON: write {"$date": {"$numberLong": "1700000000000"}})");
  EXPECT_EQ(shell_syntax_hint(R"({"at": new Date()})"),
            R"(line 1 has the shell's new Date(), which is not JSON: write {"$date": "2024-01-01T00:00:00Z"})");
}

TEST(ShellSyntaxHint, InsideAStringIsNotShellSyntax) {
  EXPECT_EQ(shell_syntax_hint(R"({"note": "use ISODate(\"x\") in the shell", "up": []})"), "");
  EXPECT_EQ(shell_syntax_hint(R"({"f": "a\\", "g": myISODate("x")})"), "") << "only whole words";
}

TEST(ShellSyntaxHint, TheParseErrorCarriesIt) {
  auto r = parse_json_migration("001-x.json", "dir/001-x.json",
                                R"({"up": [{"insert": "t", "documents": [{"at": ISODate("2024-01-15T10:00:00Z")}]}]})");
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("invalid JSON"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find(R"(write {"$date": "2024-01-15T10:00:00Z"})"), std::string::npos)
      << r.error().message;
  EXPECT_EQ(r.error().message.find('\n'), std::string::npos);
}

// What the hint says to write is accepted, in the place of the shell's call.
TEST(ShellSyntaxHint, TheSuggestionParses) {
  for (const char* call : {R"(new Date("2024-01-15"))", R"(ISODate("2024-01-15T10:30"))",
                           R"(ISODate("2024-01-15T10:30:05.250"))", R"(new Date(1700000000000))", "new Date()",
                           R"(ObjectId("65a1b2c3d4e5f60718293a4b"))", R"(NumberLong("42"))", "NumberInt(7)",
                           R"(NumberDecimal("1.5"))"}) {
    std::string shell = std::string(R"({"up": [{"insert": "t", "documents": [{"v": )") + call + "}]}]}";
    std::string hint = shell_syntax_hint(shell);
    auto at = hint.find(": write ");
    ASSERT_NE(at, std::string::npos) << call << ": " << hint;
    std::string json = std::string(R"({"up": [{"insert": "t", "documents": [{"v": )") + hint.substr(at + 8) + "}]}]}";
    auto parsed = parse_json_migration("001-x.json", "dir/001-x.json", json);
    EXPECT_TRUE(parsed.has_value()) << call << " -> " << hint.substr(at + 8) << ": "
                                    << (parsed ? "" : parsed.error().message);
  }
}

}  // namespace
}  // namespace mongomigrate::source
