#include "mongo/tracking_store.h"

#include <fmt/format.h>

#include "mongo/log_bson.h"
#include "mongo/value_bson.h"

namespace mongomigrate::mongo {
namespace {

constexpr int kDuplicateKey = 11000;

void append_string(bson_t* doc, const char* key, const std::string& value) {
  BSON_APPEND_UTF8(doc, key, value.c_str());
}

// Projection for load()/find(): everything but `_id` and `metadata`, so a log
// with large `metadata` documents costs no more to read than a lean one.
// An exclusion rather than the list of fields we read: on FerretDB the
// inclusion list made W2's read of 10,000 records ~20% slower
// (bench/lib/w2_read_probe.sh).
void append_record_projection(bson_t* opts) {
  bson_t projection;
  BSON_APPEND_DOCUMENT_BEGIN(opts, "projection", &projection);
  BSON_APPEND_INT32(&projection, "_id", 0);
  BSON_APPEND_INT32(&projection, "metadata", 0);
  bson_append_document_end(opts, &projection);
}

// {_id, status: running} or {name, status: running}: the record a runner
// marked running, only while it still is.
void append_running_filter(bson_t* filter, const RecordKey& key) {
  if (key.id) {
    BSON_APPEND_OID(filter, "_id", &*key.id);
  } else {
    append_string(filter, "name", key.name);
  }
  append_string(filter, "status", core::kStatusRunning);
}

// Inserts `count` documents, the i-th written by fill(doc, i), into
// `collection` with one unordered `insert` (a duplicate does not stop the
// rest); the indexes of those that hit a duplicate key.
// (A template: std::function of a bson_t* trips -Wignored-attributes.)
template <typename Fill>
Result<std::vector<std::size_t>> insert_all(Client& client, mongoc_write_concern_t* write_concern,
                                            const std::string& collection, std::size_t count, Fill fill,
                                            const char* context) {
  std::vector<std::size_t> duplicates;
  if (count == 0) return duplicates;
  ScopedBson command, reply;
  append_string(command.get(), "insert", collection);
  bson_t documents, doc;
  BSON_APPEND_ARRAY_BEGIN(command.get(), "documents", &documents);
  for (std::size_t i = 0; i < count; ++i) {
    BSON_APPEND_DOCUMENT_BEGIN(&documents, std::to_string(i).c_str(), &doc);
    fill(&doc, i);
    bson_append_document_end(&documents, &doc);
  }
  bson_append_array_end(command.get(), &documents);
  BSON_APPEND_BOOL(command.get(), "ordered", false);
  mongoc_write_concern_append(write_concern, command.get());
  auto inserted = client.run_command(command.get(), reply.get());
  if (inserted) return duplicates;

  bson_iter_t it, errors, entry;
  bool only_duplicates = !bson_iter_init_find(&it, reply.get(), "writeConcernError") &&
                         bson_iter_init_find(&it, reply.get(), "writeErrors") && BSON_ITER_HOLDS_ARRAY(&it) &&
                         bson_iter_recurse(&it, &errors);
  while (only_duplicates && bson_iter_next(&errors)) {
    std::optional<std::int64_t> index, code;
    if (BSON_ITER_HOLDS_DOCUMENT(&errors) && bson_iter_recurse(&errors, &entry)) {
      while (bson_iter_next(&entry)) {
        std::string_view key = bson_iter_key(&entry);
        if (key == "index" && BSON_ITER_HOLDS_NUMBER(&entry)) index = bson_iter_as_int64(&entry);
        if (key == "code" && BSON_ITER_HOLDS_NUMBER(&entry)) code = bson_iter_as_int64(&entry);
      }
    }
    if (!index || code != kDuplicateKey || *index < 0 || static_cast<std::size_t>(*index) >= count) {
      only_duplicates = false;
    } else {
      duplicates.push_back(static_cast<std::size_t>(*index));
    }
  }
  if (!only_duplicates || duplicates.empty()) {
    Error error = inserted.error();
    error.message = fmt::format("{}: {}", context, error.message);
    return std::unexpected(std::move(error));
  }
  return duplicates;
}

}  // namespace

TrackingStore::TrackingStore(Client& client, std::string collection)
    : client_(client), collection_(std::move(collection)), write_concern_(mongoc_write_concern_new()) {
  mongoc_write_concern_set_wmajority(write_concern_.get(), 0);
}

Result<std::vector<core::LogRecord>> TrackingStore::load() {
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

Result<std::optional<core::LogRecord>> TrackingStore::find(const std::string& name) {
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

Result<void> TrackingStore::ensure_indexes() {
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

Result<void> TrackingStore::update(const bson_t* filter, const bson_t* update, bool upsert,
                                   const char* context) {
  CollectionPtr coll = client_.open_collection(collection_);
  ScopedBson opts, reply;
  if (upsert) BSON_APPEND_BOOL(opts.get(), "upsert", true);
  mongoc_write_concern_append(write_concern_.get(), opts.get());
  bson_error_t error;
  bson_destroy(reply.get());
  bool ok = mongoc_collection_update_one(coll.get(), filter, update, opts.get(), reply.get(), &error);
  if (!ok) {
    if (error.code == kDuplicateKey) {
      return std::unexpected(Error{ErrorKind::kRefused, fmt::format("{}: another runner got there first", context)});
    }
    return std::unexpected(client_.error_from(error, ErrorKind::kDatabase, context));
  }
  bson_iter_t it;
  int64_t matched = bson_iter_init_find(&it, reply.get(), "matchedCount") ? bson_iter_as_int64(&it) : 0;
  bool upserted = bson_iter_init_find(&it, reply.get(), "upsertedId") ||
                  (bson_iter_init_find(&it, reply.get(), "upsertedCount") && bson_iter_as_int64(&it) > 0);
  if (matched == 0 && !upserted) {
    return std::unexpected(Error{ErrorKind::kRefused,
                                 fmt::format("{}: the record was changed by another process", context)});
  }
  return {};
}

Result<RecordKey> TrackingStore::begin(const core::Migration& m, const std::string& by,
                                       const std::vector<std::string>& refuse_statuses,
                                       const std::string& lock_owner, bool expect_absent) {
  if (expect_absent) {
    bool duplicate = false;
    auto inserted = begin_by_insert(m, by, lock_owner, duplicate);
    if (inserted || !duplicate) return inserted;
    // A record appeared since the caller's read (a `mark`, or a runner
    // without the lease): let the conditional update judge its status.
  }
  return begin_by_name(m, by, refuse_statuses, lock_owner);
}

Result<RecordKey> TrackingStore::begin_by_insert(const core::Migration& m, const std::string& by,
                                                 const std::string& lock_owner, bool& duplicate) {
  RecordKey key{m.name, bson_oid_t{}};
  bson_oid_init(&*key.id, nullptr);
  CollectionPtr coll = client_.open_collection(collection_);
  ScopedBson doc, opts;
  BSON_APPEND_OID(doc.get(), "_id", &*key.id);
  append_string(doc.get(), "name", m.name);
  append_string(doc.get(), "version", m.version);
  append_string(doc.get(), "status", core::kStatusRunning);
  append_string(doc.get(), "checksum", m.checksum);
  append_string(doc.get(), "appliedBy", by);
  append_string(doc.get(), "lockOwner", lock_owner);
  mongoc_write_concern_append(write_concern_.get(), opts.get());
  bson_error_t error;
  if (mongoc_collection_insert_one(coll.get(), doc.get(), opts.get(), nullptr, &error)) return key;
  duplicate = error.code == kDuplicateKey;
  return std::unexpected(client_.error_from(error, ErrorKind::kDatabase, fmt::format("cannot start {}", m.name)));
}

Result<RecordKey> TrackingStore::begin_by_name(const core::Migration& m, const std::string& by,
                                               const std::vector<std::string>& refuse_statuses,
                                               const std::string& lock_owner) {
  ScopedBson filter, update;
  append_string(filter.get(), "name", m.name);
  bson_t status, nin;
  BSON_APPEND_DOCUMENT_BEGIN(filter.get(), "status", &status);
  BSON_APPEND_ARRAY_BEGIN(&status, "$nin", &nin);
  for (std::size_t i = 0; i < refuse_statuses.size(); ++i) {
    append_string(&nin, std::to_string(i).c_str(), refuse_statuses[i]);
  }
  bson_append_array_end(&status, &nin);
  bson_append_document_end(filter.get(), &status);

  bson_t set;
  BSON_APPEND_DOCUMENT_BEGIN(update.get(), "$set", &set);
  append_string(&set, "version", m.version);
  append_string(&set, "status", core::kStatusRunning);
  append_string(&set, "checksum", m.checksum);
  append_string(&set, "appliedBy", by);
  append_string(&set, "lockOwner", lock_owner);
  bson_append_document_end(update.get(), &set);
  // A revert interrupted before (run again now): this is an `up`.
  bson_t unset;
  BSON_APPEND_DOCUMENT_BEGIN(update.get(), "$unset", &unset);
  BSON_APPEND_UTF8(&unset, "reverting", "");
  bson_append_document_end(update.get(), &unset);
  auto updated = this->update(filter.get(), update.get(), /*upsert=*/true,
                              fmt::format("cannot start {}", m.name).c_str());
  if (!updated) return std::unexpected(updated.error());
  return RecordKey{m.name, std::nullopt};
}

Result<void> TrackingStore::finish_applied(const core::Migration& m, const RecordKey& key, const std::string& by,
                                           TimestampMs applied_at, std::int64_t duration_ms) {
  ScopedBson filter, update;
  append_running_filter(filter.get(), key);
  bson_t set, unset;
  BSON_APPEND_DOCUMENT_BEGIN(update.get(), "$set", &set);
  append_string(&set, "status", core::kStatusApplied);
  BSON_APPEND_DATE_TIME(&set, "appliedAt", applied_at);
  BSON_APPEND_INT64(&set, "duration", duration_ms);
  append_string(&set, "checksum", m.checksum);
  append_string(&set, "appliedBy", by);
  bson_append_document_end(update.get(), &set);
  BSON_APPEND_DOCUMENT_BEGIN(update.get(), "$unset", &unset);
  for (const char* field : {"error", "revertedAt", "revertedBy", "lockOwner", "reverting"}) {
    BSON_APPEND_UTF8(&unset, field, "");
  }
  // A finished batch run needs no checkpoint; only C++ migrations write one
  // (and only they can be sure `metadata` is a document).
  if (m.compiled) BSON_APPEND_UTF8(&unset, "metadata.checkpoint", "");
  bson_append_document_end(update.get(), &unset);
  return this->update(filter.get(), update.get(), false,
                      fmt::format("cannot record {} as applied", m.name).c_str());
}

Result<void> TrackingStore::finish_failed(const core::Migration& m, const RecordKey& key, const std::string& error,
                                          std::int64_t duration_ms) {
  ScopedBson filter, update;
  append_running_filter(filter.get(), key);
  bson_t set;
  BSON_APPEND_DOCUMENT_BEGIN(update.get(), "$set", &set);
  append_string(&set, "status", core::kStatusFailed);
  append_string(&set, "error", error);
  BSON_APPEND_INT64(&set, "duration", duration_ms);
  bson_append_document_end(update.get(), &set);
  bson_t unset;
  BSON_APPEND_DOCUMENT_BEGIN(update.get(), "$unset", &unset);
  BSON_APPEND_UTF8(&unset, "lockOwner", "");
  BSON_APPEND_UTF8(&unset, "reverting", "");
  bson_append_document_end(update.get(), &unset);
  return this->update(filter.get(), update.get(), false,
                      fmt::format("cannot record {} as failed", m.name).c_str());
}

Result<void> TrackingStore::begin_revert(const core::Migration& m, const std::string& lock_owner) {
  ScopedBson filter, update;
  append_string(filter.get(), "name", m.name);
  bson_t any, applied, interrupted;
  BSON_APPEND_ARRAY_BEGIN(filter.get(), "$or", &any);
  BSON_APPEND_DOCUMENT_BEGIN(&any, "0", &applied);
  append_string(&applied, "status", core::kStatusApplied);
  bson_append_document_end(&any, &applied);
  BSON_APPEND_DOCUMENT_BEGIN(&any, "1", &interrupted);
  append_string(&interrupted, "status", core::kStatusRunning);
  BSON_APPEND_BOOL(&interrupted, "reverting", true);
  bson_append_document_end(&any, &interrupted);
  bson_append_array_end(filter.get(), &any);
  bson_t set, unset;
  BSON_APPEND_DOCUMENT_BEGIN(update.get(), "$set", &set);
  append_string(&set, "status", core::kStatusRunning);
  BSON_APPEND_BOOL(&set, "reverting", true);
  append_string(&set, "lockOwner", lock_owner);
  bson_append_document_end(update.get(), &set);
  // An earlier failed revert's error is history now (its event keeps it); a
  // batch checkpoint of an earlier `up` means nothing once `down` has run.
  BSON_APPEND_DOCUMENT_BEGIN(update.get(), "$unset", &unset);
  BSON_APPEND_UTF8(&unset, "error", "");
  if (m.compiled) BSON_APPEND_UTF8(&unset, "metadata.checkpoint", "");
  bson_append_document_end(update.get(), &unset);
  return this->update(filter.get(), update.get(), false, fmt::format("cannot start reverting {}", m.name).c_str());
}

namespace {

// {name, status: running, reverting: true, lockOwner}: a revert begun by
// `lock_owner`, only while it still is.
void append_reverting_filter(bson_t* filter, const std::string& name, const std::string& lock_owner) {
  append_string(filter, "name", name);
  append_string(filter, "status", core::kStatusRunning);
  BSON_APPEND_BOOL(filter, "reverting", true);
  append_string(filter, "lockOwner", lock_owner);
}

}  // namespace

Result<void> TrackingStore::finish_reverted(const core::Migration& m, const std::string& by,
                                            TimestampMs reverted_at, const std::string& lock_owner) {
  ScopedBson filter, update;
  append_reverting_filter(filter.get(), m.name, lock_owner);
  bson_t set, unset;
  BSON_APPEND_DOCUMENT_BEGIN(update.get(), "$set", &set);
  append_string(&set, "status", core::kStatusReverted);
  BSON_APPEND_DATE_TIME(&set, "revertedAt", reverted_at);
  append_string(&set, "revertedBy", by);
  bson_append_document_end(update.get(), &set);
  BSON_APPEND_DOCUMENT_BEGIN(update.get(), "$unset", &unset);
  for (const char* field : {"error", "lockOwner", "reverting"}) BSON_APPEND_UTF8(&unset, field, "");
  bson_append_document_end(update.get(), &unset);
  return this->update(filter.get(), update.get(), false,
                      fmt::format("cannot record {} as reverted", m.name).c_str());
}

Result<void> TrackingStore::note_revert_failed(const core::Migration& m, const std::string& error,
                                               const std::string& lock_owner) {
  ScopedBson filter, update;
  append_reverting_filter(filter.get(), m.name, lock_owner);
  bson_t set, unset;
  BSON_APPEND_DOCUMENT_BEGIN(update.get(), "$set", &set);
  append_string(&set, "error", "revert failed: " + error);
  bson_append_document_end(update.get(), &set);
  // Still `running` and `reverting`, with no runner: interrupted.
  BSON_APPEND_DOCUMENT_BEGIN(update.get(), "$unset", &unset);
  BSON_APPEND_UTF8(&unset, "lockOwner", "");
  bson_append_document_end(update.get(), &unset);
  return this->update(filter.get(), update.get(), false,
                      fmt::format("cannot record the failed revert of {}", m.name).c_str());
}

Result<void> TrackingStore::set_status(const std::string& name, const core::Migration* m,
                                       const std::string& status, const std::string& by, TimestampMs at) {
  ScopedBson filter, update;
  append_string(filter.get(), "name", name);
  bson_t set, unset;
  BSON_APPEND_DOCUMENT_BEGIN(update.get(), "$set", &set);
  append_string(&set, "status", status);
  if (m) append_string(&set, "version", m->version);
  if (status == core::kStatusApplied) {
    BSON_APPEND_DATE_TIME(&set, "appliedAt", at);
    append_string(&set, "appliedBy", by);
    if (m) append_string(&set, "checksum", m->checksum);
  } else if (status == core::kStatusReverted) {
    BSON_APPEND_DATE_TIME(&set, "revertedAt", at);
    append_string(&set, "revertedBy", by);
  }
  bson_append_document_end(update.get(), &set);
  BSON_APPEND_DOCUMENT_BEGIN(update.get(), "$unset", &unset);
  BSON_APPEND_UTF8(&unset, "error", "");
  BSON_APPEND_UTF8(&unset, "lockOwner", "");
  BSON_APPEND_UTF8(&unset, "reverting", "");
  if (status == core::kStatusApplied) {
    BSON_APPEND_UTF8(&unset, "revertedAt", "");
    BSON_APPEND_UTF8(&unset, "revertedBy", "");
  }
  bson_append_document_end(update.get(), &unset);
  return this->update(filter.get(), update.get(), /*upsert=*/true,
                      fmt::format("cannot mark {} {}", name, status).c_str());
}

Result<void> TrackingStore::set_metadata(const std::string& name, const std::string& key, const Value& value) {
  ScopedBson filter, update;
  append_string(filter.get(), "name", name);
  bson_t set;
  BSON_APPEND_DOCUMENT_BEGIN(update.get(), "$set", &set);
  append_value(&set, "metadata." + key, value);
  bson_append_document_end(update.get(), &set);
  return this->update(filter.get(), update.get(), false,
                      fmt::format("cannot record the progress of {}", name).c_str());
}

Result<std::optional<Document>> TrackingStore::load_checkpoint(const std::string& name) {
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

Result<void> TrackingStore::append_event(const HistoryEvent& e) {
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

Result<std::vector<HistoryEvent>> TrackingStore::history(int limit) {
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

Result<void> TrackingStore::insert_journaled(const std::vector<core::JournaledRecord>& records) {
  auto duplicates = insert_all(
      client_, write_concern_.get(), collection_, records.size(),
      [&](bson_t* doc, std::size_t i) {
        append_object_id(doc, records[i].id);
        append_record_fields(doc, records[i].record);
      },
      "cannot write the outcomes of this run to the tracking log");
  if (!duplicates) return std::unexpected(duplicates.error());
  for (std::size_t index : *duplicates) {
    const core::JournaledRecord& entry = records[index];
    // Already moved (same _id), or a record the log has of its own: only a
    // `running` one of the same runner (its evidence, or what a recovery made
    // of its claim while the migration ran) takes the outcome; any other is
    // the log's own word, such as another runner's `run` of it since.
    ScopedBson filter, update;
    append_string(filter.get(), "name", entry.record.name);
    append_string(filter.get(), "status", core::kStatusRunning);
    if (entry.claimer.empty()) {  // a claim without its owner: the evidence has none either
      BSON_APPEND_NULL(filter.get(), "lockOwner");
    } else {
      append_string(filter.get(), "lockOwner", entry.claimer);
    }
    bson_t set, unset;
    BSON_APPEND_DOCUMENT_BEGIN(update.get(), "$set", &set);
    append_record_fields(&set, entry.record);
    bson_append_document_end(update.get(), &set);
    BSON_APPEND_DOCUMENT_BEGIN(update.get(), "$unset", &unset);
    BSON_APPEND_UTF8(&unset, "lockOwner", "");
    if (entry.record.error.empty()) BSON_APPEND_UTF8(&unset, "error", "");
    bson_append_document_end(update.get(), &unset);
    auto updated = this->update(filter.get(), update.get(), false,
                                fmt::format("cannot record {} as {}", entry.record.name, entry.record.status).c_str());
    if (!updated && updated.error().kind != ErrorKind::kRefused) return updated;
  }
  return {};
}

Result<void> TrackingStore::insert_journaled_events(const std::vector<core::JournaledEvent>& events) {
  // A duplicate is an event moved before: nothing to do.
  auto duplicates = insert_all(
      client_, write_concern_.get(), events_collection(), events.size(),
      [&](bson_t* doc, std::size_t i) {
        append_object_id(doc, events[i].id);
        append_event_fields(doc, events[i].event);
      },
      "cannot write the events of this run");
  if (!duplicates) return std::unexpected(duplicates.error());
  return {};
}

Result<void> TrackingStore::note_running(const core::LogRecord& running, const std::string& lock_owner) {
  core::LogRecord record = running;
  record.status = core::kStatusRunning;
  record.lock_owner = lock_owner;
  // A record of that name already there (its outcome, moved) needs no evidence.
  auto duplicates = insert_all(
      client_, write_concern_.get(), collection_, 1,
      [&](bson_t* doc, std::size_t) {
        append_object_id(doc, new_object_id());
        append_record_fields(doc, record);
      },
      fmt::format("cannot record {} as running", running.name).c_str());
  if (!duplicates) return std::unexpected(duplicates.error());
  return {};
}

}  // namespace mongomigrate::mongo
