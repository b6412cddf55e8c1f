// The tracking log's writes of many documents at once (MongoLogStore, see
// mongo/log_store.h): baseline's records and events, one ordered bulk insert
// each per batch, ordered, so what is written is always the start of the batch.
#include <fmt/format.h>

#include <algorithm>

#include "mongo/log_bson.h"
#include "mongo/log_store.h"
#include "mongo/value_bson.h"

namespace mongomigrate::mongo {
namespace {

constexpr int kDuplicateKey = 11000;

// One ordered bulk insert of `docs` into `coll`: how many were inserted
// (from the first), and the driver's error if it stopped early.
// `duplicate`: that error is a duplicate key.
struct Inserted {
  std::size_t count = 0;
  bool failed = false;
  bool duplicate = false;
  bson_error_t error{};
};

Inserted insert_ordered(mongoc_collection_t* coll, const std::vector<OwnedBson>& docs, mongoc_write_concern_t* wc) {
  ScopedBson opts, reply;
  mongoc_write_concern_append(wc, opts.get());
  BSON_APPEND_BOOL(opts.get(), "ordered", true);
  BulkPtr bulk(mongoc_collection_create_bulk_operation_with_opts(coll, opts.get()));
  Inserted result;
  for (const OwnedBson& doc : docs) {
    if (!mongoc_bulk_operation_insert_with_opts(bulk.get(), doc.get(), nullptr, &result.error)) {
      result.failed = true;
      return result;
    }
  }
  bson_destroy(reply.get());
  bool ok = mongoc_bulk_operation_execute(bulk.get(), reply.get(), &result.error) != 0;
  bson_iter_t it;
  if (bson_iter_init_find(&it, reply.get(), "nInserted")) {
    result.count = std::min(static_cast<std::size_t>(bson_iter_as_int64(&it)), docs.size());
  }
  if (ok) return result;
  result.failed = true;
  if (result.count == docs.size()) result.count = docs.size() - 1;  // the failed one was not inserted
  bson_iter_t code;
  result.duplicate = result.error.code == kDuplicateKey ||
                     (bson_iter_init(&it, reply.get()) && bson_iter_find_descendant(&it, "writeErrors.0.code", &code) &&
                      bson_iter_as_int64(&code) == kDuplicateKey);
  return result;
}

}  // namespace

Result<std::size_t> MongoLogStore::insert_applied(std::span<const core::Migration* const> migrations,
                                                  TimestampMs at, const std::string& by) {
  if (migrations.empty()) return std::size_t{0};
  std::vector<OwnedBson> docs;
  docs.reserve(migrations.size());
  for (const core::Migration* m : migrations) {
    docs.push_back(to_bson(Doc{{"_id", *object_id(new_object_id())},
                               {"name", m->name},
                               {"version", m->version},
                               {"status", core::kStatusApplied},
                               {"appliedAt", DateTime{at}},
                               {"appliedBy", by},
                               {"checksum", m->checksum}}));
  }
  CollectionPtr coll = client_.open_collection(collection_);
  Inserted inserted = insert_ordered(coll.get(), docs, write_concern_.get());
  if (!inserted.failed || inserted.duplicate) return inserted.count;
  return std::unexpected(client_.error_from(
      inserted.error, ErrorKind::kDatabase,
      fmt::format("cannot record {} applied ({} of {} recorded)", migrations[inserted.count]->name, inserted.count,
                  migrations.size())));
}

Result<void> MongoLogStore::append_events(std::span<const HistoryEvent> events) {
  if (events.empty()) return {};
  std::vector<OwnedBson> docs;
  docs.reserve(events.size());
  for (const HistoryEvent& e : events) docs.push_back(to_bson(event_fields(e)));
  CollectionPtr coll = client_.open_collection(events_collection());
  Inserted inserted = insert_ordered(coll.get(), docs, write_concern_.get());
  if (!inserted.failed) return {};
  return std::unexpected(client_.error_from(
      inserted.error, ErrorKind::kDatabase,
      fmt::format("cannot record the {} event of {} ({} of {} events recorded)", events[inserted.count].action,
                  events[inserted.count].name, inserted.count, events.size())));
}

}  // namespace mongomigrate::mongo
