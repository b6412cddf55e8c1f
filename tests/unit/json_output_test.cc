#include "json_output.h"

#include <string>

#include <gtest/gtest.h>

namespace mongomigrate::cli {
namespace {

using namespace std::string_literals;

// The bytes json_name escaped, read back as docs/json-output.md says.
std::string unescape_name(const std::string& text) {
  if (text.find('\\') == std::string::npos) return text;
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\\' && i + 3 < text.size() && text[i + 1] == 'x') {
      out.push_back(static_cast<char>(std::stoi(text.substr(i + 2, 2), nullptr, 16)));
      i += 3;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

TEST(JsonName, AValidNameIsItself) {
  EXPECT_EQ(json_name("001-add-index.json"), "001-add-index.json");
  EXPECT_EQ(json_name("002-中文.json"), "002-中文.json");
}

TEST(JsonName, BytesThatAreNotUtf8AndBackslashesAreEscaped) {
  EXPECT_EQ(json_name("002-\xff\xfe.json"), "002-\\xff\\xfe.json");
  EXPECT_EQ(json_name("a\\b.json"), "a\\x5cb.json");
  EXPECT_EQ(json_name("\xc3("), "\\xc3(") << "a truncated sequence";
  EXPECT_EQ(json_name("\xed\xa0\x80"), "\\xed\\xa0\\x80") << "a UTF-16 surrogate";
}

TEST(JsonName, IsLossless) {
  for (const std::string& name : {"001-a.json"s, "002-\xff\xfe.json"s, "a\\xff.json"s, "\\x5c"s, "\xc3\xa9\xc3"s,
                                  "x\\"s}) {
    EXPECT_EQ(unescape_name(json_name(name)), name) << name;
  }
}

TEST(JsonText, OnlyInvalidBytesAreEscaped) {
  EXPECT_EQ(json_text("C:\\path é"), "C:\\path é");
  EXPECT_EQ(json_text("bad \x80 byte"), "bad \\x80 byte");
}

TEST(JsonDocument, StartsWithSchemaAndOk) {
  EXPECT_EQ(json_line(json_document(true)), "{\"schema\":1,\"ok\":true}\n");
  Json doc = json_document(false);
  doc["b"] = 1;
  doc["a"] = nullptr;
  EXPECT_EQ(json_line(std::move(doc)), "{\"schema\":1,\"ok\":false,\"b\":1,\"a\":null}\n") << "insertion order";
}

TEST(JsonLine, EveryStringIsMadeValidUtf8) {
  Json doc = json_document(true);
  doc["message"] = "oops \xff";
  doc["list"] = Json::array({"\xfe", "fine"});
  doc["nested"] = {{"deep", "\xc0\xaf"}};
  EXPECT_EQ(json_line(std::move(doc)),
            R"({"schema":1,"ok":true,"message":"oops \\xff","list":["\\xfe","fine"],"nested":{"deep":"\\xc0\\xaf"}})"
            "\n");
}

TEST(JsonLine, ControlCharactersAreJsonEscapes) {
  Json doc = json_document(true);
  doc["s"] = "a\nb\x01\"";
  EXPECT_EQ(json_line(std::move(doc)), R"({"schema":1,"ok":true,"s":"a\nb\u0001\""})" "\n");
}

TEST(JsonTime, IsoOrNull) {
  EXPECT_EQ(json_time(std::nullopt).dump(), "null");
  EXPECT_EQ(json_time(0).dump(), R"("1970-01-01T00:00:00.000Z")");
  // Four-digit years only (the schemas' pattern): a date past them is none.
  EXPECT_EQ(json_time(253402300799999).dump(), R"("9999-12-31T23:59:59.999Z")");
  EXPECT_EQ(json_time(253402300800000).dump(), "null");
  EXPECT_EQ(json_time(-62167219200000).dump(), R"("0000-01-01T00:00:00.000Z")");
  EXPECT_EQ(json_time(-62167219200001).dump(), "null");
  EXPECT_EQ(json_optional(std::nullopt).dump(), "null");
  EXPECT_EQ(json_optional(12).dump(), "12");
}

}  // namespace
}  // namespace mongomigrate::cli
