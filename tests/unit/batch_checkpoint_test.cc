#include "mongo/batch_checkpoint.h"

#include <gtest/gtest.h>

#include "mongo/value_bson.h"

namespace mongomigrate::mongo {
namespace {

Document as_stored(const Value& value) { return to_document(to_bson(value).get()); }

TEST(BatchCheckpoint, PartitionsComeBackAsWritten) {
  std::vector<PartitionProgress> partitions(3);
  partitions[0].range.max = Value(100);
  partitions[1].range = core::IdRange{Value(100), Value("m")};
  partitions[1].last_id = Value(150);
  partitions[1].totals = BatchResult{.scanned = 50, .matched = 40, .modified = 30, .inserted = 2, .deleted = 1,
                                     .batches = 1};
  partitions[2].range.min = Value("m");
  partitions[2].last_id = Value();  // a null _id done is still an _id done
  partitions[2].done = true;
  Document stored = as_stored(parallel_checkpoint(4, "feed", 3, partitions));
  EXPECT_EQ(stored.integer("call"), 4);
  EXPECT_EQ(stored.string("query"), "feed");
  EXPECT_EQ(stored.integer("parallel"), 3);
  auto read = partitions_of(stored);
  ASSERT_TRUE(read);
  ASSERT_EQ(read->size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ((*read)[i].range, partitions[i].range) << i;
    EXPECT_EQ((*read)[i].last_id, partitions[i].last_id) << i;
    EXPECT_EQ((*read)[i].done, partitions[i].done) << i;
    EXPECT_EQ((*read)[i].totals.scanned, partitions[i].totals.scanned) << i;
    EXPECT_EQ((*read)[i].totals.deleted, partitions[i].totals.deleted) << i;
  }
  EXPECT_FALSE((*read)[0].last_id);  // nothing done yet: no lastId
  EXPECT_EQ(partition_path(2), "checkpoint.partitions.2");
}

TEST(BatchCheckpoint, ASequentialCheckpointHasNoPartitions) {
  Document sequential = as_stored(with_totals(Doc{{"call", 0}, {"lastId", 100}}, BatchResult{.scanned = 100}));
  EXPECT_FALSE(partitions_of(sequential));
  EXPECT_EQ(totals_of(sequential).scanned, 100);
  EXPECT_EQ(totals_of(sequential).batches, 0);
}

// What a checkpoint's lastIds mean something for: the collection, the
// filter and the projection, not the batch size or the parallelism.
TEST(BatchCheckpoint, TheQueryFingerprintChangesWithWhatIsReadOnly) {
  BatchQuery base{.collection = "clients", .filter = Doc{{"phone", Doc{{"$exists", true}}}}};
  const std::string fingerprint = query_fingerprint(base);
  EXPECT_EQ(fingerprint.size(), 64u);
  EXPECT_EQ(query_fingerprint(base), fingerprint) << "stable";
  BatchQuery resized = base;
  resized.batch_size = 10;
  resized.parallel = 4;
  EXPECT_EQ(query_fingerprint(resized), fingerprint);
  BatchQuery other_collection = base;
  other_collection.collection = "contacts";
  BatchQuery wider = base;
  wider.filter = Doc{};
  BatchQuery projected = base;
  projected.projection = Doc{{"phone", 1}};
  for (const BatchQuery& q : {other_collection, wider, projected}) EXPECT_NE(query_fingerprint(q), fingerprint);

  Document written = as_stored(Doc{{"call", 0}, {"query", fingerprint}, {"lastId", 7}});
  EXPECT_TRUE(checkpoint_is_for(written, fingerprint));
  EXPECT_FALSE(checkpoint_is_for(written, query_fingerprint(wider)));
  Document older = as_stored(Doc{{"call", 0}, {"lastId", 7}});  // before checkpoints named their query
  EXPECT_TRUE(checkpoint_is_for(older, fingerprint));
}

TEST(BatchCheckpoint, TotalsAddUp) {
  BatchResult sum{.scanned = 1, .matched = 2, .modified = 3, .inserted = 4, .deleted = 5, .batches = 6};
  sum += BatchResult{.scanned = 10, .matched = 20, .modified = 30, .inserted = 40, .deleted = 50, .batches = 60};
  EXPECT_EQ(sum.scanned, 11);
  EXPECT_EQ(sum.matched, 22);
  EXPECT_EQ(sum.modified, 33);
  EXPECT_EQ(sum.inserted, 44);
  EXPECT_EQ(sum.deleted, 55);
  EXPECT_EQ(sum.batches, 66);
}

}  // namespace
}  // namespace mongomigrate::mongo
