// MigrationContext's parallel for_each_batch (BatchQuery::parallel > 1): the
// split, the workers' connections, the checkpoint per partition and the
// outcome. The workers themselves are mongo/parallel_batches.h.
#include <fmt/format.h>

#include "mongo/data_ops.h"
#include "mongo/migration_context.h"
#include "mongo/parallel_batches.h"

namespace mongomigrate::mongo {

// A sample of the matching `_id`s, sorted by the server, cut at its
// quantiles (core/id_partitions.h). Ranges need every `_id` in one
// comparison bracket; when the sample or a count says otherwise, one range.
std::vector<PartitionProgress> MigrationContext::split(const BatchQuery& query) {
  int size = core::sample_size_for(query.parallel);
  // Never an empty $match: FerretDB 2 then samples storage blocks (a few
  // contiguous runs of _ids, useless for quantiles); with a condition, it
  // samples documents. `_id` always exists, so the condition keeps them all.
  Value match = Doc{{"$and", Array{query.filter, Doc{{"_id", Doc{{"$exists", true}}}}}}};
  Array pipeline{Doc{{"$match", std::move(match)}}, Doc{{"$sample", Doc{{"size", size}}}},
                 Doc{{"$sort", Doc{{"_id", 1}}}}, Doc{{"$project", Doc{{"_id", 1}}}}};
  // One more than the sample can hold: a mongod that fills the first batch
  // exactly keeps the cursor open (until its 10-minute idle timeout), not
  // knowing there is no more.
  Document reply = command(Doc{{"aggregate", query.collection}, {"pipeline", std::move(pipeline)},
                               {"cursor", Doc{{"batchSize", size + 1}}}});
  std::vector<Value> sample;
  if (std::optional<Value> batch = reply.get("cursor.firstBatch")) {
    for (const Value& entry : std::get<Array>(batch->variant())) {
      for (const auto& [key, id] : std::get<Doc>(entry.variant())) {
        if (key == "_id") sample.push_back(id);
      }
    }
  }
  std::vector<core::IdRange> ranges = core::split_by_sample(sample, query.parallel);
  if (ranges.size() > 1) {
    Array bracket = core::type_bracket(sample.front());
    bool one_bracket = !bracket.empty() && std::ranges::all_of(sample, [&](const Value& id) {
      return core::type_bracket(id) == bracket;
    });
    if (one_bracket) {
      Value others = Doc{{"$and", Array{query.filter, Doc{{"_id", Doc{{"$not", Doc{{"$type", bracket}}}}}}}}};
      one_bracket = value_or_throw(mongo::count_documents(client_, query.collection, others)) == 0;
    }
    if (!one_bracket) {
      log("not split: the documents' _ids are not all numbers, or all strings, or all ObjectIds...; one "
          "partition");
      ranges = {core::IdRange{}};
    }
  }
  if (ranges.size() < static_cast<std::size_t>(query.parallel)) {
    log(fmt::format("{} partition{} (parallel {} asked; fewer distinct _ids sampled)", ranges.size(),
                    ranges.size() == 1 ? "" : "s", query.parallel));
  }
  std::vector<PartitionProgress> partitions;
  for (core::IdRange& range : ranges) partitions.push_back(PartitionProgress{.range = std::move(range)});
  return partitions;
}

BatchResult MigrationContext::run_parallel(const BatchQuery& query, const BatchFunction& fn, int call,
                                           const std::string& fingerprint,
                                           std::optional<std::vector<PartitionProgress>> recorded) {
  if (query.batch_size <= 0) throw MigrationError("the batch size must be positive");
  std::int64_t total = value_or_throw(mongo::count_documents(client_, query.collection, query.filter));
  std::vector<PartitionProgress> partitions;
  bool resumed = recorded.has_value();
  if (recorded) {
    partitions = std::move(*recorded);
    BatchResult done;
    for (const PartitionProgress& p : partitions) done += p.totals;
    log(fmt::format("resuming {} partitions as recorded{} ({} documents done)", partitions.size(),
                    partitions.size() == static_cast<std::size_t>(query.parallel)
                        ? ""
                        : fmt::format(", not the {} asked (--restart splits afresh)", query.parallel),
                    done.scanned));
  } else if (total > 0) {
    partitions = split(query);
    if (save_checkpoints_) {
      check_or_throw(store_.set_metadata(claim_, "checkpoint", parallel_checkpoint(call, fingerprint, query.parallel, partitions)));
    }
  }
  std::vector<Client> clients;
  for (const PartitionProgress& p : partitions) {
    if (p.done) continue;
    if (!open_client_) throw MigrationError("this Context cannot open connections for parallel batches");
    clients.push_back(value_or_throw(open_client_()));
  }
  auto start = std::chrono::steady_clock::now();
  auto sum = [](const std::vector<PartitionProgress>& parts) {
    BatchResult totals;
    for (const PartitionProgress& p : parts) totals += p.totals;
    return totals;
  };
  ParallelBatches run{.query = query, .fn = fn, .partitions = partitions, .clients = std::move(clients),
                      .save = {}, .on_progress = {}, .stop = hooks_.stop};
  if (save_checkpoints_) {
    run.save = [this](std::size_t index, const PartitionProgress& p) {
      return store_.set_metadata(claim_, partition_path(index), partition_doc(p));
    };
  }
  run.on_progress = [&](const std::vector<PartitionProgress>& parts) {
    report_progress(sum(parts), total, start, resumed);
  };
  workers_running_ = std::this_thread::get_id();
  struct WorkersEnded {
    std::optional<std::thread::id>& running;
    ~WorkersEnded() { running.reset(); }
  } ended{workers_running_};
  ParallelOutcome outcome = run_parallel_batches(std::move(run));

  BatchResult totals = sum(outcome.partitions);
  if (outcome.failure) {
    if (outcome.database_error) transport_error_ = outcome.database_error;
    std::rethrow_exception(outcome.failure);
  }
  if (!outcome.all_done()) {
    throw MigrationError(fmt::format("interrupted by signal {} after {} batches in {} partitions ({} documents); {}",
                                     hooks_.stop ? hooks_.stop->load() : 0, totals.batches, outcome.partitions.size(),
                                     totals.scanned, when_run_again()));
  }
  Array per_partition;
  for (const PartitionProgress& p : outcome.partitions) per_partition.emplace_back(with_totals(Doc{}, p.totals));
  save_totals(call, totals, per_partition);
  return totals;
}

}  // namespace mongomigrate::mongo
