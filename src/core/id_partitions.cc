#include "core/id_partitions.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <variant>

namespace mongomigrate::core {

int sample_size_for(int partitions) {
  // 64 per range keeps a range's expected size within about ±25% of the
  // mean on uniform `_id`s; the cap keeps the sample itself cheap.
  constexpr int kPerPartition = 64, kCap = 4096;
  return std::clamp(partitions * kPerPartition, kPerPartition, kCap);
}

namespace {

// A NaN, double or decimal128 (which MongoDB sorts before every other
// number, and which only {$eq: NaN} matches: no $lt, $gt or $gte does).
bool is_nan(const Value& id) {
  if (const double* d = std::get_if<double>(&id.variant())) return std::isnan(*d);
  if (const RawValue* raw = std::get_if<RawValue>(&id.variant())) {
    // {"": decimal128}: length (4), type 0x13, the empty key's 0, then the
    // value, low 64 bits first; a NaN's combination field is 11111.
    const std::vector<std::uint8_t>& bytes = raw->document;
    if (bytes.size() < 22 || bytes[4] != 0x13) return false;
    std::uint64_t high = 0;
    for (std::size_t i = 8; i-- > 0;) high = (high << 8) | bytes[14 + i];
    return ((high >> 58) & 0x1F) == 0x1F;
  }
  return false;
}

bool is_number(const Value& id) {
  const auto& v = id.variant();
  if (std::holds_alternative<std::int32_t>(v) || std::holds_alternative<std::int64_t>(v) ||
      std::holds_alternative<double>(v)) {
    return true;
  }
  const RawValue* raw = std::get_if<RawValue>(&v);
  return raw && raw->document.size() > 4 && raw->document[4] == 0x13;
}

}  // namespace

std::vector<IdRange> split_by_sample(std::span<const Value> sorted_sample, int partitions) {
  std::vector<Value> distinct;
  for (const Value& id : sorted_sample) {
    // A NaN is never a bound: no range but the first (range_filter) holds it.
    if (is_nan(id)) continue;
    if (distinct.empty() || !(distinct.back() == id)) distinct.push_back(id);
  }
  std::size_t k = distinct.size();
  std::size_t p = std::min<std::size_t>(static_cast<std::size_t>(std::max(partitions, 1)), std::max<std::size_t>(k, 1));
  std::vector<IdRange> ranges(p);
  // With k >= p the indices i·k/p (1 <= i < p) strictly increase and are at
  // least 1, so every bound differs from the others and from the first id.
  for (std::size_t i = 1; i < p; ++i) {
    const Value& bound = distinct[i * k / p];
    ranges[i - 1].max = bound;
    ranges[i].min = bound;
  }
  return ranges;
}

Value range_filter(const Value& filter, const IdRange& range, const std::optional<Value>& after_id) {
  Array parts{filter};
  if (range.min) parts.emplace_back(Doc{{"_id", Doc{{"$gte", *range.min}}}});
  if (range.max) {
    Value below = Doc{{"_id", Doc{{"$lt", *range.max}}}};
    // The first range of numbers holds NaN too, which sorts first and which
    // $lt never matches.
    if (!range.min && is_number(*range.max)) {
      below = Doc{{"$or", Array{std::move(below), Doc{{"_id", std::numeric_limits<double>::quiet_NaN()}}}}};
    }
    parts.emplace_back(std::move(below));
  }
  if (after_id) parts.emplace_back(after_id_filter(*after_id));
  if (parts.size() == 1) return filter;
  return Doc{{"$and", std::move(parts)}};
}

namespace {

// MongoDB's order of BSON types when it sorts values (its "canonical type"
// order), each bracket as the $type aliases it holds.
const std::vector<Array>& sort_brackets() {
  static const std::vector<Array> brackets{
      {"minKey"}, {"null", "undefined"}, {"int", "long", "double", "decimal"}, {"string", "symbol"}, {"object"},
      {"array"},  {"binData"},           {"objectId"},                           {"bool"},             {"date"},
      {"timestamp"}, {"regex"},          {"dbPointer"},                          {"javascript"},       {"javascriptWithScope"},
      {"maxKey"}};
  return brackets;
}

constexpr int kNumbersBracket = 2, kBinaryBracket = 6;  // their indices in sort_brackets()

// The index in sort_brackets() of `id`'s bracket; -1 for a type not known.
int sort_bracket_of(const Value& id) {
  return std::visit(
      [](const auto& v) -> int {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) return 1;
        if constexpr (std::is_same_v<T, std::int32_t> || std::is_same_v<T, std::int64_t> || std::is_same_v<T, double>) {
          return 2;
        }
        if constexpr (std::is_same_v<T, std::string>) return 3;
        if constexpr (std::is_same_v<T, Doc>) return 4;
        if constexpr (std::is_same_v<T, Array>) return 5;
        if constexpr (std::is_same_v<T, ObjectId>) return 7;
        if constexpr (std::is_same_v<T, bool>) return 8;
        if constexpr (std::is_same_v<T, DateTime>) return 9;
        if constexpr (std::is_same_v<T, RawValue>) {
          // The bytes of {"": value}: the value's BSON type is the byte after
          // the document's 4-byte length.
          if (v.document.size() < 5) return -1;
          switch (v.document[4]) {
            case 0xFF: return 0;   // minKey
            case 0x06: return 1;   // undefined
            case 0x13: return 2;   // decimal128
            case 0x0E: return 3;   // symbol
            case 0x05: return 6;   // binary
            case 0x11: return 10;  // timestamp
            case 0x0B: return 11;  // regex
            case 0x0C: return 12;  // dbPointer
            case 0x0D: return 13;  // javascript
            case 0x0F: return 14;  // javascript with scope
            case 0x7F: return 15;  // maxKey
            default: return -1;
          }
        }
        return -1;
      },
      id.variant());
}

}  // namespace

Value after_id_filter(const Value& last_id) {
  // After NaN come all the other numbers, which {$gt: NaN} never matches.
  Value greater = is_nan(last_id) ? Doc{{"_id", Doc{{"$gte", -std::numeric_limits<double>::infinity()}}}}
                                  : Doc{{"_id", Doc{{"$gt", last_id}}}};
  int bracket = sort_bracket_of(last_id);
  Array later;
  if (bracket >= 0) {
    for (std::size_t b = static_cast<std::size_t>(bracket) + 1; b < sort_brackets().size(); ++b) {
      for (const Value& alias : sort_brackets()[b]) later.push_back(alias);
    }
  }
  if (later.empty()) return greater;
  return Doc{{"$or", Array{std::move(greater), Doc{{"_id", Doc{{"$type", std::move(later)}}}}}}};
}

Array type_bracket(const Value& id) {
  if (std::holds_alternative<RawValue>(id.variant())) {
    // Of the types kept raw, a decimal128 is a number, and binary (UUID
    // `_id`s) has a bracket of its own, which $gte and $lt compare in the
    // order {$sort: {_id: 1}} gives (length, then subtype, then bytes).
    // The others (timestamps, regexes, code, minKey...) are not split.
    int bracket = sort_bracket_of(id);
    if (bracket != kNumbersBracket && bracket != kBinaryBracket) return Array{};
    return sort_brackets()[static_cast<std::size_t>(bracket)];
  }
  return std::visit(
      [](const auto& v) -> Array {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::int32_t> || std::is_same_v<T, std::int64_t> || std::is_same_v<T, double>) {
          return Array{"int", "long", "double", "decimal"};
        } else if constexpr (std::is_same_v<T, std::string>) {
          return Array{"string", "symbol"};
        } else if constexpr (std::is_same_v<T, ObjectId>) {
          return Array{"objectId"};
        } else if constexpr (std::is_same_v<T, DateTime>) {
          return Array{"date"};
        } else if constexpr (std::is_same_v<T, bool>) {
          return Array{"bool"};
        } else if constexpr (std::is_same_v<T, Doc>) {
          return Array{"object"};
        } else {
          return Array{};
        }
      },
      id.variant());
}

}  // namespace mongomigrate::core
