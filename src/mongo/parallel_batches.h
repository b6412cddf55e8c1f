// The workers of a parallel for_each_batch (BatchQuery::parallel > 1): one
// std::jthread per unfinished partition, each with its own connection, its
// own cursor over its `_id` range (in `_id` order, after its last `_id` done)
// and its own unordered bulk writes. The calling thread coordinates: it saves
// the partitions' checkpoints and reports progress, so those hooks run on
// one thread only and the caller's connection is never used by a worker.
//
// Contract:
// - A worker calls the BatchFunction with one batch at a time, so at most
//   partitions × batch_size documents are held; the function is called from
//   several threads at once.
// - After each batch's bulk write a worker hands its progress to the
//   coordinator and waits until save() has written it before it reads the
//   next batch: a partition's checkpoint is never more than one batch behind.
// - The first failure (the function throws, a read or write fails, a save
//   fails) is kept; every worker stops after its current batch, and the
//   progress of every completed batch is saved. A stop request (`stop` non
//   zero) stops every worker after its current batch the same way.
#pragma once

#include <atomic>
#include <exception>
#include <functional>
#include <optional>
#include <vector>

#include "mongo/batch_checkpoint.h"
#include "mongo/client.h"

namespace mongomigrate::mongo {

struct ParallelBatches {
  const BatchQuery& query;
  const BatchFunction& fn;
  std::vector<PartitionProgress> partitions;
  // One per partition not done, in order: the workers' own connections.
  std::vector<Client> clients;
  // Saves partition `index`'s progress (coordinator thread). Empty: none.
  std::function<Result<void>(std::size_t index, const PartitionProgress&)> save;
  // After each save round, with every partition's progress (coordinator thread).
  std::function<void(const std::vector<PartitionProgress>&)> on_progress;
  const std::atomic<int>* stop = nullptr;
};

struct ParallelOutcome {
  std::vector<PartitionProgress> partitions;  // as last saved
  std::exception_ptr failure;                 // the first failure, if any
  std::optional<Error> database_error;        // that failure, when it was a lost connection
  bool all_done() const;
};

ParallelOutcome run_parallel_batches(ParallelBatches run);

}  // namespace mongomigrate::mongo
