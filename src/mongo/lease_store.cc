#include "mongo/lease_store.h"

#include <fmt/format.h>

#include "mongo/log_bson.h"

namespace mongomigrate::mongo {
namespace {

constexpr const char* kLeaseId = "migration-lock";
constexpr std::string_view kClaimPrefix = "claim:";
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

void add_claim(core::Journal& journal, const bson_t* doc) {
  bson_iter_t it;
  if (!bson_iter_init(&it, doc)) return;
  std::string owner, id;
  std::optional<core::LogRecord> started;
  std::size_t first_done = journal.done.size();
  while (bson_iter_next(&it)) {
    std::string_view key = bson_iter_key(&it);
    if (key == "_id" && BSON_ITER_HOLDS_UTF8(&it)) {
      id = bson_iter_utf8(&it, nullptr);
    } else if (key == "claimOwner" && BSON_ITER_HOLDS_UTF8(&it)) {
      owner = bson_iter_utf8(&it, nullptr);
    } else if (key == "running" && BSON_ITER_HOLDS_DOCUMENT(&it)) {
      uint32_t len = 0;
      const uint8_t* data = nullptr;
      bson_iter_document(&it, &len, &data);
      bson_t child;
      if (bson_init_static(&child, data, len)) started = record_from(&child);
    } else if (key == "done") {
      read_journaled(it, journal.done);
    } else if (key == "events") {
      read_journaled(it, journal.events);
    }
  }
  for (std::size_t i = first_done; i < journal.done.size(); ++i) journal.done[i].claimer = owner;
  // A claim without its record (damaged by hand) still stands for a started
  // migration: its evidence is kept, and recovery deletes the claim.
  if (!started && id.starts_with(kClaimPrefix) && id.size() > kClaimPrefix.size()) {
    started = core::LogRecord{.name = id.substr(kClaimPrefix.size())};
  }
  if (started) {
    started->lock_owner = owner;
    journal.started.push_back(std::move(*started));
  }
}

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
  ScopedBson update;
  bson_t set;
  BSON_APPEND_DOCUMENT_BEGIN(update.get(), "$set", &set);
  BSON_APPEND_DATE_TIME(&set, "expiresAt", expires_at);
  bson_append_document_end(update.get(), &set);
  return update_ours(owner, update.get(), "cannot renew the migration lock");
}

Result<bool> LeaseStore::update_ours(const std::string& owner, const bson_t* update, const char* context) {
  CollectionPtr coll = client_.open_collection(collection_);
  WriteConcernPtr wc = majority();
  ScopedBson filter, opts, reply;
  BSON_APPEND_UTF8(filter.get(), "_id", kLeaseId);
  BSON_APPEND_UTF8(filter.get(), "owner", owner.c_str());
  mongoc_write_concern_append(wc.get(), opts.get());
  bson_error_t error;
  bson_destroy(reply.get());
  if (!mongoc_collection_update_one(coll.get(), filter.get(), update, opts.get(), reply.get(), &error)) {
    return std::unexpected(client_.error_from(error, ErrorKind::kDatabase, context));
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
  ScopedBson filter, opts;
  BSON_APPEND_UTF8(filter.get(), "_id", kLeaseId);
  BSON_APPEND_INT64(opts.get(), "limit", 1);
  CursorPtr cursor(mongoc_collection_find_with_opts(coll.get(), filter.get(), opts.get(), nullptr));
  const bson_t* doc = nullptr;
  std::optional<LeaseHolder> holder;
  if (mongoc_cursor_next(cursor.get(), &doc)) holder = holder_from(doc);
  bson_error_t error;
  if (mongoc_cursor_error(cursor.get(), &error)) {
    return std::unexpected(client_.error_from(error, ErrorKind::kDatabase, "cannot read the migration lock"));
  }
  return holder;
}

Result<LockState> LeaseStore::read() {
  CollectionPtr coll = client_.open_collection(collection_);
  ScopedBson filter;
  CursorPtr cursor(mongoc_collection_find_with_opts(coll.get(), filter.get(), nullptr, nullptr));
  const bson_t* doc = nullptr;
  LockState state;
  while (mongoc_cursor_next(cursor.get(), &doc)) {
    bson_iter_t it;
    if (!bson_iter_init_find(&it, doc, "_id") || !BSON_ITER_HOLDS_UTF8(&it)) continue;
    std::string_view id = bson_iter_utf8(&it, nullptr);
    if (id == kLeaseId) {
      state.holder = holder_from(doc);
    } else if (id.starts_with(kClaimPrefix)) {
      add_claim(state.journal, doc);
    }
  }
  bson_error_t error;
  if (mongoc_cursor_error(cursor.get(), &error)) {
    return std::unexpected(client_.error_from(error, ErrorKind::kDatabase, "cannot read the migration lock"));
  }
  return state;
}

Result<bool> LeaseStore::claim(const std::string& owner, const core::LogRecord& running,
                               const std::vector<core::JournaledRecord>& done,
                               const std::vector<core::JournaledEvent>& events) {
  CollectionPtr coll = client_.open_collection(collection_);
  WriteConcernPtr wc = majority();
  ScopedBson doc, opts;
  BSON_APPEND_UTF8(doc.get(), "_id", (std::string(kClaimPrefix) + running.name).c_str());
  BSON_APPEND_UTF8(doc.get(), "claimOwner", owner.c_str());
  bson_t started;
  BSON_APPEND_DOCUMENT_BEGIN(doc.get(), "running", &started);
  append_record_fields(&started, running);
  bson_append_document_end(doc.get(), &started);
  append_journaled(doc.get(), "done", done);
  append_journaled(doc.get(), "events", events);
  mongoc_write_concern_append(wc.get(), opts.get());
  bson_error_t error;
  if (mongoc_collection_insert_one(coll.get(), doc.get(), opts.get(), nullptr, &error)) return true;
  if (error.code == kDuplicateKey) return false;
  return std::unexpected(
      client_.error_from(error, ErrorKind::kDatabase, fmt::format("cannot start {}", running.name)));
}

Result<void> LeaseStore::delete_claims(const std::vector<std::string>& names) {
  if (names.empty()) return {};
  CollectionPtr coll = client_.open_collection(collection_);
  ScopedBson filter, opts;
  bson_t id, in;
  BSON_APPEND_DOCUMENT_BEGIN(filter.get(), "_id", &id);
  BSON_APPEND_ARRAY_BEGIN(&id, "$in", &in);
  for (std::size_t i = 0; i < names.size(); ++i) {
    BSON_APPEND_UTF8(&in, std::to_string(i).c_str(), (std::string(kClaimPrefix) + names[i]).c_str());
  }
  bson_append_array_end(&id, &in);
  bson_append_document_end(filter.get(), &id);
  WriteConcernPtr wc = majority();
  mongoc_write_concern_append(wc.get(), opts.get());
  bson_error_t error;
  if (!mongoc_collection_delete_many(coll.get(), filter.get(), opts.get(), nullptr, &error)) {
    return std::unexpected(client_.error_from(error, ErrorKind::kDatabase, "cannot delete the run's claims"));
  }
  return {};
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
