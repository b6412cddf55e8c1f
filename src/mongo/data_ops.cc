#include "mongo/data_ops.h"

#include <algorithm>
#include <span>

#include <fmt/format.h>

#include "core/id_partitions.h"
#include "mongo/value_bson.h"

namespace mongomigrate::mongo {
namespace {

Error invalid(std::string message) { return Error{ErrorKind::kMigrationFailed, std::move(message)}; }

std::int64_t int_field(const bson_t* doc, const char* key) {
  bson_iter_t it;
  return bson_iter_init_find(&it, doc, key) && BSON_ITER_HOLDS_NUMBER(&it) ? bson_iter_as_int64(&it) : 0;
}

// to_bson that reports a non-document as an Error instead of throwing.
Result<OwnedBson> as_document(const Value& value, std::string_view what) {
  if (!std::holds_alternative<Doc>(value.variant())) {
    return std::unexpected(invalid(fmt::format("{} must be a document", what)));
  }
  return to_bson(value);
}

}  // namespace

Result<Document> run_value_command(Client& client, const Value& command) {
  auto cmd = as_document(command, "a command");
  if (!cmd) return std::unexpected(cmd.error());
  ScopedBson reply;
  if (auto r = client.run_migration_command(cmd->get(), reply.get()); !r) {
    return std::unexpected(r.error());
  }
  return to_document(reply.get());
}

Result<UpdateResult> update_many(Client& client, std::string_view collection, const Value& filter,
                                 const Value& update) {
  Value command = Doc{{"update", std::string(collection)},
                      {"updates", Array{Doc{{"q", filter}, {"u", update}, {"multi", true}}}}};
  auto reply = run_value_command(client, command);
  if (!reply) return std::unexpected(reply.error());
  return UpdateResult{reply->integer("n").value_or(0), reply->integer("nModified").value_or(0)};
}

Result<std::int64_t> insert_many(Client& client, std::string_view collection, const std::vector<Value>& documents) {
  std::vector<WriteOp> writes;
  writes.reserve(documents.size());
  for (const Value& d : documents) writes.push_back(WriteOp::insert_one(d));
  auto result = bulk_write(client, collection, writes);
  if (!result) return std::unexpected(result.error());
  return result->inserted;
}

Result<std::int64_t> count_documents(Client& client, std::string_view collection, const Value& filter) {
  auto f = as_document(filter, "a filter");
  if (!f) return std::unexpected(f.error());
  CollectionPtr coll = client.open_collection(std::string(collection));
  bson_error_t error;
  int64_t n = mongoc_collection_count_documents(coll.get(), f->get(), nullptr, nullptr, nullptr, &error);
  if (n < 0) return std::unexpected(client.error_from(error, ErrorKind::kMigrationFailed, "count failed"));
  return n;
}

// One unordered bulk: every write is checked while it is added, so an
// invalid one anywhere stops the batch before anything is sent; libmongoc
// splits what it sends by the server's maxWriteBatchSize and message size.
Result<BulkResult> bulk_write(Client& client, std::string_view collection, const std::vector<WriteOp>& writes) {
  BulkResult result;
  if (writes.empty()) return result;
  CollectionPtr coll = client.open_collection(std::string(collection));
  OwnedBson opts = to_bson(Doc{{"ordered", false}});
  BulkPtr bulk(mongoc_collection_create_bulk_operation_with_opts(coll.get(), opts.get()));
  for (std::size_t i = 0; i < writes.size(); ++i) {
    const WriteOp& w = writes[i];
    bson_error_t error;
    bool ok = true;
    std::string where = fmt::format("write {} of {}", i + 1, writes.size());
    if (w.kind == WriteOp::Kind::kInsertOne) {
      auto doc = as_document(w.document, where + ": the document to insert");
      if (!doc) return std::unexpected(doc.error());
      ok = mongoc_bulk_operation_insert_with_opts(bulk.get(), doc->get(), nullptr, &error);
    } else {
      auto filter = as_document(w.filter, where + ": the filter");
      if (!filter) return std::unexpected(filter.error());
      if (w.kind == WriteOp::Kind::kDeleteOne) {
        ok = mongoc_bulk_operation_remove_one_with_opts(bulk.get(), filter->get(), nullptr, &error);
      } else if (w.kind == WriteOp::Kind::kDeleteMany) {
        ok = mongoc_bulk_operation_remove_many_with_opts(bulk.get(), filter->get(), nullptr, &error);
      } else {
        auto doc = as_document(w.document, where + ": the update");
        if (!doc) return std::unexpected(doc.error());
        // libmongoc 1.23 checks operators only when the bulk executes; check
        // here so that validation catches them before anything is sent.
        bool replace = w.kind == WriteOp::Kind::kReplaceOne;
        for (const auto& field : std::get<Doc>(w.document.variant())) {
          if (field.first.starts_with('$') == replace) {
            return std::unexpected(invalid(fmt::format(
                "{} is invalid: {}", where,
                replace ? "a replacement cannot use $-operators" : "an update must use $-operators such as $set")));
          }
        }
        if (!replace && std::get<Doc>(w.document.variant()).empty()) {
          return std::unexpected(invalid(fmt::format("{} is invalid: the update is empty", where)));
        }
        switch (w.kind) {
          case WriteOp::Kind::kUpdateOne:
            ok = mongoc_bulk_operation_update_one_with_opts(bulk.get(), filter->get(), doc->get(), nullptr, &error);
            break;
          case WriteOp::Kind::kUpdateMany:
            ok = mongoc_bulk_operation_update_many_with_opts(bulk.get(), filter->get(), doc->get(), nullptr, &error);
            break;
          default:
            ok = mongoc_bulk_operation_replace_one_with_opts(bulk.get(), filter->get(), doc->get(), nullptr, &error);
            break;
        }
      }
    }
    if (!ok) return std::unexpected(invalid(fmt::format("{} is invalid: {}", where, error.message)));
  }
  ScopedBson reply;
  bson_destroy(reply.get());
  bson_error_t error;
  bool ok = mongoc_bulk_operation_execute(bulk.get(), reply.get(), &error) != 0;
  result.matched = int_field(reply.get(), "nMatched");
  result.modified = int_field(reply.get(), "nModified");
  result.inserted = int_field(reply.get(), "nInserted");
  result.deleted = int_field(reply.get(), "nRemoved");
  result.upserted = int_field(reply.get(), "nUpserted");
  if (!ok) return std::unexpected(client.error_from(error, ErrorKind::kMigrationFailed, "bulk write failed"));
  return result;
}

struct BatchCursor::State {
  CollectionPtr collection;
  CursorPtr cursor;
  int batch_size = 1000;
  Client* client = nullptr;
  bool exhausted = false;  // libmongoc refuses to advance a finished cursor
};

BatchCursor::BatchCursor(std::unique_ptr<State> state) : state_(std::move(state)) {}
BatchCursor::~BatchCursor() = default;

Result<std::unique_ptr<BatchCursor>> BatchCursor::open(Client& client, const BatchQuery& query,
                                                       const std::optional<Value>& after_id) {
  if (query.batch_size <= 0) return std::unexpected(invalid("the batch size must be positive"));
  Value filter = query.filter;
  if (after_id) filter = Doc{{"$and", Array{query.filter, core::after_id_filter(*after_id)}}};
  auto f = as_document(filter, "the batch filter");
  if (!f) return std::unexpected(f.error());
  Doc options{{"sort", Doc{{"_id", 1}}}, {"batchSize", query.batch_size}};
  if (!query.projection.is_null()) options.emplace_back("projection", query.projection);
  OwnedBson opts = to_bson(Value(std::move(options)));
  auto state = std::make_unique<State>();
  state->collection = client.open_collection(query.collection);
  state->cursor.reset(mongoc_collection_find_with_opts(state->collection.get(), f->get(), opts.get(), nullptr));
  state->batch_size = query.batch_size;
  state->client = &client;
  return std::make_unique<BatchCursor>(std::move(state));
}

Result<std::vector<Document>> BatchCursor::next() {
  std::vector<Document> batch;
  if (state_->exhausted) return batch;
  batch.reserve(static_cast<std::size_t>(state_->batch_size));
  const bson_t* doc = nullptr;
  while (static_cast<int>(batch.size()) < state_->batch_size) {
    if (!mongoc_cursor_next(state_->cursor.get(), &doc)) {
      state_->exhausted = true;
      break;
    }
    batch.push_back(to_document(doc));
  }
  bson_error_t error;
  if (mongoc_cursor_error(state_->cursor.get(), &error)) {
    return std::unexpected(state_->client->error_from(error, ErrorKind::kMigrationFailed, "reading the batch failed"));
  }
  return batch;
}

}  // namespace mongomigrate::mongo
