#include "mongo/migration_context.h"

#include <chrono>

#include <fmt/format.h>

#include "mongo/data_ops.h"

namespace mongomigrate::mongo {

Result<std::unique_ptr<store::BodyContext>> MongoTarget::open_context(store::ContextRequest request) {
  return std::make_unique<MigrationContext>(client_, std::move(request));
}

MigrationContext::MigrationContext(Client& client, store::ContextRequest request)
    : client_(client),
      store_(request.log),
      claim_(std::move(request.claim)),
      migration_(request.migration),
      hooks_(std::move(request.hooks)),
      checkpoint_(std::move(request.checkpoint)),
      save_checkpoints_(request.save_checkpoints) {}

template <class T>
T MigrationContext::value_or_throw(Result<T> result) {
  if (result) return std::move(*result);
  if (result.error().kind == ErrorKind::kDatabase) transport_error_ = result.error();
  throw MigrationError(result.error().message);
}

void MigrationContext::check_or_throw(Result<void> result) {
  if (result) return;
  if (result.error().kind == ErrorKind::kDatabase) transport_error_ = result.error();
  throw MigrationError(result.error().message);
}

const std::string& MigrationContext::database() const { return client_.database(); }

Document MigrationContext::command(const Value& command) {
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
  return value_or_throw(mongo::update_many(client_, collection, filter, update));
}

std::int64_t MigrationContext::insert_many(std::string_view collection, const std::vector<Value>& documents) {
  return value_or_throw(mongo::insert_many(client_, collection, documents));
}

void MigrationContext::log(std::string_view message) {
  if (hooks_.on_log) hooks_.on_log(message);
}

BatchResult MigrationContext::for_each_batch(const BatchQuery& query, const BatchFunction& fn) {
  int call = batch_calls_++;
  BatchResult totals;
  Value after_id;
  bool resumed = false;
  // Resume only the call the checkpoint belongs to; earlier calls of the
  // body completed before it was written and run again from scratch only
  // if the body itself does not guard against that (it should be idempotent).
  if (checkpoint_ && checkpoint_->integer("call") == call && checkpoint_->has("lastId")) {
    after_id = *checkpoint_->get("lastId");
    totals.scanned = checkpoint_->integer("scanned").value_or(0);
    totals.matched = checkpoint_->integer("matched").value_or(0);
    totals.modified = checkpoint_->integer("modified").value_or(0);
    totals.inserted = checkpoint_->integer("inserted").value_or(0);
    totals.deleted = checkpoint_->integer("deleted").value_or(0);
    totals.batches = checkpoint_->integer("batches").value_or(0);
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
    totals.scanned += static_cast<std::int64_t>(batch.size());
    totals.matched += r.matched;
    totals.modified += r.modified;
    totals.inserted += r.inserted + r.upserted;
    totals.deleted += r.deleted;
    ++totals.batches;
    Value last_id = batch.back().id();
    if (save_checkpoints_) {
      check_or_throw(store_.set_metadata(claim_, "checkpoint",
                                         Doc{{"call", call},
                                             {"lastId", last_id},
                                             {"scanned", static_cast<long long>(totals.scanned)},
                                             {"matched", static_cast<long long>(totals.matched)},
                                             {"modified", static_cast<long long>(totals.modified)},
                                             {"inserted", static_cast<long long>(totals.inserted)},
                                             {"deleted", static_cast<long long>(totals.deleted)},
                                             {"batches", static_cast<long long>(totals.batches)}}));
    }
    if (hooks_.on_batch) {
      hooks_.on_batch(BatchProgress{
          .migration = migration_.name,
          .done = totals.scanned,
          .total = std::max(total, totals.scanned),
          .batches = totals.batches,
          .elapsed_ms =
              std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count(),
          .resumed = resumed});
    }
    if (hooks_.stop && hooks_.stop->load() != 0) {
      throw MigrationError(fmt::format("interrupted by signal {} after batch {} ({} documents); run it again to "
                                       "continue from there",
                                       hooks_.stop->load(), totals.batches, totals.scanned));
    }
  }
  check_or_throw(store_.set_metadata(claim_,
                                     (save_checkpoints_ ? "up.batch" : "down.batch") + std::to_string(call),
                                     Doc{{"scanned", static_cast<long long>(totals.scanned)},
                                         {"matched", static_cast<long long>(totals.matched)},
                                         {"modified", static_cast<long long>(totals.modified)},
                                         {"inserted", static_cast<long long>(totals.inserted)},
                                         {"deleted", static_cast<long long>(totals.deleted)},
                                         {"batches", static_cast<long long>(totals.batches)}}));
  return totals;
}

}  // namespace mongomigrate::mongo
