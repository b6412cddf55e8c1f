#include "mongo/value_bson.h"

#include <cmath>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

#include "core/names.h"
#include "mongo/extended_json.h"

namespace mongomigrate::mongo {
namespace {

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};

int key_length(std::string_view key) { return static_cast<int>(key.size()); }

// Finds `path` ("a.b.c") in `doc`; false if absent.
bool find_path(const std::vector<std::uint8_t>& bytes, std::string_view path, bson_iter_t* out) {
  if (bytes.empty()) return false;
  bson_t doc;
  if (!bson_init_static(&doc, bytes.data(), bytes.size())) return false;
  bson_iter_t it;
  if (!bson_iter_init(&it, &doc)) return false;
  std::string dotted(path);
  return bson_iter_find_descendant(&it, dotted.c_str(), out);
}

}  // namespace

void append_value(bson_t* doc, std::string_view key, const Value& value) {
  // A key BSON cannot hold, or a document past libbson's size limit: said,
  // never dropped (a filter without its field would match everything).
  if (key.find('\0') != std::string_view::npos) {
    throw std::invalid_argument(fmt::format("the key \"{}\" holds a NUL byte, which BSON keys cannot",
                                            core::printable(key)));
  }
  auto check = [&](bool appended) {
    if (!appended) {
      throw std::invalid_argument(fmt::format("cannot add \"{}\" to the document (too large for BSON)",
                                              core::printable(key)));
    }
  };
  const char* k = key.data();
  int len = key_length(key);
  std::visit(Overloaded{
                 [&](std::monostate) { check(bson_append_null(doc, k, len)); },
                 [&](bool b) { check(bson_append_bool(doc, k, len, b)); },
                 [&](std::int32_t i) { check(bson_append_int32(doc, k, len, i)); },
                 [&](std::int64_t i) { check(bson_append_int64(doc, k, len, i)); },
                 [&](double d) { check(bson_append_double(doc, k, len, d)); },
                 [&](const std::string& s) {
                   check(bson_append_utf8(doc, k, len, s.data(), static_cast<int>(s.size())));
                 },
                 [&](const Doc& d) {
                   bson_t child;
                   check(bson_append_document_begin(doc, k, len, &child));
                   for (const auto& [field, v] : d) append_value(&child, field, v);
                   check(bson_append_document_end(doc, &child));
                 },
                 [&](const Array& a) {
                   bson_t child;
                   check(bson_append_array_begin(doc, k, len, &child));
                   for (std::size_t i = 0; i < a.size(); ++i) append_value(&child, std::to_string(i), a[i]);
                   check(bson_append_array_end(doc, &child));
                 },
                 [&](const ObjectId& id) {
                   bson_oid_t oid;
                   std::memcpy(oid.bytes, id.bytes.data(), 12);
                   check(bson_append_oid(doc, k, len, &oid));
                 },
                 [&](const DateTime& t) { check(bson_append_date_time(doc, k, len, t.ms)); },
                 [&](const RawValue& raw) {
                   // The bytes of {"": value}: at least a length, a type, a key
                   // and the terminator, else bson_init_static aborts.
                   bson_t holder;
                   bson_iter_t it;
                   if (raw.document.size() < 7 ||
                       !bson_init_static(&holder, raw.document.data(), raw.document.size()) ||
                       !bson_iter_init(&it, &holder) || !bson_iter_next(&it)) {
                     throw std::invalid_argument(fmt::format(
                         "\"{}\": a RawValue holds the bytes of a one-field document as the server sent it; "
                         "these {} bytes are not one",
                         core::printable(key), raw.document.size()));
                   }
                   check(bson_append_iter(doc, k, len, &it));
                 },
             },
             value.variant());
}

OwnedBson to_bson(const Value& document) {
  const Doc* fields = std::get_if<Doc>(&document.variant());
  if (fields == nullptr) throw std::invalid_argument("expected a document");
  OwnedBson doc(bson_new());
  for (const auto& [key, v] : *fields) append_value(doc.get(), key, v);
  return doc;
}

Document to_document(const bson_t* doc) {
  const uint8_t* data = bson_get_data(doc);
  return Document(std::vector<std::uint8_t>(data, data + doc->len));
}

Value value_at(const bson_iter_t& it_in) {
  bson_iter_t it = it_in;
  switch (bson_iter_type(&it)) {
    case BSON_TYPE_NULL: return Value();
    case BSON_TYPE_BOOL: return Value(bson_iter_bool(&it));
    case BSON_TYPE_INT32: return Value(static_cast<int>(bson_iter_int32(&it)));
    case BSON_TYPE_INT64: return Value(static_cast<long long>(bson_iter_int64(&it)));
    case BSON_TYPE_DOUBLE: return Value(bson_iter_double(&it));
    case BSON_TYPE_UTF8: {
      uint32_t len = 0;
      const char* s = bson_iter_utf8(&it, &len);
      return Value(std::string(s, len));
    }
    case BSON_TYPE_OID: {
      ObjectId id;
      std::memcpy(id.bytes.data(), bson_iter_oid(&it)->bytes, 12);
      return Value(id);
    }
    case BSON_TYPE_DATE_TIME: return Value(DateTime{bson_iter_date_time(&it)});
    case BSON_TYPE_DOCUMENT:
    case BSON_TYPE_ARRAY: {
      bool is_array = BSON_ITER_HOLDS_ARRAY(&it);
      bson_iter_t child;
      bson_iter_recurse(&it, &child);
      if (is_array) {
        Array out;
        while (bson_iter_next(&child)) out.push_back(value_at(child));
        return Value(std::move(out));
      }
      Doc out;
      while (bson_iter_next(&child)) out.emplace_back(bson_iter_key(&child), value_at(child));
      return Value(std::move(out));
    }
    default: {
      // Anything else travels as it came.
      ScopedBson holder;
      bson_append_iter(holder.get(), "", 0, &it);
      const uint8_t* data = bson_get_data(holder.get());
      return Value(RawValue{std::vector<std::uint8_t>(data, data + holder.get()->len)});
    }
  }
}

}  // namespace mongomigrate::mongo

namespace mongomigrate {

bool Document::has(std::string_view path) const {
  bson_iter_t it;
  return mongo::find_path(bson_, path, &it);
}

std::optional<std::string_view> Document::string(std::string_view path) const& {
  bson_iter_t it;
  if (!mongo::find_path(bson_, path, &it) || !BSON_ITER_HOLDS_UTF8(&it)) return std::nullopt;
  uint32_t len = 0;
  const char* s = bson_iter_utf8(&it, &len);
  return std::string_view(s, len);
}

std::optional<std::int64_t> Document::integer(std::string_view path) const {
  bson_iter_t it;
  if (!mongo::find_path(bson_, path, &it)) return std::nullopt;
  if (BSON_ITER_HOLDS_INT32(&it) || BSON_ITER_HOLDS_INT64(&it)) return bson_iter_as_int64(&it);
  if (BSON_ITER_HOLDS_DOUBLE(&it)) {
    double d = bson_iter_double(&it);
    if (std::trunc(d) == d && std::abs(d) < 9.0e18) return static_cast<std::int64_t>(d);
  }
  return std::nullopt;
}

std::optional<double> Document::number(std::string_view path) const {
  bson_iter_t it;
  if (!mongo::find_path(bson_, path, &it) || !BSON_ITER_HOLDS_NUMBER(&it)) return std::nullopt;
  return bson_iter_as_double(&it);
}

std::optional<bool> Document::boolean(std::string_view path) const {
  bson_iter_t it;
  if (!mongo::find_path(bson_, path, &it) || !BSON_ITER_HOLDS_BOOL(&it)) return std::nullopt;
  return bson_iter_bool(&it);
}

std::optional<Document> Document::document(std::string_view path) const {
  bson_iter_t it;
  if (!mongo::find_path(bson_, path, &it) || !BSON_ITER_HOLDS_DOCUMENT(&it)) return std::nullopt;
  uint32_t len = 0;
  const uint8_t* data = nullptr;
  bson_iter_document(&it, &len, &data);
  return Document(std::vector<std::uint8_t>(data, data + len));
}

std::size_t Document::size() const {
  bson_t doc;
  if (bson_.empty() || !bson_init_static(&doc, bson_.data(), bson_.size())) return 0;
  return bson_count_keys(&doc);
}

std::optional<Value> Document::get(std::string_view path) const {
  bson_iter_t it;
  if (!mongo::find_path(bson_, path, &it)) return std::nullopt;
  return mongo::value_at(it);
}

Value Document::id() const { return get("_id").value_or(Value()); }

std::string Document::json() const { return mongo::relaxed_json(bson_); }

Value json(std::string_view extended_json) {
  // As strict as a migration file: one object, each key once, no integer
  // wrapped around (a filter or update that silently means something else
  // is worse than an exception).
  std::size_t first = extended_json.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || extended_json[first] != '{') {
    throw std::invalid_argument("invalid JSON: expected an object ({...}) at the top level");
  }
  auto bytes = mongo::parse_json_object(extended_json);
  if (!bytes) throw std::invalid_argument(bytes.error());
  if (std::string duplicate = mongo::first_duplicate_key(*bytes); !duplicate.empty()) {
    throw std::invalid_argument(fmt::format("invalid JSON: \"{}\" appears twice", duplicate));
  }
  bson_t doc;
  bson_iter_t it;
  Doc out;
  if (bson_init_static(&doc, bytes->data(), bytes->size()) && bson_iter_init(&it, &doc)) {
    while (bson_iter_next(&it)) out.emplace_back(bson_iter_key(&it), mongo::value_at(it));
  }
  return Value(std::move(out));
}

}  // namespace mongomigrate
