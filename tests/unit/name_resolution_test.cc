#include "core/name_resolution.h"

#include <gtest/gtest.h>

namespace mongomigrate::core {
namespace {

using Outcome = NameResolution::Outcome;

TEST(NameStem, DropsAnExtensionOfLettersDigitsOrPlus) {
  EXPECT_EQ(name_stem("001-x.json"), "001-x");
  EXPECT_EQ(name_stem("001-x.cc"), "001-x");
  EXPECT_EQ(name_stem("001-x.c++"), "001-x");
  EXPECT_EQ(name_stem("2024-01-15-x.js"), "2024-01-15-x");
  EXPECT_EQ(name_stem("v1.0.0-users.json"), "v1.0.0-users");
}

TEST(NameStem, KeepsWhatIsNoExtension) {
  EXPECT_EQ(name_stem("001-x"), "001-x");
  EXPECT_EQ(name_stem("v1.0.0-users"), "v1.0.0-users") << "\".0-users\" is no extension";
  EXPECT_EQ(name_stem("2024.01.15"), "2024.01.15");
  EXPECT_EQ(name_stem("x."), "x.");
  EXPECT_EQ(name_stem(".json"), ".json");
  EXPECT_EQ(name_stem("a.b-c"), "a.b-c");
  EXPECT_EQ(name_stem(""), "");
}

TEST(ResolveName, AnExactNameWins) {
  NameResolution r = resolve_name({"001-x.json", "001-x"}, "001-x");
  EXPECT_EQ(r.outcome, Outcome::kFound);
  EXPECT_EQ(r.name, "001-x");
  r = resolve_name({"001-x.json", "002-y.json"}, "001-x.json");
  EXPECT_EQ(r.outcome, Outcome::kFound);
  EXPECT_EQ(r.name, "001-x.json");
}

TEST(ResolveName, AStemFindsItsMigration) {
  NameResolution r = resolve_name({"001-x.json", "002-y.cc", "002-y-more.json"}, "002-y");
  EXPECT_EQ(r.outcome, Outcome::kFound);
  EXPECT_EQ(r.name, "002-y.cc");
  EXPECT_TRUE(r.candidates.empty());
}

TEST(ResolveName, TheSameNameTwiceIsOneCandidate) {
  // The catalog and the log both know it.
  NameResolution r = resolve_name({"001-x.json", "001-x.json"}, "001-x");
  EXPECT_EQ(r.outcome, Outcome::kFound);
  EXPECT_EQ(r.name, "001-x.json");
}

TEST(ResolveName, AStemOfTwoIsAmbiguousWithSortedCandidates) {
  NameResolution r = resolve_name({"001-x.json", "002-y.json", "001-x.cc"}, "001-x");
  EXPECT_EQ(r.outcome, Outcome::kAmbiguous);
  EXPECT_EQ(r.candidates, (std::vector<std::string>{"001-x.cc", "001-x.json"}));
  EXPECT_EQ(ambiguous_name_message("001-x", r.candidates),
            "\"001-x\" matches 2 migrations: 001-x.cc, 001-x.json; give the full name");
}

TEST(ResolveName, UnknownNamesAndPrefixesAndWrongExtensions) {
  std::vector<std::string_view> known = {"001-x.json", "002-y.json"};
  for (std::string_view typed : {"001", "001-", "001-x.js", "001-x.json.json", "003-z", "", "001-X"}) {
    NameResolution r = resolve_name(known, typed);
    EXPECT_EQ(r.outcome, Outcome::kUnknown) << typed;
    EXPECT_TRUE(r.name.empty()) << typed;
  }
  EXPECT_EQ(resolve_name({}, "001-x").outcome, Outcome::kUnknown);
}

TEST(AmbiguousNameMessage, EscapesWhatItQuotes) {
  std::string message = ambiguous_name_message("a\nb", {"a\nb.json", "a\nb.cc"});
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
}

}  // namespace
}  // namespace mongomigrate::core
