#include "mongo/migration_context.h"

#include <chrono>
#include <type_traits>
#include <variant>

#include <fmt/format.h>

#include "mongo/data_ops.h"

namespace mongomigrate::mongo {

Result<std::unique_ptr<store::BodyContext>> MongoTarget::open_context(store::ContextRequest request) {
  return std::make_unique<MigrationContext>(client_, open_client_, std::move(request));
}

MigrationContext::MigrationContext(Client& client, ClientOpener open_client, store::ContextRequest request)
    : client_(client),
      open_client_(std::move(open_client)),
      store_(request.log),
      claim_(std::move(request.claim)),
      migration_(request.migration),
      hooks_(std::move(request.hooks)),
      checkpoint_(std::move(request.checkpoint)),
      save_checkpoints_(request.save_checkpoints) {}

void MigrationContext::check_or_throw(Result<void> result) {
  if (result) return;
  if (result.error().kind == ErrorKind::kDatabase) transport_error_ = result.error();
  throw MigrationError(result.error().message);
}

void MigrationContext::require_body_thread() const {
  if (workers_running_ && std::this_thread::get_id() != *workers_running_) {
    throw MigrationError(
        "the Context cannot be used from a parallel for_each_batch function (it runs on worker threads and the "
        "Context is not thread-safe): return the writes instead");
  }
}

const std::string& MigrationContext::database() const { return client_.database(); }

Document MigrationContext::command(const Value& command) {
  require_body_thread();
  return value_or_throw(mongo::run_value_command(client_, command));
}

void MigrationContext::create_index(std::string_view collection, const Value& keys, std::string_view name,
                                    const Value& options) {
  Doc index{{"key", keys}, {"name", std::string(name)}};
  if (const Doc* extra = std::get_if<Doc>(&options.variant())) index.insert(index.end(), extra->begin(), extra->end());
  command(Doc{{"createIndexes", std::string(collection)}, {"indexes", Array{Value(std::move(index))}}});
}

void MigrationContext::drop_index(std::string_view collection, std::string_view name) {
  command(Doc{{"dropIndexes", std::string(collection)}, {"index", std::string(name)}});
}

UpdateResult MigrationContext::update_many(std::string_view collection, const Value& filter, const Value& update) {
  require_body_thread();
  return value_or_throw(mongo::update_many(client_, collection, filter, update));
}

std::int64_t MigrationContext::insert_many(std::string_view collection, const std::vector<Value>& documents) {
  require_body_thread();
  return value_or_throw(mongo::insert_many(client_, collection, documents));
}

void MigrationContext::log(std::string_view message) {
  require_body_thread();
  if (hooks_.on_log) hooks_.on_log(message);
}

BatchResult MigrationContext::for_each_batch(const BatchQuery& query, const BatchFunction& fn) {
  require_body_thread();
  if (query.parallel < 1 || query.parallel > kMaxParallel) {
    throw MigrationError(fmt::format("BatchQuery.parallel must be between 1 and {} (got {})", kMaxParallel,
                                     query.parallel));
  }
  // A checkpoint is the last `_id` handled: a projection must keep it.
  if (const Doc* projection = std::get_if<Doc>(&query.projection.variant())) {
    for (const auto& [key, value] : *projection) {
      if (key != "_id") continue;
      bool kept = std::visit(
          [](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, bool>) return v;
            if constexpr (std::is_arithmetic_v<T>) return v != 0;
            return false;  // an expression would replace _id
          },
          value.variant());
      if (!kept) {
        throw MigrationError("BatchQuery.projection must keep _id (the batch helper resumes after the last _id it "
                             "handled): leave _id out of the projection or set it to 1");
      }
    }
  }
  int call = batch_calls_++;
  // Resume only the call the checkpoint belongs to; earlier calls of the
  // body completed before it was written and run again from scratch only
  // if the body itself does not guard against that (it should be idempotent).
  // The call is known by its number and its query: a body edited after a
  // failure (a call added before it, a filter widened) must not resume one
  // query after another's last `_id`, skipping every document before it.
  const std::string fingerprint = query_fingerprint(query);
  std::optional<Document> recorded;
  if (checkpoint_ && checkpoint_->integer("call") == call) {
    if (checkpoint_is_for(*checkpoint_, fingerprint)) {
      recorded = checkpoint_;
    } else {
      log(fmt::format("the checkpoint of batch call {} was written for another query (its collection, filter or "
                      "projection has changed since): this call starts over",
                      call));
    }
  }
  // A checkpoint is resumed as it was split, whatever `parallel` asks now:
  // re-splitting could hand a document done in one partition to another.
  if (recorded) {
    if (auto partitions = partitions_of(*recorded)) {
      return run_parallel(query, fn, call, fingerprint, std::move(partitions));
    }
    if (query.parallel > 1 && recorded->has("lastId")) {
      log(fmt::format("the interrupted run was not split (parallel {} now): resuming it as one partition; "
                      "--restart splits it afresh",
                      query.parallel));
    }
  } else if (query.parallel > 1) {
    return run_parallel(query, fn, call, fingerprint, std::nullopt);
  }
  return run_sequential(query, fn, call, fingerprint, recorded);
}

BatchResult MigrationContext::run_sequential(const BatchQuery& query, const BatchFunction& fn, int call,
                                             const std::string& fingerprint, const std::optional<Document>& recorded) {
  BatchResult totals;
  std::optional<Value> after_id;  // a null _id is one: a checkpoint after it is not "none"
  bool resumed = false;
  if (recorded && recorded->has("lastId")) {
    after_id = *recorded->get("lastId");
    totals = totals_of(*recorded);
    resumed = true;
    log(fmt::format("resuming after batch {} ({} documents done)", totals.batches, totals.scanned));
  }
  std::int64_t total = value_or_throw(mongo::count_documents(client_, query.collection, query.filter));
  auto cursor = value_or_throw(mongo::BatchCursor::open(client_, query, after_id));
  auto start = std::chrono::steady_clock::now();

  while (true) {
    std::vector<Document> batch = value_or_throw(cursor->next());
    if (batch.empty()) break;
    std::vector<WriteOp> writes = fn(std::span<const Document>(batch));
    mongo::BulkResult r = value_or_throw(mongo::bulk_write(client_, query.collection, writes));
    totals += BatchResult{.scanned = static_cast<std::int64_t>(batch.size()),
                          .matched = r.matched,
                          .modified = r.modified,
                          .inserted = r.inserted + r.upserted,
                          .deleted = r.deleted,
                          .batches = 1};
    if (save_checkpoints_) {
      check_or_throw(store_.set_metadata(claim_, "checkpoint",
                                         with_totals(Doc{{"call", call}, {"query", fingerprint},
                                                             {"lastId", batch.back().id()}},
                                                         totals)));
    }
    report_progress(totals, total, start, resumed);
    if (hooks_.stop && hooks_.stop->load() != 0) {
      throw MigrationError(fmt::format("interrupted by signal {} after batch {} ({} documents); {}",
                                       hooks_.stop->load(), totals.batches, totals.scanned, when_run_again()));
    }
  }
  save_totals(call, totals);
  return totals;
}

void MigrationContext::report_progress(const BatchResult& totals, std::int64_t total,
                                       std::chrono::steady_clock::time_point start, bool resumed) {
  if (!hooks_.on_batch) return;
  hooks_.on_batch(BatchProgress{
      .migration = migration_.name,
      .done = totals.scanned,
      .total = std::max(total, totals.scanned),
      .batches = totals.batches,
      .elapsed_ms =
          std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count(),
      .resumed = resumed});
}

std::string MigrationContext::when_run_again() const {
  // A revert keeps no checkpoint (save_checkpoints_ is off for `down`).
  return save_checkpoints_ ? "run it again to continue from there" : "run again, the revert starts over";
}

void MigrationContext::save_totals(int call, const BatchResult& totals, const Value& partitions) {
  Doc fields = with_totals(Doc{}, totals);
  if (!partitions.is_null()) fields.emplace_back("partitions", partitions);
  check_or_throw(store_.set_metadata(claim_, (save_checkpoints_ ? "up.batch" : "down.batch") + std::to_string(call),
                                     std::move(fields)));
}

}  // namespace mongomigrate::mongo
