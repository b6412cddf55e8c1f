#include "core/id_partitions.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace mongomigrate::core {
namespace {

std::vector<Value> ints(std::initializer_list<int> values) {
  std::vector<Value> out;
  for (int v : values) out.emplace_back(v);
  return out;
}

TEST(SplitBySample, TakesBoundsAtTheQuantilesOfTheSample) {
  std::vector<Value> sample = ints({10, 20, 30, 40, 50, 60, 70, 80});
  std::vector<IdRange> ranges = split_by_sample(sample, 4);
  ASSERT_EQ(ranges.size(), 4u);
  EXPECT_EQ(ranges[0], (IdRange{std::nullopt, Value(30)}));
  EXPECT_EQ(ranges[1], (IdRange{Value(30), Value(50)}));
  EXPECT_EQ(ranges[2], (IdRange{Value(50), Value(70)}));
  EXPECT_EQ(ranges[3], (IdRange{Value(70), std::nullopt}));
}

TEST(SplitBySample, OnePartitionIsTheWholeRange) {
  std::vector<Value> sample = ints({1, 2, 3});
  EXPECT_EQ(split_by_sample(sample, 1), (std::vector<IdRange>{IdRange{}}));
}

TEST(SplitBySample, DuplicatesInTheSampleCountOnce) {
  // $sample may return a document twice: 3 distinct ids make 3 ranges, not 4.
  std::vector<Value> sample = ints({5, 5, 5, 7, 7, 9});
  std::vector<IdRange> ranges = split_by_sample(sample, 4);
  ASSERT_EQ(ranges.size(), 3u);
  EXPECT_EQ(ranges[0], (IdRange{std::nullopt, Value(7)}));
  EXPECT_EQ(ranges[1], (IdRange{Value(7), Value(9)}));
  EXPECT_EQ(ranges[2], (IdRange{Value(9), std::nullopt}));
}

TEST(SplitBySample, FewerSamplesThanPartitionsMakeFewerPartitions) {
  std::vector<Value> one = ints({42});
  EXPECT_EQ(split_by_sample(one, 8), (std::vector<IdRange>{IdRange{}}));
  std::vector<Value> two = {Value("a"), Value("b")};
  std::vector<IdRange> ranges = split_by_sample(two, 8);
  ASSERT_EQ(ranges.size(), 2u);
  EXPECT_EQ(ranges[0], (IdRange{std::nullopt, Value("b")}));
  EXPECT_EQ(ranges[1], (IdRange{Value("b"), std::nullopt}));
}

TEST(SplitBySample, AnEmptySampleIsOneUnboundedRange) {
  EXPECT_EQ(split_by_sample({}, 4), (std::vector<IdRange>{IdRange{}}));
}

TEST(SplitBySample, BoundsStrictlyIncreaseAndEveryRangeHoldsASample) {
  for (int k = 1; k <= 40; ++k) {
    std::vector<Value> sample;
    for (int i = 0; i < k; ++i) sample.emplace_back(i * 3);
    for (int p = 1; p <= 12; ++p) {
      std::vector<IdRange> ranges = split_by_sample(sample, p);
      ASSERT_EQ(ranges.size(), static_cast<std::size_t>(std::min(k, p))) << k << " " << p;
      EXPECT_FALSE(ranges.front().min);
      EXPECT_FALSE(ranges.back().max);
      for (std::size_t i = 0; i < ranges.size(); ++i) {
        int lo = ranges[i].min ? std::get<std::int32_t>(ranges[i].min->variant()) : -1;
        int hi = ranges[i].max ? std::get<std::int32_t>(ranges[i].max->variant()) : 1 << 30;
        EXPECT_LT(lo, hi);
        if (i + 1 < ranges.size()) {
          EXPECT_EQ(ranges[i].max, ranges[i + 1].min);
        }
        bool holds = false;
        for (const Value& v : sample) {
          int x = std::get<std::int32_t>(v.variant());
          holds = holds || (x >= lo && x < hi);
        }
        EXPECT_TRUE(holds) << "range " << i << " of " << p << " over " << k << " samples";
      }
    }
  }
}

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// `v` with every double NaN replaced by the string "NaN", for comparisons
// (NaN is unequal to itself).
Value nan_as_text(const Value& v) {
  if (const double* d = std::get_if<double>(&v.variant()); d && std::isnan(*d)) return Value("NaN");
  if (const Doc* doc = std::get_if<Doc>(&v.variant())) {
    Doc out;
    for (const auto& [key, field] : *doc) out.emplace_back(key, nan_as_text(field));
    return out;
  }
  if (const Array* array = std::get_if<Array>(&v.variant())) {
    Array out;
    for (const Value& item : *array) out.push_back(nan_as_text(item));
    return out;
  }
  return v;
}
// A Decimal128 NaN as kept raw: {"": value}, type 0x13, the value's high
// 64 bits (sent last) 0x7C00000000000000.
const RawValue kDecimalNaN{{23, 0, 0, 0, 0x13, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x7C, 0}};

// NaN sorts before every number and no $lt, $gt or $gte matches it: never a
// bound (a NaN sampled twice, unequal to itself, would have made one).
TEST(SplitBySample, ANaNIsNeverABound) {
  std::vector<Value> sample = ints({10, 20, 30, 40, 50, 60, 70, 80});
  std::vector<Value> with_nan = sample;
  with_nan.insert(with_nan.begin(), {Value(kNaN), Value(kNaN), Value(kDecimalNaN)});
  EXPECT_EQ(split_by_sample(with_nan, 4), split_by_sample(sample, 4));
  std::vector<Value> only_nan = {Value(kNaN), Value(kNaN)};
  EXPECT_EQ(split_by_sample(only_nan, 4), (std::vector<IdRange>{IdRange{}}));
}

TEST(SampleSizeFor, SixtyFourPerPartitionCapped) {
  EXPECT_EQ(sample_size_for(1), 64);
  EXPECT_EQ(sample_size_for(4), 256);
  EXPECT_EQ(sample_size_for(1000), 4096);
}

TEST(RangeFilter, AndsTheUsersFilterWithTheRangeAndTheResumePoint) {
  Value filter = Doc{{"phone", Doc{{"$type", "string"}}}};
  EXPECT_EQ(range_filter(filter, IdRange{}, std::nullopt), filter);
  EXPECT_EQ(range_filter(filter, IdRange{Value(10), Value(20)}, std::nullopt),
            Value(Doc{{"$and", Array{filter, Doc{{"_id", Doc{{"$gte", 10}}}}, Doc{{"_id", Doc{{"$lt", 20}}}}}}}));
  EXPECT_EQ(range_filter(filter, IdRange{std::nullopt, Value("t")}, Value("m")),
            Value(Doc{{"$and", Array{filter, Doc{{"_id", Doc{{"$lt", "t"}}}}, after_id_filter(Value("m"))}}}));
  EXPECT_EQ(range_filter(filter, IdRange{Value(10), std::nullopt}, std::nullopt),
            Value(Doc{{"$and", Array{filter, Doc{{"_id", Doc{{"$gte", 10}}}}}}}));
}

// The first range of numbers also takes NaN, which sorts first and which
// {$lt: bound} never matches; a first range of strings has no use for it.
TEST(RangeFilter, TheFirstRangeOfNumbersHoldsNaN) {
  Value filter = Doc{};
  Value nan_or_below = Doc{{"$or", Array{Doc{{"_id", Doc{{"$lt", 20}}}}, Doc{{"_id", kNaN}}}}};
  EXPECT_EQ(nan_as_text(range_filter(filter, IdRange{std::nullopt, Value(20)}, std::nullopt)),
            nan_as_text(Doc{{"$and", Array{filter, nan_or_below}}}));
  EXPECT_EQ(nan_as_text(nan_or_below), Value(Doc{{"$or", Array{Doc{{"_id", Doc{{"$lt", 20}}}}, Doc{{"_id", "NaN"}}}}}));
  EXPECT_EQ(range_filter(filter, IdRange{std::nullopt, Value("m")}, std::nullopt),
            Value(Doc{{"$and", Array{filter, Doc{{"_id", Doc{{"$lt", "m"}}}}}}}));
  EXPECT_EQ(range_filter(filter, IdRange{Value(10), Value(20)}, std::nullopt),
            Value(Doc{{"$and", Array{filter, Doc{{"_id", Doc{{"$gte", 10}}}}, Doc{{"_id", Doc{{"$lt", 20}}}}}}}));
}

// After NaN come every other number ({$gt: NaN} matches none of them).
TEST(AfterIdFilter, AfterNaNComeAllTheOtherNumbers) {
  Array after_numbers{"string", "symbol", "object", "array", "binData", "objectId", "bool", "date", "timestamp",
                      "regex", "dbPointer", "javascript", "javascriptWithScope", "maxKey"};
  Value expected = Doc{{"$or", Array{Doc{{"_id", Doc{{"$gte", -std::numeric_limits<double>::infinity()}}}},
                                     Doc{{"_id", Doc{{"$type", after_numbers}}}}}}};
  EXPECT_EQ(after_id_filter(Value(kNaN)), expected);
  EXPECT_EQ(after_id_filter(Value(kDecimalNaN)), expected);
}

// After a number come every string, document, ObjectId, date... ($gt alone
// compares with numbers only); after the last bracket, $gt alone.
TEST(AfterIdFilter, TakesTheRestOfTheBracketAndEveryBracketSortedAfterIt) {
  Array after_numbers{"string", "symbol", "object", "array", "binData", "objectId", "bool", "date", "timestamp",
                      "regex", "dbPointer", "javascript", "javascriptWithScope", "maxKey"};
  EXPECT_EQ(after_id_filter(Value(100)),
            Value(Doc{{"$or", Array{Doc{{"_id", Doc{{"$gt", 100}}}}, Doc{{"_id", Doc{{"$type", after_numbers}}}}}}}));
  Array after_strings(after_numbers.begin() + 2, after_numbers.end());
  EXPECT_EQ(after_id_filter(Value("m")),
            Value(Doc{{"$or", Array{Doc{{"_id", Doc{{"$gt", "m"}}}}, Doc{{"_id", Doc{{"$type", after_strings}}}}}}}));
  Array after_dates{"timestamp", "regex", "dbPointer", "javascript", "javascriptWithScope", "maxKey"};
  EXPECT_EQ(after_id_filter(Value(DateTime{5})),
            Value(Doc{{"$or", Array{Doc{{"_id", Doc{{"$gt", DateTime{5}}}}}, Doc{{"_id", Doc{{"$type", after_dates}}}}}}}));
  // A Decimal128 kept raw ({"": value}, its type byte 0x13) is a number.
  RawValue decimal{{24, 0, 0, 0, 0x13, 0, /* 16 bytes of value */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}};
  EXPECT_EQ(after_id_filter(Value(decimal)),
            Value(Doc{{"$or", Array{Doc{{"_id", Doc{{"$gt", decimal}}}}, Doc{{"_id", Doc{{"$type", after_numbers}}}}}}}));
  RawValue max_key{{8, 0, 0, 0, 0x7F, 0, 0, 0}};
  EXPECT_EQ(after_id_filter(Value(max_key)), Value(Doc{{"_id", Doc{{"$gt", max_key}}}}));
}

TEST(TypeBracket, GroupsWhatQueriesCompareTogether) {
  Array numbers{"int", "long", "double", "decimal"};
  EXPECT_EQ(type_bracket(Value(1)), numbers);
  EXPECT_EQ(type_bracket(Value(1LL)), numbers);
  EXPECT_EQ(type_bracket(Value(1.5)), numbers);
  EXPECT_EQ(type_bracket(Value("a")), (Array{"string", "symbol"}));
  EXPECT_EQ(type_bracket(Value(ObjectId{})), Array{"objectId"});
  EXPECT_TRUE(type_bracket(Value()).empty());  // null: not split
}

// Types kept raw ({"": value}): the type byte follows the 4-byte length.
TEST(TypeBracket, ADecimalIsANumberAndBinaryIsABracketOfItsOwn) {
  RawValue decimal{{23, 0, 0, 0, 0x13, 0, /* 16 bytes of value */ 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x30,
                    0}};
  EXPECT_EQ(type_bracket(Value(decimal)), (Array{"int", "long", "double", "decimal"}));
  EXPECT_EQ(type_bracket(Value(decimal)), type_bracket(Value(1))) << "decimals and ints split together";
  // A UUID: binary of 16 bytes, subtype 4.
  RawValue uuid{{28, 0, 0, 0, 0x05, 0, 16, 0, 0, 0, 0x04, /* 16 bytes */ 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0,
                 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0}};
  EXPECT_EQ(type_bracket(Value(uuid)), Array{"binData"});
  RawValue timestamp{{15, 0, 0, 0, 0x11, 0, 1, 0, 0, 0, 2, 0, 0, 0, 0}};
  EXPECT_TRUE(type_bracket(Value(timestamp)).empty());  // not split
  RawValue max_key{{7, 0, 0, 0, 0x7F, 0, 0}};
  EXPECT_TRUE(type_bracket(Value(max_key)).empty());
}

}  // namespace
}  // namespace mongomigrate::core
