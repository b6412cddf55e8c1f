#include "mongo/lock_store.h"

#include <fmt/format.h>

#include <optional>

#include "mongo/value_bson.h"

namespace mongomigrate::mongo {
namespace {

// The lease's one document. A fixed `_id`: the unique `_id` index makes the
// insert of a second lease fail, and every write finds it by `_id`.
constexpr const char* kLeaseId = "lease";
constexpr int kDuplicateKey = 11000;

// The lease's fields (all but `_id`).
Doc holder_fields(const LeaseHolder& h) {
  return Doc{{"owner", h.owner},
             {"host", h.host},
             {"pid", static_cast<std::int64_t>(h.pid)},
             {"user", h.user},
             {"acquiredAt", DateTime{h.acquired_at}},
             {"expiresAt", DateTime{h.expires_at}}};
}

// {_id: "lease", owner}: the lease while it is still `owner`'s.
OwnedBson owned_filter(const std::string& owner) { return to_bson(Doc{{"_id", kLeaseId}, {"owner", owner}}); }

// The lease a document holds, if it is one of ours: `_id` "lease", a string
// owner and a date expiresAt (the rest is descriptive and may be missing).
std::optional<LeaseHolder> lease_from(const bson_t* doc) {
  bson_iter_t it;
  if (!bson_iter_init_find(&it, doc, "_id") || !BSON_ITER_HOLDS_UTF8(&it) ||
      std::string_view(bson_iter_utf8(&it, nullptr)) != kLeaseId) {
    return std::nullopt;
  }
  LeaseHolder h;
  bool has_owner = false, has_expiry = false;
  if (!bson_iter_init(&it, doc)) return std::nullopt;
  while (bson_iter_next(&it)) {
    std::string_view key = bson_iter_key(&it);
    if (BSON_ITER_HOLDS_UTF8(&it)) {
      std::string value = bson_iter_utf8(&it, nullptr);
      if (key == "owner") {
        h.owner = value;
        has_owner = !value.empty();
      }
      if (key == "host") h.host = value;
      if (key == "user") h.user = value;
    } else if (BSON_ITER_HOLDS_NUMBER(&it) && key == "pid") {
      h.pid = bson_iter_as_int64(&it);
    } else if (BSON_ITER_HOLDS_DATE_TIME(&it)) {
      if (key == "acquiredAt") h.acquired_at = bson_iter_date_time(&it);
      if (key == "expiresAt") {
        h.expires_at = bson_iter_date_time(&it);
        has_expiry = true;
      }
    }
  }
  if (!has_owner || !has_expiry) return std::nullopt;
  return h;
}

std::int64_t count_in(const bson_t* reply, const char* field) {
  bson_iter_t it;
  return bson_iter_init_find(&it, reply, field) && BSON_ITER_HOLDS_NUMBER(&it) ? bson_iter_as_int64(&it) : 0;
}

std::string describe(const bson_t* doc) {
  char* json = bson_as_relaxed_extended_json(doc, nullptr);
  std::string text = json ? json : "(unreadable document)";
  bson_free(json);
  return text;
}

}  // namespace

MongoLockStore::MongoLockStore(Client& client, std::string collection)
    : client_(client), collection_(std::move(collection)), write_concern_(tracking_write_concern()) {}

MongoLockStore::MongoLockStore(std::unique_ptr<Client> client, std::string collection)
    : owned_(std::move(client)),
      client_(*owned_),
      collection_(std::move(collection)),
      write_concern_(tracking_write_concern()) {}

Result<bool> MongoLockStore::try_acquire(const LeaseHolder& holder) {
  CollectionPtr coll = client_.open_collection(collection_);
  Doc lease{{"_id", kLeaseId}};
  for (auto& field : holder_fields(holder)) lease.push_back(std::move(field));
  OwnedBson doc = to_bson(lease);
  ScopedBson opts, reply;
  mongoc_write_concern_append(write_concern_.get(), opts.get());
  bson_error_t error;
  if (mongoc_collection_insert_one(coll.get(), doc.get(), opts.get(), nullptr, &error)) return true;
  if (error.code != kDuplicateKey) {
    return std::unexpected(give_back_unknown(holder, "cannot take the migration lock", error));
  }
  // Held: take it over only if it expired before now (the server's clock, as
  // the caller read it). One update of one document: of several runners
  // taking over the same expired lease, the first one's update moves
  // expiresAt past now and the others' filters no longer match. A document
  // of an unknown shape (no string owner, or no date expiresAt: lease_from())
  // never matches, however old its dates: it is not ours to take.
  OwnedBson filter = to_bson(Doc{{"_id", kLeaseId},
                                 {"owner", Doc{{"$type", "string"}, {"$gt", ""}}},
                                 {"expiresAt", Doc{{"$lt", DateTime{holder.acquired_at}}}}});
  OwnedBson replacement = to_bson(holder_fields(holder));
  bson_destroy(reply.get());
  if (!mongoc_collection_replace_one(coll.get(), filter.get(), replacement.get(), opts.get(), reply.get(), &error)) {
    return std::unexpected(give_back_unknown(holder, "cannot take over the migration lock", error));
  }
  return count_in(reply.get(), "matchedCount") == 1;
}

Error MongoLockStore::give_back_unknown(const LeaseHolder& holder, const char* context, const bson_error_t& error) {
  Error failed = client_.error_from(error, ErrorKind::kDatabase, context);
  if (!may_have_landed(error)) return failed;
  auto deleted = delete_lease(holder.owner, "cannot give the migration lock back");
  if (!deleted) {
    failed.message += fmt::format("; giving it back got no clear answer either ({}): if it is still held, it "
                                  "expires by itself",
                                  deleted.error().message);
  } else if (*deleted) {
    failed.message += "; the server had taken it, and it was given back";
  }
  return failed;
}

Result<bool> MongoLockStore::renew(const LeaseHolder& holder, TimestampMs expires_at) {
  CollectionPtr coll = client_.open_collection(collection_);
  OwnedBson filter = owned_filter(holder.owner);
  OwnedBson update = to_bson(Doc{{"$set", Doc{{"expiresAt", DateTime{expires_at}}}}});
  ScopedBson opts, reply;
  mongoc_write_concern_append(write_concern_.get(), opts.get());
  bson_error_t error;
  bson_destroy(reply.get());
  if (!mongoc_collection_update_one(coll.get(), filter.get(), update.get(), opts.get(), reply.get(), &error)) {
    return std::unexpected(client_.error_from(error, ErrorKind::kDatabase, "cannot renew the migration lock"));
  }
  return count_in(reply.get(), "matchedCount") == 1;
}

Result<bool> MongoLockStore::holds(const LeaseHolder& holder) {
  CollectionPtr coll = client_.open_collection(collection_);
  OwnedBson filter = owned_filter(holder.owner);
  OwnedBson opts = to_bson(Doc{{"limit", 1LL}});
  CursorPtr cursor(mongoc_collection_find_with_opts(coll.get(), filter.get(), opts.get(), nullptr));
  const bson_t* doc = nullptr;
  bool found = mongoc_cursor_next(cursor.get(), &doc);
  bson_error_t error;
  if (mongoc_cursor_error(cursor.get(), &error)) {
    return std::unexpected(client_.error_from(error, ErrorKind::kDatabase, "cannot read the migration lock"));
  }
  return found;
}

Result<bool> MongoLockStore::delete_lease(const std::string& owner, const char* context) {
  auto deleted = client_.delete_one(collection_, owned_filter(owner).get(), write_concern_.get(), context);
  if (!deleted) return std::unexpected(deleted.error());
  return *deleted == 1;
}

Result<void> MongoLockStore::release(const LeaseHolder& holder) {
  auto deleted = delete_lease(holder.owner, "cannot release the migration lock");
  if (!deleted) return std::unexpected(deleted.error());
  return {};
}

Result<bool> MongoLockStore::clear(const LeaseHolder& expected) {
  OwnedBson filter =
      to_bson(Doc{{"_id", kLeaseId}, {"owner", expected.owner}, {"expiresAt", DateTime{expected.expires_at}}});
  auto deleted = client_.delete_one(collection_, filter.get(), write_concern_.get(), "cannot clear the migration lock");
  if (!deleted) return std::unexpected(deleted.error());
  return *deleted == 1;
}

Result<store::LockState> MongoLockStore::read() {
  CollectionPtr coll = client_.open_collection(collection_);
  ScopedBson filter;
  CursorPtr cursor(mongoc_collection_find_with_opts(coll.get(), filter.get(), nullptr, nullptr));
  const bson_t* doc = nullptr;
  store::LockState state;
  while (mongoc_cursor_next(cursor.get(), &doc)) {
    if (auto lease = lease_from(doc)) {
      state.holder = std::move(*lease);
    } else {
      state.unknown.push_back(describe(doc));
    }
  }
  bson_error_t error;
  if (mongoc_cursor_error(cursor.get(), &error)) {
    return std::unexpected(client_.error_from(error, ErrorKind::kDatabase, "cannot read the migration lock"));
  }
  return state;
}

Result<void> MongoLockStore::clear_unknown() {
  CollectionPtr coll = client_.open_collection(collection_);
  ScopedBson all;
  CursorPtr cursor(mongoc_collection_find_with_opts(coll.get(), all.get(), nullptr, nullptr));
  const bson_t* doc = nullptr;
  bson_error_t error;
  while (mongoc_cursor_next(cursor.get(), &doc)) {
    if (lease_from(doc)) continue;
    // By its `_id`, whatever its type (a document without one cannot be
    // named, and MongoDB gives every document one), and every other field
    // as read: if another `unlock --force` deleted it meanwhile and a
    // runner took the lease under the same `_id`, that lease is not this
    // document, and stays.
    // (A field name a filter cannot hold, dotted or `$`-led, leaves `_id`
    // alone to name it.)
    bson_iter_t id;
    if (!bson_iter_init_find(&id, doc, "_id")) continue;
    Doc filter_fields{{"_id", value_at(id)}};
    bson_iter_t field;
    for (bson_iter_init(&field, doc); bson_iter_next(&field);) {
      std::string_view key = bson_iter_key(&field);
      if (key == "_id") continue;
      if (key.starts_with('$') || key.find('.') != std::string_view::npos) {
        filter_fields.resize(1);
        break;
      }
      filter_fields.emplace_back(std::string(key), Doc{{"$eq", value_at(field)}});
    }
    OwnedBson filter = to_bson(filter_fields);
    ScopedBson opts, reply;
    mongoc_write_concern_append(write_concern_.get(), opts.get());
    bson_destroy(reply.get());
    if (!mongoc_collection_delete_one(coll.get(), filter.get(), opts.get(), reply.get(), &error)) {
      return std::unexpected(client_.error_from(error, ErrorKind::kDatabase, "cannot clear the migration lock"));
    }
    bson_iter_t deleted;
    if (!bson_iter_init_find(&deleted, reply.get(), "deletedCount") || bson_iter_as_int64(&deleted) != 1) {
      return std::unexpected(Error{ErrorKind::kRefused, "the migration lock changed while unlocking (a lock document "
                                                        "went or changed meanwhile); look again"});
    }
  }
  if (mongoc_cursor_error(cursor.get(), &error)) {
    return std::unexpected(client_.error_from(error, ErrorKind::kDatabase, "cannot read the migration lock"));
  }
  return {};
}

Result<TimestampMs> MongoLockStore::now() { return client_.server_now(); }

Result<std::unique_ptr<store::LockStore>> open_lock_store(const std::string& uri, const std::string& database,
                                                          const std::string& collection) {
  auto client = Client::open(uri, database);
  if (!client) return std::unexpected(client.error());
  return std::make_unique<MongoLockStore>(std::make_unique<Client>(std::move(*client)), collection);
}

}  // namespace mongomigrate::mongo
