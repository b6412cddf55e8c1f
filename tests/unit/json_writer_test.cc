#include "json_writer.h"

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

namespace mongomigrate::cli {
namespace {

using namespace std::string_view_literals;

// ---------------------------------------------------------------- json_quote

TEST(JsonQuote, PlainText) {
  EXPECT_EQ(json_quote(""), "\"\"");
  EXPECT_EQ(json_quote("abc"), "\"abc\"");
  EXPECT_EQ(json_quote("001-add-index.json"), "\"001-add-index.json\"");
}

TEST(JsonQuote, EscapesQuotesAndBackslash) {
  EXPECT_EQ(json_quote("say \"hi\""), R"("say \"hi\"")");
  EXPECT_EQ(json_quote("a\\b"), R"("a\\b")");
  EXPECT_EQ(json_quote("\\\""), R"("\\\"")");
}

TEST(JsonQuote, EscapesWhitespaceControls) {
  EXPECT_EQ(json_quote("a\nb"), R"("a\nb")");
  EXPECT_EQ(json_quote("a\rb"), R"("a\rb")");
  EXPECT_EQ(json_quote("a\tb"), R"("a\tb")");
  EXPECT_EQ(json_quote("a\bb"), R"("a\bb")");
  EXPECT_EQ(json_quote("a\fb"), R"("a\fb")");
}

TEST(JsonQuote, EscapesOtherControlCharactersAsUnicode) {
  EXPECT_EQ(json_quote("\x01"), R"("\u0001")");
  EXPECT_EQ(json_quote("a\x1f" "b"), R"("a\u001fb")");
  EXPECT_EQ(json_quote("\x1b[31m"), R"("\u001b[31m")");
  EXPECT_EQ(json_quote("a\0b"sv), R"("a\u0000b")");
}

TEST(JsonQuote, PassesPrintableAndUtf8Through) {
  EXPECT_EQ(json_quote("/ < > & ' ~"), "\"/ < > & ' ~\"");
  EXPECT_EQ(json_quote("\xc3\xa9t\xc3\xa9"), "\"\xc3\xa9t\xc3\xa9\"");
}

// ---------------------------------------------------------------- JsonWriter

TEST(JsonWriter, EmptyContainers) {
  EXPECT_EQ(JsonWriter().begin_object().end_object().str(), "{}");
  EXPECT_EQ(JsonWriter().begin_array().end_array().str(), "[]");
}

TEST(JsonWriter, ScalarsInAnObject) {
  JsonWriter w;
  w.begin_object()
      .key("s").value("text")
      .key("n").value(42)
      .key("neg").value(std::int64_t{-7})
      .key("t").value(true)
      .key("f").value(false)
      .key("z").null()
      .end_object();
  EXPECT_EQ(w.str(), R"({"s":"text","n":42,"neg":-7,"t":true,"f":false,"z":null})");
}

TEST(JsonWriter, Int64Extremes) {
  JsonWriter w;
  w.begin_array()
      .value(std::numeric_limits<std::int64_t>::max())
      .value(std::numeric_limits<std::int64_t>::min())
      .end_array();
  EXPECT_EQ(w.str(), "[9223372036854775807,-9223372036854775808]");
}

TEST(JsonWriter, StringOverloads) {
  std::string s = "std";
  JsonWriter w;
  w.begin_array().value("c-string").value(s).value("view"sv).end_array();
  EXPECT_EQ(w.str(), R"(["c-string","std","view"])");
}

TEST(JsonWriter, NestedObjectsAndArrays) {
  JsonWriter w;
  w.begin_object();
  w.key("summary").begin_object().key("total").value(2).key("applied").value(1).end_object();
  w.key("migrations").begin_array();
  w.begin_object().key("name").value("001.json").key("tags").begin_array().end_array().end_object();
  w.begin_object().key("name").value("002.json").key("tags").begin_array().value("a").value("b").end_array().end_object();
  w.end_array();
  w.key("empty").begin_object().end_object();
  w.key("nested").begin_array().begin_array().value(1).end_array().begin_array().end_array().value(2).end_array();
  w.end_object();
  EXPECT_EQ(w.str(),
            R"({"summary":{"total":2,"applied":1},)"
            R"("migrations":[{"name":"001.json","tags":[]},{"name":"002.json","tags":["a","b"]}],)"
            R"("empty":{},"nested":[[1],[],2]})");
}

TEST(JsonWriter, EscapesKeysAndValues) {
  JsonWriter w;
  w.begin_object().key("we\"ird\nkey").value("line1\nline2\t\"q\"\\\x01").end_object();
  EXPECT_EQ(w.str(), R"({"we\"ird\nkey":"line1\nline2\t\"q\"\\\u0001"})");
}

TEST(JsonWriter, Optional) {
  JsonWriter w;
  w.begin_object()
      .key("some").optional(std::optional<std::int64_t>(12))
      .key("none").optional(std::nullopt)
      .key("zero").optional(std::optional<std::int64_t>(0))
      .end_object();
  EXPECT_EQ(w.str(), R"({"some":12,"none":null,"zero":0})");
}

TEST(JsonWriter, Strings) {
  JsonWriter w;
  w.begin_object()
      .key("modified").strings({"a.json", "b\"c.json"})
      .key("missing").strings({})
      .key("after").value(1)
      .end_object();
  EXPECT_EQ(w.str(), R"({"modified":["a.json","b\"c.json"],"missing":[],"after":1})");
}

TEST(JsonWriter, StringsInsideAnArray) {
  JsonWriter w;
  w.begin_array().strings({"x"}).strings({}).strings({"y", "z"}).end_array();
  EXPECT_EQ(w.str(), R"([["x"],[],["y","z"]])");
}

TEST(JsonWriter, ArrayOfObjectsAfterKeys) {
  JsonWriter w;
  w.begin_object().key("a").begin_array().begin_object().end_object().begin_object().key("k").null().end_object()
      .end_array().key("b").value(false).end_object();
  EXPECT_EQ(w.str(), R"({"a":[{},{"k":null}],"b":false})");
}

}  // namespace
}  // namespace mongomigrate::cli
