// The public Value/Document types of C++ migrations (include/mongomigrate/
// value.h) and their conversion to and from libbson (src/mongo/value_bson.h).
// Documents are built here from BSON bytes made with libbson, independently
// of the code under test.
#include "mongomigrate/value.h"

#include <bson/bson.h>
#include <gtest/gtest.h>

#include <utility>

#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "mongo/bson_handles.h"
#include "mongo/value_bson.h"

namespace mongomigrate {
namespace {

using mongo::OwnedBson;

// BSON bytes of `json` (Extended JSON), parsed by libbson itself.
std::vector<std::uint8_t> bson_bytes(const std::string& json) {
  bson_error_t error;
  OwnedBson doc(bson_new_from_json(reinterpret_cast<const uint8_t*>(json.data()),
                                   static_cast<ssize_t>(json.size()), &error));
  if (!doc) throw std::runtime_error("bad JSON in test: " + json + ": " + error.message);
  const uint8_t* data = bson_get_data(doc.get());
  return std::vector<std::uint8_t>(data, data + doc.get()->len);
}

Document doc_of(const std::string& json) { return Document(bson_bytes(json)); }

// The canonical Extended JSON of BSON bytes, for comparisons that see types.
std::string canonical(const std::vector<std::uint8_t>& bytes) {
  bson_t doc;
  EXPECT_TRUE(bson_init_static(&doc, bytes.data(), bytes.size()));
  mongo::BsonString s(bson_as_canonical_extended_json(&doc, nullptr));
  return s ? s.get() : "";
}

std::string canonical_json(const std::string& json) { return canonical(bson_bytes(json)); }

std::string canonical_value(const Value& value) {
  OwnedBson doc = mongo::to_bson(value);
  const uint8_t* data = bson_get_data(doc.get());
  return canonical(std::vector<std::uint8_t>(data, data + doc.get()->len));
}

template <class T>
bool holds(const Value& v) {
  return std::holds_alternative<T>(v.variant());
}

// ---- Value ----

TEST(Value, ConstructorsPickTheBsonType) {
  EXPECT_TRUE(Value().is_null());
  EXPECT_TRUE(Value(nullptr).is_null());
  EXPECT_FALSE(Value(0).is_null());
  EXPECT_TRUE(holds<bool>(Value(true)));
  EXPECT_TRUE(holds<std::int32_t>(Value(7)));
  EXPECT_TRUE(holds<std::int64_t>(Value(7L)));
  EXPECT_TRUE(holds<std::int64_t>(Value(7LL)));
  EXPECT_TRUE(holds<double>(Value(7.0)));
  // A string literal is a string, not a bool.
  EXPECT_TRUE(holds<std::string>(Value("text")));
  EXPECT_TRUE(holds<std::string>(Value(std::string("text"))));
  EXPECT_TRUE(holds<std::string>(Value(std::string_view("text"))));
  EXPECT_TRUE(holds<Doc>(Value(Doc{{"a", 1}})));
  EXPECT_TRUE(holds<Array>(Value(Array{1, 2})));
  EXPECT_TRUE(holds<ObjectId>(Value(ObjectId{})));
  EXPECT_TRUE(holds<DateTime>(Value(DateTime{5})));
  EXPECT_TRUE(holds<RawValue>(Value(RawValue{})));
  EXPECT_EQ(std::get<std::int64_t>(Value(std::numeric_limits<long long>::max()).variant()),
            std::numeric_limits<std::int64_t>::max());
}

TEST(Value, EqualityComparesTypeAndValue) {
  EXPECT_EQ(Value(), Value(nullptr));
  EXPECT_EQ(Value(1), Value(1));
  EXPECT_NE(Value(1), Value(2));
  // Same number, different BSON types: different values.
  EXPECT_NE(Value(1), Value(1LL));
  EXPECT_NE(Value(1), Value(1.0));
  EXPECT_NE(Value("1"), Value(1));
  EXPECT_NE(Value(false), Value());
  EXPECT_EQ(Value("abc"), Value(std::string("abc")));
  EXPECT_EQ(Value(DateTime{42}), Value(DateTime{42}));
  EXPECT_NE(Value(DateTime{42}), Value(DateTime{43}));
  ObjectId a, b;
  b.bytes[11] = 1;
  EXPECT_EQ(Value(a), Value(a));
  EXPECT_NE(Value(a), Value(b));
}

TEST(Value, DocsAndArraysCompareDeeplyAndInOrder) {
  Value built = Doc{{"name", "x"}, {"tags", Array{"a", 2, Doc{{"deep", true}}}}, {"sub", Doc{{"n", 1}}}};
  Value same = Doc{{"name", "x"}, {"tags", Array{"a", 2, Doc{{"deep", true}}}}, {"sub", Doc{{"n", 1}}}};
  EXPECT_EQ(built, same);
  // Field order matters (BSON is ordered; commands depend on it).
  EXPECT_NE((Value(Doc{{"a", 1}, {"b", 2}})), (Value(Doc{{"b", 2}, {"a", 1}})));
  // A difference deep inside.
  Value deeper = Doc{{"name", "x"}, {"tags", Array{"a", 2, Doc{{"deep", false}}}}, {"sub", Doc{{"n", 1}}}};
  EXPECT_NE(built, deeper);
  EXPECT_NE(Value(Array{1, 2}), Value(Array{2, 1}));
  EXPECT_NE(Value(Array{1, 2}), Value(Array{1, 2, 3}));
  // An empty document is not an empty array, nor null.
  EXPECT_NE(Value(Doc{}), Value(Array{}));
  EXPECT_NE(Value(Doc{}), Value());
}

// ---- json() ----

TEST(Json, ParsesExtendedJsonIntoTypedValues) {
  Value v = json(R"({"s": "x", "i": 1, "l": {"$numberLong": "5000000000"}, "d": 1.5, "b": true, "n": null,
                     "a": [1, "two"], "o": {"k": "v"},
                     "id": {"$oid": "0102030405060708090a0b0c"},
                     "t": {"$date": {"$numberLong": "1700000000123"}}})");
  ObjectId oid;
  for (int i = 0; i < 12; ++i) oid.bytes[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(i + 1);
  Value expected = Doc{{"s", "x"},
                       {"i", 1},
                       {"l", 5000000000LL},
                       {"d", 1.5},
                       {"b", true},
                       {"n", nullptr},
                       {"a", Array{1, "two"}},
                       {"o", Doc{{"k", "v"}}},
                       {"id", oid},
                       {"t", DateTime{1700000000123}}};
  EXPECT_EQ(v, expected);
}

TEST(Json, OtherTypesBecomeRawValues) {
  Value v = json(R"({"dec": {"$numberDecimal": "1.5"}, "re": {"$regularExpression": {"pattern": "^a", "options": "i"}},
                     "ts": {"$timestamp": {"t": 5, "i": 1}}, "min": {"$minKey": 1}})");
  const Doc& d = std::get<Doc>(v.variant());
  ASSERT_EQ(d.size(), 4u);
  for (const auto& [key, value] : d) EXPECT_TRUE(holds<RawValue>(value)) << key;
  // Opaque but faithful: the same input gives the same raw value, another one differs.
  EXPECT_EQ(v, json(R"({"dec": {"$numberDecimal": "1.5"}, "re": {"$regularExpression": {"pattern": "^a", "options": "i"}},
                        "ts": {"$timestamp": {"t": 5, "i": 1}}, "min": {"$minKey": 1}})"));
  EXPECT_NE(d[0].second, std::get<Doc>(json(R"({"dec": {"$numberDecimal": "2.5"}})").variant())[0].second);
}

TEST(Json, EmptyDocument) { EXPECT_EQ(json("{}"), Value(Doc{})); }

// json() is as strict as a migration file: one object, each key once, no
// integer wrapped around.
TEST(Json, TextAMigrationFileCouldNotHoldThrows) {
  for (const char* text : {R"({"a": 1} {"b": 2})", R"({"a": 1, "a": 2})", "[1, 2]", R"({"n": 99999999999999999999})",
                           ""}) {
    SCOPED_TRACE(text);
    EXPECT_THROW(json(text), std::invalid_argument);
  }
  EXPECT_EQ(json(R"( {"n": 9223372036854775807} )"), Value(Doc{{"n", 9223372036854775807LL}}));
}

// A field BSON cannot hold is an error, never left out: a filter without
// its field would match every document.
TEST(ToBson, AFieldBsonCannotHoldThrowsInsteadOfVanishing) {
  EXPECT_THROW(mongo::to_bson(Doc{{std::string("z\0z", 3), 1}}), std::invalid_argument);
  EXPECT_THROW(mongo::to_bson(Doc{{"$set", Doc{{std::string("a\0", 2), 1}}}}), std::invalid_argument);
  EXPECT_THROW(mongo::to_bson(Doc{{"_id", RawValue{{1, 2, 3}}}}), std::invalid_argument);
  EXPECT_THROW(mongo::to_bson(Doc{{"_id", RawValue{}}}), std::invalid_argument) << "no abort in libbson";
  try {
    mongo::to_bson(Doc{{"filter", Doc{{"_id", RawValue{{9, 9, 9, 9, 9}}}}}});
    ADD_FAILURE() << "not thrown";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("\"_id\": a RawValue"), std::string::npos) << e.what();
  }
  // A value holding NUL is data, and kept.
  OwnedBson kept = mongo::to_bson(Doc{{"s", std::string("a\0b", 3)}});
  EXPECT_EQ(kept.get()->len, 4u + 1 + 2 + 4 + 4 + 1);
}

TEST(Json, InvalidTextThrowsInvalidArgument) {
  for (const char* bad : {"", "{", "{\"a\": }", "not json", "{\"a\": 1,}", "{\"a\": {\"$oid\": \"xyz\"}}"}) {
    try {
      json(bad);
      ADD_FAILURE() << "no exception for: " << bad;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("invalid JSON"), std::string::npos) << e.what();
    } catch (...) {
      ADD_FAILURE() << "another exception for: " << bad;
    }
  }
}

// ---- Document accessors ----

const char* kSample = R"({
  "_id": {"$oid": "65a0b1c2d3e4f5a6b7c8d9e0"},
  "name": "Ali",
  "age": 41,
  "big": {"$numberLong": "9007199254740993"},
  "score": 2.0,
  "ratio": 2.5,
  "huge": 1e19,
  "active": true,
  "nothing": null,
  "address": {"street": "King Fahd Rd", "geo": {"lat": 24.7, "zip": 11564}},
  "phones": ["050", {"kind": "work", "number": "011"}],
  "empty": {}
})";

TEST(Document, StringByPath) {
  Document d = doc_of(kSample);
  EXPECT_EQ(d.string("name"), "Ali");
  EXPECT_EQ(d.string("address.street"), "King Fahd Rd");
  EXPECT_EQ(d.string("phones.0"), "050");
  EXPECT_EQ(d.string("phones.1.number"), "011");
  // Absent, or another type.
  EXPECT_EQ(d.string("missing"), std::nullopt);
  EXPECT_EQ(d.string("address.city"), std::nullopt);
  EXPECT_EQ(d.string("phones.2"), std::nullopt);
  EXPECT_EQ(d.string("age"), std::nullopt);
  EXPECT_EQ(d.string("address"), std::nullopt);
  EXPECT_EQ(d.string("nothing"), std::nullopt);
  EXPECT_EQ(d.string("name.first"), std::nullopt);  // through a string
}

// string() views the Document's own bytes: on a temporary it would dangle,
// so it does not compile there.
template <typename D>
concept ViewsAString = requires(D&& d) { std::forward<D>(d).string("name"); };
static_assert(ViewsAString<Document&> && ViewsAString<const Document&>);
static_assert(!ViewsAString<Document> && !ViewsAString<Document&&>, "string() of a temporary Document");

TEST(Document, IntegerAndNumber) {
  Document d = doc_of(kSample);
  EXPECT_EQ(d.integer("age"), 41);
  EXPECT_EQ(d.integer("big"), 9007199254740993LL);  // exact, not through a double
  EXPECT_EQ(d.integer("score"), 2);                 // an integral double
  EXPECT_EQ(d.integer("ratio"), std::nullopt);      // not integral
  EXPECT_EQ(d.integer("huge"), std::nullopt);       // out of int64 range
  EXPECT_EQ(d.integer("address.geo.zip"), 11564);
  EXPECT_EQ(d.integer("name"), std::nullopt);
  EXPECT_EQ(d.integer("active"), std::nullopt);
  EXPECT_EQ(d.integer("nothing"), std::nullopt);
  EXPECT_EQ(d.number("ratio"), 2.5);
  EXPECT_EQ(d.number("age"), 41.0);
  EXPECT_EQ(d.number("address.geo.lat"), 24.7);
  EXPECT_EQ(d.number("name"), std::nullopt);
  EXPECT_EQ(d.number("active"), std::nullopt);
  EXPECT_EQ(d.number("missing"), std::nullopt);
}

TEST(Document, BooleanHasAndSize) {
  Document d = doc_of(kSample);
  EXPECT_EQ(d.boolean("active"), true);
  EXPECT_EQ(doc_of(R"({"f": false})").boolean("f"), false);
  EXPECT_EQ(d.boolean("age"), std::nullopt);
  EXPECT_EQ(d.boolean("nothing"), std::nullopt);
  EXPECT_TRUE(d.has("nothing"));  // present, even if null
  EXPECT_TRUE(d.has("address.geo.zip"));
  EXPECT_TRUE(d.has("phones.1.kind"));
  EXPECT_TRUE(d.has("empty"));
  EXPECT_FALSE(d.has("address.geo.city"));
  EXPECT_FALSE(d.has("phones.5"));
  EXPECT_FALSE(d.has("empty.x"));
  EXPECT_FALSE(d.has("Name"));  // case-sensitive
  EXPECT_EQ(d.size(), 12u);
  EXPECT_EQ(d.document("empty")->size(), 0u);
}

TEST(Document, EmbeddedDocumentIsACopy) {
  std::optional<Document> address;
  {
    Document d = doc_of(kSample);
    address = d.document("address");
    EXPECT_EQ(d.document("address.geo")->integer("zip"), 11564);
    EXPECT_EQ(d.document("phones.1")->string("kind"), "work");
    // Not documents: an array, a string, null, absent.
    EXPECT_EQ(d.document("phones"), std::nullopt);
    EXPECT_EQ(d.document("name"), std::nullopt);
    EXPECT_EQ(d.document("nothing"), std::nullopt);
    EXPECT_EQ(d.document("missing"), std::nullopt);
  }
  // Still valid after the parent is gone.
  ASSERT_TRUE(address);
  EXPECT_EQ(address->size(), 2u);
  EXPECT_EQ(address->string("street"), "King Fahd Rd");
  EXPECT_EQ(address->number("geo.lat"), 24.7);
}

TEST(Document, GetReturnsAnyTypeAsAValue) {
  Document d = doc_of(kSample);
  EXPECT_EQ(d.get("name"), Value("Ali"));
  EXPECT_EQ(d.get("age"), Value(41));
  EXPECT_EQ(d.get("big"), Value(9007199254740993LL));
  EXPECT_EQ(d.get("ratio"), Value(2.5));
  EXPECT_EQ(d.get("active"), Value(true));
  EXPECT_EQ(d.get("nothing"), Value());
  EXPECT_EQ(d.get("address"),
            Value(Doc{{"street", "King Fahd Rd"}, {"geo", Doc{{"lat", 24.7}, {"zip", 11564}}}}));
  EXPECT_EQ(d.get("phones"), Value(Array{"050", Doc{{"kind", "work"}, {"number", "011"}}}));
  EXPECT_EQ(d.get("phones.1.kind"), Value("work"));
  EXPECT_EQ(d.get("empty"), Value(Doc{}));
  EXPECT_EQ(d.get("missing"), std::nullopt);
  EXPECT_EQ(d.get("address.geo.lat.x"), std::nullopt);
}

TEST(Document, IdOfEachKind) {
  ObjectId oid;
  const std::uint8_t expected[12] = {0x65, 0xa0, 0xb1, 0xc2, 0xd3, 0xe4, 0xf5, 0xa6, 0xb7, 0xc8, 0xd9, 0xe0};
  std::memcpy(oid.bytes.data(), expected, 12);
  EXPECT_EQ(doc_of(kSample).id(), Value(oid));
  EXPECT_EQ(doc_of(R"({"_id": "key-1"})").id(), Value("key-1"));
  EXPECT_EQ(doc_of(R"({"x": 1, "_id": 7})").id(), Value(7));
  EXPECT_EQ(doc_of(R"({"_id": {"a": 1, "b": [2]}})").id(), Value(Doc{{"a", 1}, {"b", Array{2}}}));
  EXPECT_TRUE(doc_of(R"({"x": 1})").id().is_null());
  // A Decimal128 _id is kept raw and can be sent back unchanged.
  Value dec = doc_of(R"({"_id": {"$numberDecimal": "1.5"}})").id();
  ASSERT_TRUE(holds<RawValue>(dec));
  EXPECT_EQ(canonical_value(Value(Doc{{"_id", dec}})), canonical_json(R"({"_id": {"$numberDecimal": "1.5"}})"));
}

TEST(Document, JsonIsRelaxedExtendedJson) {
  EXPECT_EQ(doc_of(R"({"a": 1, "b": "x"})").json(), R"({ "a" : 1, "b" : "x" })");
  std::string j = doc_of(kSample).json();
  EXPECT_NE(j.find(R"("_id" : { "$oid" : "65a0b1c2d3e4f5a6b7c8d9e0" })"), std::string::npos) << j;
  EXPECT_NE(j.find(R"("big" : 9007199254740993)"), std::string::npos) << j;
  // It parses back to the same document.
  EXPECT_EQ(json(j), json(kSample));
}

TEST(Document, EmptyAndDefault) {
  Document none;
  EXPECT_EQ(none.size(), 0u);
  EXPECT_FALSE(none.has("a"));
  EXPECT_EQ(none.string("a"), std::nullopt);
  EXPECT_EQ(none.get("a"), std::nullopt);
  EXPECT_TRUE(none.id().is_null());
  EXPECT_EQ(none.json(), "{}");
  Document empty = doc_of("{}");
  EXPECT_EQ(empty.size(), 0u);
  EXPECT_FALSE(empty.has("a"));
  EXPECT_EQ(canonical(empty.bson()), canonical_json("{}"));
}

TEST(Document, TruncatedBytesAreTreatedAsEmpty) {
  std::vector<std::uint8_t> bytes = bson_bytes(R"({"a": "some text"})");
  bytes.resize(bytes.size() - 3);
  Document broken(bytes);
  EXPECT_EQ(broken.size(), 0u);
  EXPECT_FALSE(broken.has("a"));
  EXPECT_EQ(broken.string("a"), std::nullopt);
  EXPECT_EQ(broken.json(), "{}");
}

// ---- value_bson: Value <-> libbson ----

TEST(ValueBson, EveryTypeRoundTrips) {
  Value dec = std::get<Doc>(json(R"({"v": {"$numberDecimal": "1.5"}})").variant())[0].second;
  ObjectId oid;
  oid.bytes = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  Value original = Doc{{"null", nullptr},
                       {"bool", false},
                       {"int32", -5},
                       {"int64", std::numeric_limits<long long>::min()},
                       {"double", -0.25},
                       {"string", std::string("caf\xc3\xa9 with \"quotes\"")},
                       {"doc", Doc{{"x", Doc{{"y", Array{}}}}}},
                       {"array", Array{1, "a", Array{true}, Doc{{"k", nullptr}}}},
                       {"oid", oid},
                       {"date", DateTime{-86400000}},
                       {"decimal", dec}};
  OwnedBson bson = mongo::to_bson(original);
  Document document = mongo::to_document(bson.get());
  // The exact BSON types, as libbson sees them.
  EXPECT_EQ(canonical(document.bson()),
            canonical_json(R"({"null": null, "bool": false, "int32": {"$numberInt": "-5"},
                             "int64": {"$numberLong": "-9223372036854775808"}, "double": {"$numberDouble": "-0.25"},
                             "string": "café with \"quotes\"", "doc": {"x": {"y": []}},
                             "array": [{"$numberInt": "1"}, "a", [true], {"k": null}],
                             "oid": {"$oid": "0102030405060708090a0b0c"},
                             "date": {"$date": {"$numberLong": "-86400000"}},
                             "decimal": {"$numberDecimal": "1.5"}})"));
  // And back: field by field through value_at, and as a whole through get().
  bson_iter_t it;
  ASSERT_TRUE(bson_iter_init(&it, bson.get()));
  Doc back;
  while (bson_iter_next(&it)) back.emplace_back(bson_iter_key(&it), mongo::value_at(it));
  EXPECT_EQ(Value(back), original);
  for (const auto& [key, value] : std::get<Doc>(original.variant())) EXPECT_EQ(document.get(key), value) << key;
  EXPECT_EQ(document.get("decimal"), dec);
}

TEST(ValueBson, AppendValueUsesTheKeyLength) {
  mongo::ScopedBson doc;
  std::string keys = "firstsecond";
  mongo::append_value(doc.get(), std::string_view(keys).substr(0, 5), Value(1));
  mongo::append_value(doc.get(), std::string_view(keys).substr(5), Value(Doc{{"n", 2}}));
  const uint8_t* data = bson_get_data(doc.get());
  Document d(std::vector<std::uint8_t>(data, data + doc.get()->len));
  EXPECT_EQ(d.size(), 2u);
  EXPECT_EQ(d.integer("first"), 1);
  EXPECT_EQ(d.integer("second.n"), 2);
}

TEST(ValueBson, ToBsonRefusesANonDocument) {
  EXPECT_THROW(mongo::to_bson(Value(1)), std::invalid_argument);
  EXPECT_THROW(mongo::to_bson(Value(Array{Doc{}})), std::invalid_argument);
  EXPECT_THROW(mongo::to_bson(Value()), std::invalid_argument);
  EXPECT_EQ(canonical_value(Value(Doc{})), canonical_json("{}"));
}

TEST(ValueBson, DocumentsFromTheServerGoBackUnchanged) {
  // What a batch function does: read a document, send its _id and a field back.
  Document server_doc = doc_of(R"({"_id": {"$numberDecimal": "12.50"}, "when": {"$date": "2024-01-15T10:00:00Z"},
                                   "bin": {"$binary": {"base64": "AQID", "subType": "00"}}})");
  Value filter = Doc{{"_id", server_doc.id()}, {"when", *server_doc.get("when")}, {"bin", *server_doc.get("bin")}};
  EXPECT_EQ(canonical_value(filter), canonical(server_doc.bson()));
  EXPECT_EQ(server_doc.get("when"), Value(DateTime{1705312800000}));
}

}  // namespace
}  // namespace mongomigrate
