// What a for_each_batch call keeps in its record's metadata, and reads back
// to resume (see mongo/migration_context.h):
// - metadata.checkpoint of a sequential call: {call, query, lastId, <totals>};
// - of a parallel one: {call, query, parallel, partitions: {"0": <partition>, ...}},
//   a partition being {min?, max?, lastId?, done, <totals>} (min/max absent:
//   open end; lastId absent: nothing done yet). Each partition is written at
//   its own path (checkpoint.partitions.<i>), so partitions' writes never
//   overwrite each other;
// - metadata.<up|down>.batch<call> when the call completes: <totals>, and for
//   a parallel call `partitions`: an array of each partition's <totals>.
// <totals> are the BatchResult fields: scanned, matched, modified, inserted,
// deleted, batches. `query` is query_fingerprint() of the call's query: a
// checkpoint is resumed only by a call of the same number over the same
// query (one written before it existed, by the number alone).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/id_partitions.h"
#include "mongomigrate/migration.h"

namespace mongomigrate::mongo {

// One partition of a parallel batch call: its `_id` range and how far it got.
struct PartitionProgress {
  core::IdRange range;
  std::optional<Value> last_id;  // the last `_id` done (nullopt: none yet)
  BatchResult totals;
  bool done = false;
};

// `fields` followed by the totals' fields.
Doc with_totals(Doc fields, const BatchResult& totals);
// The totals' fields of `doc` (absent ones 0).
BatchResult totals_of(const Document& doc);
BatchResult& operator+=(BatchResult& sum, const BatchResult& more);

std::string partition_path(std::size_t index);  // "checkpoint.partitions.<index>"
Value partition_doc(const PartitionProgress& partition);
// The SHA-256 (hex) of the query's collection, filter and projection: what
// a checkpoint's `lastId`s mean something for. Not its batch size or
// parallelism, which a resumed run may change.
std::string query_fingerprint(const BatchQuery& query);
// Whether `checkpoint` may resume a call over the query of `fingerprint`:
// written for it, or before checkpoints named their query.
bool checkpoint_is_for(const Document& checkpoint, const std::string& fingerprint);
// The whole checkpoint of a parallel call, as first written (nothing done).
Value parallel_checkpoint(int call, const std::string& fingerprint, int parallel,
                          const std::vector<PartitionProgress>& partitions);
// The partitions of a parallel call's checkpoint, in order; nullopt if it
// records none (a sequential checkpoint).
std::optional<std::vector<PartitionProgress>> partitions_of(const Document& checkpoint);

}  // namespace mongomigrate::mongo
