#include "mongo/extended_json.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace mongomigrate::mongo {
namespace {

std::vector<std::uint8_t> parsed(std::string_view text) {
  auto bson = parse_json_object(text);
  EXPECT_TRUE(bson.has_value()) << bson.error();
  return bson.value_or(std::vector<std::uint8_t>());
}

TEST(ExtendedJson, FieldsComeInOrderWithTheirKindsAndDuplicatesKept) {
  std::vector<std::uint8_t> bson = parsed(
      R"({"s": "text", "n": 1, "l": {"$numberLong": "2"}, "d": 1.5, "doc": {"a": 1}, "arr": [1, 2],
          "b": true, "z": null, "when": {"$date": "2026-01-01T00:00:00Z"}, "s": "again"})");
  std::optional<std::vector<Field>> fields = fields_of(bson);
  ASSERT_TRUE(fields.has_value());
  ASSERT_EQ(fields->size(), 10u);
  std::vector<std::pair<std::string_view, FieldKind>> expected{
      {"s", FieldKind::kString},     {"n", FieldKind::kNumber},     {"l", FieldKind::kNumber},
      {"d", FieldKind::kNumber},     {"doc", FieldKind::kDocument}, {"arr", FieldKind::kArray},
      {"b", FieldKind::kBoolean},    {"z", FieldKind::kNull},       {"when", FieldKind::kOther},
      {"s", FieldKind::kString}};
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ((*fields)[i].key, expected[i].first) << i;
    EXPECT_EQ((*fields)[i].kind, expected[i].second) << i;
  }
  EXPECT_EQ((*fields)[0].text, "text");
  EXPECT_EQ((*fields)[9].text, "again");
  EXPECT_EQ(relaxed_json((*fields)[4].bson), R"({ "a" : 1 })");
  std::optional<std::vector<Field>> items = fields_of((*fields)[5].bson);
  ASSERT_TRUE(items.has_value());
  ASSERT_EQ(items->size(), 2u);
  EXPECT_EQ((*items)[1].key, "1");
  EXPECT_STREQ(kind_in_words((*fields)[8].kind), "a non-document value");
}

TEST(ExtendedJson, BytesThatAreNotADocumentAreRefusedNotRead) {
  std::vector<std::uint8_t> truncated = parsed(R"({"a": "text"})");
  truncated.resize(truncated.size() - 3);
  EXPECT_FALSE(fields_of(truncated).has_value());
  EXPECT_FALSE(fields_of({}).has_value());
  EXPECT_EQ(relaxed_json(truncated), "{}");
  EXPECT_EQ(relaxed_json({}), "{}");
  EXPECT_EQ(first_duplicate_key(truncated), "");
}

TEST(ExtendedJson, TheFirstDuplicateKeyIsFoundAtAnyDepth) {
  EXPECT_EQ(first_duplicate_key(parsed(R"({"a": 1, "b": [{"c": 1}, {"d": {"e": 1, "e": 2}}]})")), "b[1].d.e");
  EXPECT_EQ(first_duplicate_key(parsed(R"({"a": {"x": 1}, "b": {"x": 1}})")), "");
}

TEST(ExtendedJson, OneObjectOnlyWithTheErrorInWords) {
  EXPECT_EQ(parse_json_object(R"({"a": 1} {"b": 2})").error(),
            "invalid JSON: unexpected content after the top-level object");
  EXPECT_EQ(parse_json_object("{\"a\": 1,\n  }").error(),
            "invalid JSON at line 2, column 3 (byte offset 11): trailing comma");
  EXPECT_TRUE(parse_json_object(R"({"a": )").error().starts_with("invalid JSON: incomplete"));
}

TEST(ExtendedJson, TextAfterTheObjectIsNamedAsSuchWithItsPlace) {
  // libbson's own words were "cant insert", "special expected" or nothing.
  for (const char* text : {"{\"up\": []}\n1", "{\"up\": []}\nx", "{\"up\": []}\n[1]", "{\"up\": []}\ntrue",
                           "{\"up\": []}\n// note", "{\"up\": []}\n}"}) {
    SCOPED_TRACE(text);
    EXPECT_EQ(parse_json_object(text).error(),
              "invalid JSON at line 2, column 1 (byte offset 11): unexpected text after the closing } of the "
              "top-level object");
  }
  EXPECT_EQ(parse_json_object("{\"up\": []}, {}").error(),
            "invalid JSON at line 1, column 11 (byte offset 10): unexpected text after the closing } of the "
            "top-level object");
  // A brace inside a string does not close the object.
  EXPECT_TRUE(parse_json_object(R"({"a": "}"})").has_value());
}

TEST(ExtendedJson, AKeyWithoutQuotesIsNamedAsSuch) {
  EXPECT_EQ(parse_json_object("{up: [{ping: 1}]}").error(),
            "invalid JSON at line 1, column 2 (byte offset 1): keys must be quoted strings (\"key\": value)");
  EXPECT_EQ(parse_json_object("{\"up\": [{ping: 1}]}").error(),
            "invalid JSON at line 1, column 10 (byte offset 9): keys must be quoted strings (\"key\": value)");
  EXPECT_EQ(parse_json_object("{\"up\": [],\n down: []}").error(),
            "invalid JSON at line 2, column 2 (byte offset 12): keys must be quoted strings (\"key\": value)");
  EXPECT_EQ(parse_json_object("{'up': []}").error(),
            "invalid JSON at line 1, column 2 (byte offset 1): keys must be quoted strings (\"key\": value)");
}

// libbson wraps an integer of 20 digits or more around into another one
// (99999999999999999999 became 7766279631452241919): refused, saying where
// and what to write instead. Doubles, strings and int64's own bounds pass.
TEST(ExtendedJson, AnIntegerPast64BitsIsRefusedNotWrappedAround) {
  for (const char* big : {"99999999999999999999", "-99999999999999999999", "18446744073709551616",
                          "100000000000000000000000"}) {
    SCOPED_TRACE(big);
    auto refused = parse_json_object(std::string("{\"n\": [1,\n ") + big + "]}");
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error(), fmt::format("invalid JSON at line 2, column 2 (byte offset 11): the integer {} does "
                                           "not fit in 64 bits; write it as a double ({}.0) or as "
                                           "{{\"$numberDecimal\": \"{}\"}}",
                                           big, big, big));
  }
  for (const char* fine : {R"({"n": 9223372036854775807})", R"({"n": -9223372036854775808})",
                           R"({"n": 99999999999999999999.5})", R"({"n": 1e300})", R"({"n": "99999999999999999999"})",
                           R"({"n": {"$numberDecimal": "99999999999999999999"}})", R"({"a\"1": 99})"}) {
    SCOPED_TRACE(fine);
    EXPECT_TRUE(parse_json_object(fine)) << parse_json_object(fine).error();
  }
}

}  // namespace
}  // namespace mongomigrate::mongo
