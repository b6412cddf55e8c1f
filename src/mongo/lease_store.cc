#include "mongo/lease_store.h"

#include <fmt/format.h>

namespace mongomigrate::mongo {
namespace {

constexpr const char* kLeaseId = "migration-lock";
constexpr int kDuplicateKey = 11000;

void append_holder(bson_t* doc, const LeaseHolder& h) {
  BSON_APPEND_UTF8(doc, "owner", h.owner.c_str());
  BSON_APPEND_UTF8(doc, "host", h.host.c_str());
  BSON_APPEND_INT64(doc, "pid", h.pid);
  BSON_APPEND_UTF8(doc, "user", h.user.c_str());
  BSON_APPEND_DATE_TIME(doc, "acquiredAt", h.acquired_at);
  BSON_APPEND_DATE_TIME(doc, "expiresAt", h.expires_at);
}

LeaseHolder holder_from(const bson_t* doc) {
  LeaseHolder h;
  bson_iter_t it;
  if (!bson_iter_init(&it, doc)) return h;
  while (bson_iter_next(&it)) {
    std::string_view key = bson_iter_key(&it);
    if (BSON_ITER_HOLDS_UTF8(&it)) {
      std::string value = bson_iter_utf8(&it, nullptr);
      if (key == "owner") h.owner = value;
      if (key == "host") h.host = value;
      if (key == "user") h.user = value;
    } else if (BSON_ITER_HOLDS_NUMBER(&it) && key == "pid") {
      h.pid = bson_iter_as_int64(&it);
    } else if (BSON_ITER_HOLDS_DATE_TIME(&it)) {
      if (key == "acquiredAt") h.acquired_at = bson_iter_date_time(&it);
      if (key == "expiresAt") h.expires_at = bson_iter_date_time(&it);
    }
  }
  return h;
}

WriteConcernPtr majority() {
  WriteConcernPtr wc(mongoc_write_concern_new());
  mongoc_write_concern_set_wmajority(wc.get(), 0);
  return wc;
}

// matchedCount of an update reply.
int64_t matched(const bson_t* reply) {
  bson_iter_t it;
  return bson_iter_init_find(&it, reply, "matchedCount") ? bson_iter_as_int64(&it) : 0;
}

}  // namespace

LeaseStore::LeaseStore(Client& client, std::string collection)
    : client_(client), collection_(std::move(collection)) {}

Result<bool> LeaseStore::try_acquire(const LeaseHolder& holder) {
  CollectionPtr coll = client_.open_collection(collection_);
  WriteConcernPtr wc = majority();
  ScopedBson doc, opts;
  BSON_APPEND_UTF8(doc.get(), "_id", kLeaseId);
  append_holder(doc.get(), holder);
  mongoc_write_concern_append(wc.get(), opts.get());
  bson_error_t error;
  if (mongoc_collection_insert_one(coll.get(), doc.get(), opts.get(), nullptr, &error)) return true;
  if (error.code != kDuplicateKey) {
    return std::unexpected(client_.error_from(error, ErrorKind::kDatabase, "cannot take the migration lock"));
  }

  // Held: take it over only if it has expired by the server's clock. The
  // filter makes this atomic: of several runners racing for an expired
  // lease, exactly one matches.
  ScopedBson filter, update, reply;
  BSON_APPEND_UTF8(filter.get(), "_id", kLeaseId);
  bson_t cond;
  BSON_APPEND_DOCUMENT_BEGIN(filter.get(), "expiresAt", &cond);
  BSON_APPEND_DATE_TIME(&cond, "$lt", holder.acquired_at);
  bson_append_document_end(filter.get(), &cond);
  bson_t set;
  BSON_APPEND_DOCUMENT_BEGIN(update.get(), "$set", &set);
  append_holder(&set, holder);
  bson_append_document_end(update.get(), &set);
  bson_destroy(reply.get());
  if (!mongoc_collection_update_one(coll.get(), filter.get(), update.get(), opts.get(), reply.get(), &error)) {
    return std::unexpected(client_.error_from(error, ErrorKind::kDatabase, "cannot take over the expired migration lock"));
  }
  return matched(reply.get()) == 1;
}

Result<bool> LeaseStore::renew(const std::string& owner, TimestampMs expires_at) {
  CollectionPtr coll = client_.open_collection(collection_);
  WriteConcernPtr wc = majority();
  ScopedBson filter, update, opts, reply;
  BSON_APPEND_UTF8(filter.get(), "_id", kLeaseId);
  BSON_APPEND_UTF8(filter.get(), "owner", owner.c_str());
  bson_t set;
  BSON_APPEND_DOCUMENT_BEGIN(update.get(), "$set", &set);
  BSON_APPEND_DATE_TIME(&set, "expiresAt", expires_at);
  bson_append_document_end(update.get(), &set);
  mongoc_write_concern_append(wc.get(), opts.get());
  bson_error_t error;
  bson_destroy(reply.get());
  if (!mongoc_collection_update_one(coll.get(), filter.get(), update.get(), opts.get(), reply.get(), &error)) {
    return std::unexpected(client_.error_from(error, ErrorKind::kDatabase, "cannot renew the migration lock"));
  }
  return matched(reply.get()) == 1;
}

Result<void> LeaseStore::release(const std::string& owner) {
  CollectionPtr coll = client_.open_collection(collection_);
  ScopedBson filter;
  BSON_APPEND_UTF8(filter.get(), "_id", kLeaseId);
  BSON_APPEND_UTF8(filter.get(), "owner", owner.c_str());
  bson_error_t error;
  if (!mongoc_collection_delete_one(coll.get(), filter.get(), nullptr, nullptr, &error)) {
    return std::unexpected(client_.error_from(error, ErrorKind::kDatabase, "cannot release the migration lock"));
  }
  return {};
}

Result<std::optional<LeaseHolder>> LeaseStore::current() {
  CollectionPtr coll = client_.open_collection(collection_);
  ScopedBson filter;
  BSON_APPEND_UTF8(filter.get(), "_id", kLeaseId);
  CursorPtr cursor(mongoc_collection_find_with_opts(coll.get(), filter.get(), nullptr, nullptr));
  const bson_t* doc = nullptr;
  std::optional<LeaseHolder> holder;
  if (mongoc_cursor_next(cursor.get(), &doc)) holder = holder_from(doc);
  bson_error_t error;
  if (mongoc_cursor_error(cursor.get(), &error)) {
    return std::unexpected(client_.error_from(error, ErrorKind::kDatabase, "cannot read the migration lock"));
  }
  return holder;
}

Result<bool> LeaseStore::clear(const LeaseHolder& expected) {
  CollectionPtr coll = client_.open_collection(collection_);
  ScopedBson filter, reply;
  BSON_APPEND_UTF8(filter.get(), "_id", kLeaseId);
  BSON_APPEND_UTF8(filter.get(), "owner", expected.owner.c_str());
  bson_error_t error;
  bson_destroy(reply.get());
  if (!mongoc_collection_delete_one(coll.get(), filter.get(), nullptr, reply.get(), &error)) {
    return std::unexpected(client_.error_from(error, ErrorKind::kDatabase, "cannot clear the migration lock"));
  }
  bson_iter_t it;
  return bson_iter_init_find(&it, reply.get(), "deletedCount") && bson_iter_as_int64(&it) == 1;
}

}  // namespace mongomigrate::mongo
