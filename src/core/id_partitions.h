// How a parallel batch run (BatchQuery::parallel) splits a collection: by
// `_id` ranges drawn from a sample of the matching documents' `_id`s.
//
// Contract:
// - split_by_sample() takes the sample sorted in MongoDB's `_id` order (the
//   server sorts it: {$sample}, then {$sort: {_id: 1}}), and returns at most
//   `partitions` ranges that together cover every possible `_id` exactly once:
//   the first has no lower bound, the last no upper bound, and each range's
//   upper bound is the next one's lower bound. Bounds are sample values taken
//   at the quantiles i·k/p of the k distinct sampled `_id`s (duplicates, which
//   $sample may return, count once), so the ranges hold about equally many
//   documents only as far as the sample is representative.
// - Fewer distinct `_id`s sampled than partitions asked: one range per
//   distinct `_id` (an empty sample: one range, unbounded). Every range
//   returned holds at least one sampled `_id` when the sample is not empty.
// - NaN (double or decimal), which MongoDB sorts before every other number
//   and which only {$eq: NaN} matches, is never a bound: the first range of
//   numbers holds it (range_filter adds {_id: NaN} to its `$lt`).
// - range_filter() is the query of one range: the user's filter AND the
//   range (`$gte` lower, `$lt` upper) AND, when resuming, after_id_filter().
//   MongoDB compares within a type only in queries ({_id: {$lt: 5}} matches
//   no string), so ranges are right only when every `_id` is of one
//   comparison bracket: type_bracket() names the $type aliases of an `_id`'s
//   bracket, for the runner to check that before it splits.
#pragma once

#include <optional>
#include <string>
#include <span>
#include <vector>

#include "mongomigrate/value.h"

namespace mongomigrate::core {

struct IdRange {
  std::optional<Value> min;  // inclusive; nullopt: from the first `_id`
  std::optional<Value> max;  // exclusive; nullopt: to the last `_id`
  bool operator==(const IdRange&) const = default;
};

// The sampled `_id`s to ask for when splitting into `partitions` ranges.
int sample_size_for(int partitions);

std::vector<IdRange> split_by_sample(std::span<const Value> sorted_sample, int partitions);

// `filter` restricted to `range`, and to after_id_filter(*after_id).
Value range_filter(const Value& filter, const IdRange& range, const std::optional<Value>& after_id);

// The `_id`s after `last_id` in the order {sort: {_id: 1}} reads them, the
// order a resumed batch run continues in: {_id: {$gt: last_id}}, which
// compares within last_id's bracket only (numbers with numbers, strings with
// strings), OR an `_id` of a type MongoDB sorts after that bracket (after
// the numbers: strings, documents, binary, ObjectIds, booleans, dates...).
// Without the second half a resumed run over `_id`s of several types would
// skip every one of a later type. After a NaN come all the other numbers
// ({$gte: -Infinity}: {$gt: NaN} matches none).
Value after_id_filter(const Value& last_id);

// The $type aliases of the values MongoDB's query operators compare `id`
// with (all numbers together, decimal128 included; strings with symbols;
// binary, such as UUIDs, alone), or an empty Array for an `_id` this split
// does not handle (null, timestamps...).
Array type_bracket(const Value& id);

}  // namespace mongomigrate::core
