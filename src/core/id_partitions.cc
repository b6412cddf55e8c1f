#include "core/id_partitions.h"

#include <algorithm>
#include <type_traits>
#include <variant>

namespace mongomigrate::core {

int sample_size_for(int partitions) {
  // 64 per range keeps a range's expected size within about ±25% of the
  // mean on uniform `_id`s; the cap keeps the sample itself cheap.
  constexpr int kPerPartition = 64, kCap = 4096;
  return std::clamp(partitions * kPerPartition, kPerPartition, kCap);
}

std::vector<IdRange> split_by_sample(std::span<const Value> sorted_sample, int partitions) {
  std::vector<Value> distinct;
  for (const Value& id : sorted_sample) {
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
  if (range.max) parts.emplace_back(Doc{{"_id", Doc{{"$lt", *range.max}}}});
  if (after_id) parts.emplace_back(Doc{{"_id", Doc{{"$gt", *after_id}}}});
  if (parts.size() == 1) return filter;
  return Doc{{"$and", std::move(parts)}};
}

Array type_bracket(const Value& id) {
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
