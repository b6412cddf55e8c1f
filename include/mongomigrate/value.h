// Values and documents for C++ migrations, without libbson in sight.
//
//   using mongomigrate::Doc;
//   Doc update{{"$set", Doc{{"phoneNumber", normalized}}}};
//
// Value is a BSON value to build commands, filters and updates; Document is
// a read-only BSON document (a copy of what the server returned) with typed
// accessors by dotted path.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace mongomigrate {

class Value;
// A document to build: ordered fields (BSON keeps order; commands need it).
using Doc = std::vector<std::pair<std::string, Value>>;
using Array = std::vector<Value>;

struct ObjectId {
  std::array<std::uint8_t, 12> bytes{};
  bool operator==(const ObjectId&) const = default;
};
// A BSON date: milliseconds since the Unix epoch.
struct DateTime {
  std::int64_t ms = 0;
  bool operator==(const DateTime&) const = default;
};
// Any other BSON value, kept as it came from the server (e.g. a Decimal128
// _id), so it can be sent back unchanged. Opaque: bytes of {"": <value>}.
struct RawValue {
  std::vector<std::uint8_t> document;
  bool operator==(const RawValue&) const = default;
};

class Value {
 public:
  using Variant = std::variant<std::monostate, bool, std::int32_t, std::int64_t, double, std::string, Doc, Array,
                               ObjectId, DateTime, RawValue>;

  Value() = default;  // null
  Value(std::nullptr_t) {}
  Value(bool b) : v_(b) {}
  Value(int i) : v_(static_cast<std::int32_t>(i)) {}
  Value(long i) : v_(static_cast<std::int64_t>(i)) {}
  Value(long long i) : v_(static_cast<std::int64_t>(i)) {}
  Value(double d) : v_(d) {}
  Value(const char* s) : v_(std::string(s)) {}
  Value(std::string s) : v_(std::move(s)) {}
  Value(std::string_view s) : v_(std::string(s)) {}
  Value(Doc d) : v_(std::move(d)) {}
  Value(Array a) : v_(std::move(a)) {}
  Value(ObjectId id) : v_(id) {}
  Value(DateTime t) : v_(t) {}
  Value(RawValue r) : v_(std::move(r)) {}

  const Variant& variant() const { return v_; }
  bool is_null() const { return std::holds_alternative<std::monostate>(v_); }
  bool operator==(const Value&) const = default;

 private:
  Variant v_;
};

// A read-only BSON document. Accessors take a dotted path ("address.street")
// and return nullopt when the field is absent or of another type.
class Document {
 public:
  Document() = default;
  explicit Document(std::vector<std::uint8_t> bson) : bson_(std::move(bson)) {}

  bool has(std::string_view path) const;
  // A view into this Document's bytes: keep the Document while it is used.
  // Not on a temporary (`ctx.command(...).string("db")` would dangle): name
  // the Document first.
  std::optional<std::string_view> string(std::string_view path) const&;
  std::optional<std::string_view> string(std::string_view path) const&& = delete;
  // int32, int64 or a double with an integral value.
  std::optional<std::int64_t> integer(std::string_view path) const;
  // Any numeric type.
  std::optional<double> number(std::string_view path) const;
  std::optional<bool> boolean(std::string_view path) const;
  // An embedded document (a copy).
  std::optional<Document> document(std::string_view path) const;
  // The number of top-level fields.
  std::size_t size() const;
  // The field as a Value (any type; documents and arrays are copied).
  std::optional<Value> get(std::string_view path) const;
  // `_id`, for filters: {{"_id", doc.id()}}. Null if absent.
  Value id() const;
  // Relaxed Extended JSON, for messages.
  std::string json() const;

  const std::vector<std::uint8_t>& bson() const { return bson_; }

 private:
  std::vector<std::uint8_t> bson_;
};

// A Value (a Doc) from MongoDB Extended JSON text; throws
// std::invalid_argument naming the problem. Handy for literal filters:
//   ctx.update_many("users", json(R"({"preferences": {"$exists": false}})"), ...)
Value json(std::string_view extended_json);

}  // namespace mongomigrate
