#include "mongo/log_store.h"

#include <fmt/format.h>

#include "mongo/log_bson.h"
#include "mongo/value_bson.h"

namespace mongomigrate::mongo {
namespace {

constexpr int kDuplicateKey = 11000;

void append_string(bson_t* doc, const char* key, const std::string& value) {
  BSON_APPEND_UTF8(doc, key, value.c_str());
}

// Projection for load()/find(): everything but `metadata`, so a log with
// large `metadata` documents costs no more to read than a lean one. `_id` is
// kept: a claim names the record it read by it.
void append_record_projection(bson_t* opts) {
  bson_t projection;
  BSON_APPEND_DOCUMENT_BEGIN(opts, "projection", &projection);
  BSON_APPEND_INT32(&projection, "metadata", 0);
  bson_append_document_end(opts, &projection);
}

}  // namespace

MongoLogStore::MongoLogStore(Client& client, std::string collection)
    : client_(client), collection_(std::move(collection)), write_concern_(mongoc_write_concern_new()) {
  mongoc_write_concern_set_wmajority(write_concern_.get(), 0);
}

MongoLogStore::MongoLogStore(std::unique_ptr<Client> client, std::string collection)
    : MongoLogStore(*client, std::move(collection)) {
  owned_ = std::move(client);
}

Result<std::unique_ptr<store::LogStore>> open_log_store(const std::string& uri, const std::string& database,
                                                        const std::string& collection) {
  auto client = Client::open(uri, database);
  if (!client) return std::unexpected(client.error());
  return std::make_unique<MongoLogStore>(std::make_unique<Client>(std::move(*client)), collection);
}

Result<std::vector<core::LogRecord>> MongoLogStore::load() {
  CollectionPtr coll = client_.open_collection(collection_);
  ScopedBson filter, opts;
  append_record_projection(opts.get());
  // Few round trips for a long log: 5,000 records are ~1.5 MB, well under a
  // reply's 16 MB.
  BSON_APPEND_INT32(opts.get(), "batchSize", 5000);
  CursorPtr cursor(mongoc_collection_find_with_opts(coll.get(), filter.get(), opts.get(), nullptr));
  std::vector<core::LogRecord> records;
  const bson_t* doc = nullptr;
  while (mongoc_cursor_next(cursor.get(), &doc)) records.push_back(record_from(doc));
  bson_error_t error;
  if (mongoc_cursor_error(cursor.get(), &error)) {
    return std::unexpected(client_.error_from(error, ErrorKind::kDatabase,
                                              fmt::format("cannot read the tracking log \"{}\"", collection_)));
  }
  return records;
}

Result<std::optional<core::LogRecord>> MongoLogStore::find(const std::string& name) {
  CollectionPtr coll = client_.open_collection(collection_);
  ScopedBson filter, opts;
  append_string(filter.get(), "name", name);
  append_record_projection(opts.get());
  BSON_APPEND_INT64(opts.get(), "limit", 1);
  CursorPtr cursor(mongoc_collection_find_with_opts(coll.get(), filter.get(), opts.get(), nullptr));
  const bson_t* doc = nullptr;
  std::optional<core::LogRecord> record;
  if (mongoc_cursor_next(cursor.get(), &doc)) record = record_from(doc);
  bson_error_t error;
  if (mongoc_cursor_error(cursor.get(), &error)) {
    return std::unexpected(client_.error_from(error, ErrorKind::kDatabase,
                                              fmt::format("cannot read the tracking log \"{}\"", collection_)));
  }
  return record;
}

Result<void> MongoLogStore::ensure_indexes() {
  ScopedBson command;
  append_string(command.get(), "createIndexes", collection_);
  bson_t indexes, index, key;
  BSON_APPEND_ARRAY_BEGIN(command.get(), "indexes", &indexes);
  BSON_APPEND_DOCUMENT_BEGIN(&indexes, "0", &index);
  BSON_APPEND_DOCUMENT_BEGIN(&index, "key", &key);
  BSON_APPEND_INT32(&key, "name", 1);
  bson_append_document_end(&index, &key);
  BSON_APPEND_UTF8(&index, "name", "name_1");
  BSON_APPEND_BOOL(&index, "unique", true);
  bson_append_document_end(&indexes, &index);
  bson_append_array_end(command.get(), &indexes);
  auto created = client_.run_command(command.get(), nullptr);
  if (created) return {};

  // An existing unique index on {name: 1} under another name is fine: it
  // gives the same guarantee. Anything else is reported.
  CollectionPtr coll = client_.open_collection(collection_);
  CursorPtr cursor(mongoc_collection_find_indexes_with_opts(coll.get(), nullptr));
  const bson_t* doc = nullptr;
  while (mongoc_cursor_next(cursor.get(), &doc)) {
    bson_iter_t it, key_it;
    bool unique = bson_iter_init_find(&it, doc, "unique") && bson_iter_as_bool(&it);
    bool on_name = false;
    if (bson_iter_init_find(&it, doc, "key") && BSON_ITER_HOLDS_DOCUMENT(&it) &&
        bson_iter_recurse(&it, &key_it) && bson_iter_next(&key_it)) {
      on_name = std::string_view(bson_iter_key(&key_it)) == "name" && !bson_iter_next(&key_it);
    }
    if (unique && on_name) return {};
  }
  return std::unexpected(Error{
      ErrorKind::kDatabase,
      fmt::format("cannot create the unique index on {}.name: {}", collection_, created.error().message)});
}

namespace {

// `_id: ObjectId(id)`, or `name` for a record whose `_id` is not one.
void append_record_key(bson_t* filter, const std::string& id, const std::string& name) {
  if (id.empty() || !append_object_id(filter, id)) append_string(filter, "name", name);
}

// `key: value`, or `key: null` (which also matches a missing field) if empty.
void append_or_null(bson_t* doc, const char* key, const std::string& value) {
  if (value.empty()) {
    BSON_APPEND_NULL(doc, key);
  } else {
    append_string(doc, key, value);
  }
}

// {$set: set, $unset: unset}; an empty $set or $unset is left out.
void append_update(bson_t* update, const bson_t* set, const bson_t* unset) {
  if (!bson_empty(set)) BSON_APPEND_DOCUMENT(update, "$set", set);
  if (unset != nullptr && !bson_empty(unset)) BSON_APPEND_DOCUMENT(update, "$unset", unset);
}

void append_unset(bson_t* unset, std::initializer_list<const char*> fields) {
  for (const char* field : fields) BSON_APPEND_UTF8(unset, field, "");
}

}  // namespace

Result<std::int64_t> MongoLogStore::update(const bson_t* filter, const bson_t* update, const std::string& context) {
  CollectionPtr coll = client_.open_collection(collection_);
  ScopedBson opts, reply;
  mongoc_write_concern_append(write_concern_.get(), opts.get());
  bson_error_t error;
  bson_destroy(reply.get());
  if (!mongoc_collection_update_one(coll.get(), filter, update, opts.get(), reply.get(), &error)) {
    return std::unexpected(client_.error_from(error, ErrorKind::kDatabase, context));
  }
  bson_iter_t it;
  return bson_iter_init_find(&it, reply.get(), "matchedCount") ? bson_iter_as_int64(&it) : 0;
}

Result<store::Claim> MongoLogStore::claim(const std::string& name, const store::ClaimRequest& request,
                                          const bson_t* set, const bson_t* unset, const std::string& context) {
  if (request.seen) {
    // The record as read under the lease, only if it still is: a runner
    // paused past its lease finds it changed by its successor (whose claim
    // set lockOwner, whose outcome set a status) and writes nothing.
    const core::LogRecord& seen = *request.seen;
    ScopedBson filter, update;
    append_record_key(filter.get(), seen.id, name);
    append_or_null(filter.get(), "status", seen.status);
    append_or_null(filter.get(), "lockOwner", seen.lock_owner);
    append_update(update.get(), set, unset);
    auto matched = this->update(filter.get(), update.get(), context);
    if (!matched) return std::unexpected(matched.error());
    if (*matched == 0) {
      return std::unexpected(
          Error{ErrorKind::kRefused, fmt::format("{}: its record was changed by another runner meanwhile", context)});
    }
    return store::Claim{.name = name, .id = seen.id, .owner = request.owner};
  }
  // No record: insert one. The unique index on `name` lets only one runner
  // create it.
  store::Claim claimed{.name = name, .id = new_object_id(), .owner = request.owner};
  CollectionPtr coll = client_.open_collection(collection_);
  ScopedBson doc, opts;
  append_object_id(doc.get(), claimed.id);
  append_string(doc.get(), "name", name);
  bson_concat(doc.get(), set);
  mongoc_write_concern_append(write_concern_.get(), opts.get());
  bson_error_t error;
  if (mongoc_collection_insert_one(coll.get(), doc.get(), opts.get(), nullptr, &error)) return claimed;
  if (error.code == kDuplicateKey) {
    return std::unexpected(Error{ErrorKind::kRefused, fmt::format("{}: another runner got there first", context)});
  }
  return std::unexpected(client_.error_from(error, ErrorKind::kDatabase, context));
}

Result<void> MongoLogStore::fenced_update(const store::Claim& claim, const bson_t* update,
                                          const std::string& context) {
  ScopedBson filter;
  append_record_key(filter.get(), claim.id, claim.name);
  append_string(filter.get(), "lockOwner", claim.owner);
  auto matched = this->update(filter.get(), update, context);
  if (!matched) return std::unexpected(matched.error());
  if (*matched == 0) {
    return std::unexpected(Error{ErrorKind::kLockLost,
                                 fmt::format("{}: the record is no longer this runner's (its lock was taken over "
                                             "and the record claimed or changed since)",
                                             context)});
  }
  return {};
}

Result<store::Claim> MongoLogStore::claim_run(const core::Migration& m, const store::ClaimRequest& request) {
  ScopedBson set, unset;
  append_string(set.get(), "version", m.version);
  append_string(set.get(), "status", core::kStatusRunning);
  append_string(set.get(), "checksum", m.checksum);
  append_string(set.get(), "appliedBy", request.by);
  append_string(set.get(), "lockOwner", request.owner);
  // A revert interrupted before (run again now): this is an `up`.
  append_unset(unset.get(), {"reverting"});
  return claim(m.name, request, set.get(), unset.get(), fmt::format("cannot start {}", m.name));
}

Result<void> MongoLogStore::finish_applied(const core::Migration& m, const store::Claim& claim, const std::string& by,
                                           TimestampMs applied_at, std::int64_t duration_ms) {
  ScopedBson set, unset, update;
  append_string(set.get(), "status", core::kStatusApplied);
  BSON_APPEND_DATE_TIME(set.get(), "appliedAt", applied_at);
  BSON_APPEND_INT64(set.get(), "duration", duration_ms);
  append_string(set.get(), "checksum", m.checksum);
  append_string(set.get(), "appliedBy", by);
  append_unset(unset.get(), {"error", "revertedAt", "revertedBy", "lockOwner", "reverting"});
  // A finished batch run needs no checkpoint; only C++ migrations write one
  // (and only they can be sure `metadata` is a document).
  if (m.compiled) append_unset(unset.get(), {"metadata.checkpoint"});
  append_update(update.get(), set.get(), unset.get());
  return fenced_update(claim, update.get(), fmt::format("cannot record {} as applied", m.name));
}

Result<void> MongoLogStore::finish_failed(const core::Migration& m, const store::Claim& claim,
                                          const std::string& error, std::int64_t duration_ms) {
  ScopedBson set, unset, update;
  append_string(set.get(), "status", core::kStatusFailed);
  append_string(set.get(), "error", error);
  BSON_APPEND_INT64(set.get(), "duration", duration_ms);
  append_unset(unset.get(), {"lockOwner", "reverting"});
  append_update(update.get(), set.get(), unset.get());
  return fenced_update(claim, update.get(), fmt::format("cannot record {} as failed", m.name));
}

Result<store::Claim> MongoLogStore::claim_revert(const core::Migration& m, const store::ClaimRequest& request) {
  if (!request.seen) {
    return std::unexpected(Error{ErrorKind::kRefused, fmt::format("cannot revert {}: it has no record", m.name)});
  }
  ScopedBson set, unset;
  append_string(set.get(), "status", core::kStatusRunning);
  BSON_APPEND_BOOL(set.get(), "reverting", true);
  append_string(set.get(), "lockOwner", request.owner);
  // An earlier failed revert's error is history now (its event keeps it); a
  // batch checkpoint of an earlier `up` means nothing once `down` has run.
  append_unset(unset.get(), {"error"});
  if (m.compiled) append_unset(unset.get(), {"metadata.checkpoint"});
  return claim(m.name, request, set.get(), unset.get(), fmt::format("cannot start reverting {}", m.name));
}

Result<void> MongoLogStore::finish_reverted(const core::Migration& m, const store::Claim& claim,
                                            const std::string& by, TimestampMs reverted_at) {
  ScopedBson set, unset, update;
  append_string(set.get(), "status", core::kStatusReverted);
  BSON_APPEND_DATE_TIME(set.get(), "revertedAt", reverted_at);
  append_string(set.get(), "revertedBy", by);
  append_unset(unset.get(), {"error", "lockOwner", "reverting"});
  append_update(update.get(), set.get(), unset.get());
  return fenced_update(claim, update.get(), fmt::format("cannot record {} as reverted", m.name));
}

Result<void> MongoLogStore::note_revert_failed(const core::Migration& m, const store::Claim& claim,
                                               const std::string& error) {
  ScopedBson set, unset, update;
  append_string(set.get(), "error", "revert failed: " + error);
  // Still `running` and `reverting`, with no runner: interrupted.
  append_unset(unset.get(), {"lockOwner"});
  append_update(update.get(), set.get(), unset.get());
  return fenced_update(claim, update.get(), fmt::format("cannot record the failed revert of {}", m.name));
}

Result<void> MongoLogStore::release_claim(const store::Claim& claim, const store::ClaimRequest& request) {
  std::string context = fmt::format("cannot give back the claim of {}", claim.name);
  if (!request.seen) {
    // The claim inserted the record: delete it, if it is still ours.
    CollectionPtr coll = client_.open_collection(collection_);
    ScopedBson filter, opts, reply;
    append_record_key(filter.get(), claim.id, claim.name);
    append_string(filter.get(), "lockOwner", claim.owner);
    mongoc_write_concern_append(write_concern_.get(), opts.get());
    bson_error_t error;
    bson_destroy(reply.get());
    if (!mongoc_collection_delete_one(coll.get(), filter.get(), opts.get(), reply.get(), &error)) {
      return std::unexpected(client_.error_from(error, ErrorKind::kDatabase, context));
    }
    bson_iter_t it;
    if (!bson_iter_init_find(&it, reply.get(), "deletedCount") || bson_iter_as_int64(&it) == 0) {
      return std::unexpected(Error{ErrorKind::kLockLost, context + ": the record is no longer this runner's"});
    }
    return {};
  }
  const core::LogRecord& seen = *request.seen;
  ScopedBson set, unset, update;
  auto restore = [&](const char* field, const std::string& value) {
    if (value.empty()) {
      append_unset(unset.get(), {field});
    } else {
      append_string(set.get(), field, value);
    }
  };
  restore("status", seen.status);
  restore("version", seen.version);
  restore("checksum", seen.checksum);
  restore("appliedBy", seen.applied_by);
  restore("error", seen.error);
  restore("lockOwner", seen.lock_owner);
  if (seen.reverting) {
    BSON_APPEND_BOOL(set.get(), "reverting", true);
  } else {
    append_unset(unset.get(), {"reverting"});
  }
  append_update(update.get(), set.get(), unset.get());
  return fenced_update(claim, update.get(), context);
}

Result<void> MongoLogStore::set_status(const std::string& name, const core::Migration* m, const std::string& status,
                                       TimestampMs at, const store::ClaimRequest& request) {
  ScopedBson set, unset;
  append_string(set.get(), "status", status);
  if (m) append_string(set.get(), "version", m->version);
  if (status == core::kStatusApplied) {
    BSON_APPEND_DATE_TIME(set.get(), "appliedAt", at);
    append_string(set.get(), "appliedBy", request.by);
    if (m) append_string(set.get(), "checksum", m->checksum);
  } else if (status == core::kStatusReverted) {
    BSON_APPEND_DATE_TIME(set.get(), "revertedAt", at);
    append_string(set.get(), "revertedBy", request.by);
  }
  append_unset(unset.get(), {"error", "lockOwner", "reverting"});
  if (status == core::kStatusApplied) append_unset(unset.get(), {"revertedAt", "revertedBy"});
  auto claimed = claim(name, request, set.get(), unset.get(), fmt::format("cannot mark {} {}", name, status));
  if (!claimed) return std::unexpected(claimed.error());
  return {};
}

Result<void> MongoLogStore::set_metadata(const store::Claim& claim, const std::string& key, const Value& value) {
  ScopedBson set, update;
  append_value(set.get(), "metadata." + key, value);
  append_update(update.get(), set.get(), nullptr);
  return fenced_update(claim, update.get(), fmt::format("cannot record the progress of {}", claim.name));
}

Result<std::optional<Document>> MongoLogStore::load_checkpoint(const std::string& name) {
  CollectionPtr coll = client_.open_collection(collection_);
  ScopedBson filter, opts, projection;
  append_string(filter.get(), "name", name);
  BSON_APPEND_INT32(projection.get(), "metadata.checkpoint", 1);
  BSON_APPEND_DOCUMENT(opts.get(), "projection", projection.get());
  BSON_APPEND_INT64(opts.get(), "limit", 1);
  CursorPtr cursor(mongoc_collection_find_with_opts(coll.get(), filter.get(), opts.get(), nullptr));
  const bson_t* doc = nullptr;
  std::optional<Document> checkpoint;
  bson_iter_t it, child;
  if (mongoc_cursor_next(cursor.get(), &doc) && bson_iter_init(&it, doc) &&
      bson_iter_find_descendant(&it, "metadata.checkpoint", &child) && BSON_ITER_HOLDS_DOCUMENT(&child)) {
    uint32_t len = 0;
    const uint8_t* data = nullptr;
    bson_iter_document(&child, &len, &data);
    checkpoint = Document(std::vector<std::uint8_t>(data, data + len));
  }
  bson_error_t error;
  if (mongoc_cursor_error(cursor.get(), &error)) {
    return std::unexpected(client_.error_from(error, ErrorKind::kDatabase, "cannot read a checkpoint"));
  }
  return checkpoint;
}

Result<void> MongoLogStore::append_event(const HistoryEvent& e) {
  CollectionPtr coll = client_.open_collection(events_collection());
  ScopedBson doc, opts;
  append_event_fields(doc.get(), e);
  mongoc_write_concern_append(write_concern_.get(), opts.get());
  bson_error_t error;
  if (!mongoc_collection_insert_one(coll.get(), doc.get(), opts.get(), nullptr, &error)) {
    return std::unexpected(client_.error_from(
        error, ErrorKind::kDatabase, fmt::format("cannot record the {} event of {}", e.action, e.name)));
  }
  return {};
}

Result<std::vector<HistoryEvent>> MongoLogStore::history(int limit) {
  CollectionPtr coll = client_.open_collection(events_collection());
  ScopedBson filter, opts;
  bson_t sort;
  BSON_APPEND_DOCUMENT_BEGIN(opts.get(), "sort", &sort);
  BSON_APPEND_INT32(&sort, "at", -1);
  BSON_APPEND_INT32(&sort, "_id", -1);
  bson_append_document_end(opts.get(), &sort);
  BSON_APPEND_INT64(opts.get(), "limit", limit);
  CursorPtr cursor(mongoc_collection_find_with_opts(coll.get(), filter.get(), opts.get(), nullptr));
  std::vector<HistoryEvent> events;
  const bson_t* doc = nullptr;
  while (mongoc_cursor_next(cursor.get(), &doc)) events.push_back(event_from(doc));
  bson_error_t error;
  if (mongoc_cursor_error(cursor.get(), &error)) {
    return std::unexpected(client_.error_from(error, ErrorKind::kDatabase, "cannot read the history"));
  }
  return events;
}

}  // namespace mongomigrate::mongo
