#include "mongo/lease_store.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "mongo/log_bson.h"

namespace mongomigrate::mongo {
namespace {

// Lease epochs: "lease:" and the epoch number, zero-padded so that `_id`
// order is epoch order.
constexpr std::string_view kLeasePrefix = "lease:";
constexpr std::string_view kLeaseRangeEnd = "lease;";  // ';' follows ':'
// Renewals: "expiry:<epoch>" holds the expiry an epoch's holder renewed to.
// Apart so that the epoch's own document is only ever inserted and deleted:
// on a server whose updates are read, then written back (FerretDB v1 on
// SQLite), a renewal racing the prune of an epoch could otherwise write
// that document back over a number inserted again since.
constexpr std::string_view kExpiryPrefix = "expiry:";
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

std::string lease_id(std::int64_t epoch) { return fmt::format("{}{:012}", kLeasePrefix, epoch); }
std::string expiry_id(std::int64_t epoch) { return fmt::format("{}{:012}", kExpiryPrefix, epoch); }

// `_id` from `prefix` up to `below` (exclusive).
void append_id_range(bson_t* filter, std::string_view prefix, const std::string& below) {
  bson_t range;
  BSON_APPEND_DOCUMENT_BEGIN(filter, "_id", &range);
  BSON_APPEND_UTF8(&range, "$gte", std::string(prefix).c_str());
  BSON_APPEND_UTF8(&range, "$lt", below.c_str());
  bson_append_document_end(filter, &range);
}

// `_id` within the lease epochs, up to epoch `below` (exclusive) if given.
void append_lease_range(bson_t* filter, std::optional<std::int64_t> below = std::nullopt) {
  append_id_range(filter, kLeasePrefix, below ? lease_id(*below) : std::string(kLeaseRangeEnd));
}

// Epoch `epoch`'s document: held by `holder`, or (null) released by `released_by`.
void append_epoch(bson_t* doc, std::int64_t epoch, const LeaseHolder* holder, const std::string& released_by) {
  BSON_APPEND_UTF8(doc, "_id", lease_id(epoch).c_str());
  BSON_APPEND_INT64(doc, "epoch", epoch);
  if (holder != nullptr) {
    append_holder(doc, *holder);
  } else {
    BSON_APPEND_BOOL(doc, "released", true);
    BSON_APPEND_UTF8(doc, "releasedBy", released_by.c_str());
  }
}

}  // namespace

LeaseStore::Epoch LeaseStore::epoch_from(const bson_t* doc) {
  Epoch e;
  bool released = false;
  bson_iter_t it;
  if (bson_iter_init(&it, doc)) {
    while (bson_iter_next(&it)) {
      std::string_view key = bson_iter_key(&it);
      if (key == "_id" && BSON_ITER_HOLDS_UTF8(&it)) {
        std::string_view id = bson_iter_utf8(&it, nullptr);
        if (id.starts_with(kLeasePrefix)) {
          // The `_id` decides the order, so it decides the number too.
          std::string digits(id.substr(kLeasePrefix.size()));
          e.number = std::strtoll(digits.c_str(), nullptr, 10);
        }
      } else if (key == "released" && BSON_ITER_HOLDS_BOOL(&it)) {
        released = bson_iter_bool(&it);
      }
    }
  }
  if (!released) {
    e.holder = holder_from(doc);
    e.holder->epoch = e.number;
  }
  return e;
}

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

Result<OwnedBson> LeaseStore::find_one(const bson_t* filter, const bson_t* sort) {
  CollectionPtr coll = client_.open_collection(collection_);
  ScopedBson opts;
  if (sort != nullptr) BSON_APPEND_DOCUMENT(opts.get(), "sort", sort);
  BSON_APPEND_INT64(opts.get(), "limit", 1);
  CursorPtr cursor(mongoc_collection_find_with_opts(coll.get(), filter, opts.get(), nullptr));
  const bson_t* doc = nullptr;
  OwnedBson found;
  if (mongoc_cursor_next(cursor.get(), &doc)) found = OwnedBson(bson_copy(doc));
  bson_error_t error;
  if (mongoc_cursor_error(cursor.get(), &error)) {
    return std::unexpected(client_.error_from(error, ErrorKind::kDatabase, "cannot read the migration lock"));
  }
  return found;
}

Result<OwnedBson> LeaseStore::find_by_id(const std::string& id) {
  ScopedBson filter;
  BSON_APPEND_UTF8(filter.get(), "_id", id.c_str());
  return find_one(filter.get());
}

Result<std::optional<LeaseStore::Epoch>> LeaseStore::latest() {
  ScopedBson filter, sort;
  append_lease_range(filter.get());
  BSON_APPEND_INT32(sort.get(), "_id", -1);
  auto doc = find_one(filter.get(), sort.get());
  if (!doc) return std::unexpected(doc.error());
  if (!*doc) return std::optional<Epoch>();
  return epoch_from(doc->get());
}

Result<bool> LeaseStore::insert_epoch(std::int64_t epoch, const LeaseHolder* holder, const std::string& released_by,
                                      const char* context) {
  CollectionPtr coll = client_.open_collection(collection_);
  WriteConcernPtr wc = majority();
  ScopedBson doc, opts;
  append_epoch(doc.get(), epoch, holder, released_by);
  mongoc_write_concern_append(wc.get(), opts.get());
  bson_error_t error;
  if (!mongoc_collection_insert_one(coll.get(), doc.get(), opts.get(), nullptr, &error)) {
    if (error.code == kDuplicateKey) return false;
    return std::unexpected(client_.error_from(error, ErrorKind::kDatabase, context));
  }
  // A caller that read the latest epoch long ago (paused between its read
  // and this insert) may have inserted a number taken and pruned since: the
  // insert succeeds, but a later epoch exists. The epoch is ours only if it
  // is the latest now; whoever comes next reads it and inserts after it.
  auto after = latest();
  if (after && !(*after && (*after)->number == epoch)) {
    // Not the latest: take it back (an epoch that is not the latest counts
    // for nothing, so deleting it changes nothing else).
    (void)mongoc_collection_delete_one(coll.get(), doc.get(), nullptr, nullptr, &error);
    return false;
  }
  // The latest. The older epochs go before anyone acts on this one: a holder
  // learns it lost the lease by its own epoch being gone (holds()).
  Result<void> pruned = after ? prune_below(epoch, context) : Result<void>(std::unexpected(after.error()));
  if (pruned) return true;
  if (holder != nullptr) {
    // We may hold a lease we cannot use: give it back as a release would,
    // rather than leave it taken until it expires (ignored if not possible).
    ScopedBson marker;
    append_epoch(marker.get(), epoch + 1, nullptr, holder->owner);
    (void)mongoc_collection_insert_one(coll.get(), marker.get(), opts.get(), nullptr, &error);
  }
  return std::unexpected(pruned.error());
}

Result<void> LeaseStore::prune_below(std::int64_t epoch, const char* context) {
  CollectionPtr coll = client_.open_collection(collection_);
  WriteConcernPtr wc = majority();
  ScopedBson filter, opts;
  bson_t any, leases, expiries;
  BSON_APPEND_ARRAY_BEGIN(filter.get(), "$or", &any);
  BSON_APPEND_DOCUMENT_BEGIN(&any, "0", &leases);
  append_lease_range(&leases, epoch);
  bson_append_document_end(&any, &leases);
  BSON_APPEND_DOCUMENT_BEGIN(&any, "1", &expiries);
  append_id_range(&expiries, kExpiryPrefix, expiry_id(epoch));
  bson_append_document_end(&any, &expiries);
  bson_append_array_end(filter.get(), &any);
  mongoc_write_concern_append(wc.get(), opts.get());
  bson_error_t error;
  if (!mongoc_collection_delete_many(coll.get(), filter.get(), opts.get(), nullptr, &error)) {
    return std::unexpected(client_.error_from(error, ErrorKind::kDatabase, context));
  }
  return {};
}

Result<void> LeaseStore::add_renewal(Epoch& epoch) {
  if (!epoch.holder) return {};
  auto doc = find_by_id(expiry_id(epoch.number));
  if (!doc) return std::unexpected(doc.error());
  bson_iter_t it;
  if (*doc && bson_iter_init_find(&it, doc->get(), "expiresAt") && BSON_ITER_HOLDS_DATE_TIME(&it)) {
    epoch.holder->expires_at = std::max(epoch.holder->expires_at, bson_iter_date_time(&it));
  }
  return {};
}

Result<bool> LeaseStore::try_acquire(LeaseHolder& holder) {
  auto latest_epoch = latest();
  if (!latest_epoch) return std::unexpected(latest_epoch.error());
  if (*latest_epoch) {
    if (auto r = add_renewal(**latest_epoch); !r) return std::unexpected(r.error());
  }
  const std::optional<Epoch>& now_held = *latest_epoch;
  // Live by the server's clock (the caller's acquired_at): held.
  if (now_held && now_held->holder && now_held->holder->expires_at >= holder.acquired_at) return false;
  // Free, released or expired: the next epoch is the only one to insert, and
  // of several runners inserting it the unique `_id` lets exactly one in.
  holder.epoch = now_held ? now_held->number + 1 : 1;
  return insert_epoch(holder.epoch, &holder, "", "cannot take the migration lock");
}

Result<bool> LeaseStore::renew(const LeaseHolder& holder, TimestampMs expires_at) {
  // Not ours any more: write nothing (an expiry for an epoch taken over
  // would only wait for the next prune).
  auto ours = holds(holder);
  if (!ours || !*ours) return ours;
  CollectionPtr coll = client_.open_collection(collection_);
  WriteConcernPtr wc = majority();
  ScopedBson filter, update, opts;
  BSON_APPEND_UTF8(filter.get(), "_id", expiry_id(holder.epoch).c_str());
  bson_t set;
  BSON_APPEND_DOCUMENT_BEGIN(update.get(), "$set", &set);
  BSON_APPEND_DATE_TIME(&set, "expiresAt", expires_at);
  bson_append_document_end(update.get(), &set);
  BSON_APPEND_BOOL(opts.get(), "upsert", true);
  mongoc_write_concern_append(wc.get(), opts.get());
  bson_error_t error;
  if (!mongoc_collection_update_one(coll.get(), filter.get(), update.get(), opts.get(), nullptr, &error)) {
    return std::unexpected(client_.error_from(error, ErrorKind::kDatabase, "cannot renew the migration lock"));
  }
  // Renewed, if the epoch is still ours (an expiry written for an epoch
  // taken over meanwhile counts for nothing: only the latest epoch's is read).
  return holds(holder);
}

Result<bool> LeaseStore::holds(const LeaseHolder& holder) {
  auto doc = find_by_id(lease_id(holder.epoch));
  if (!doc) return std::unexpected(doc.error());
  if (!*doc) return false;
  Epoch e = epoch_from(doc->get());
  return e.holder && e.holder->owner == holder.owner;
}

Result<void> LeaseStore::release(const LeaseHolder& holder) {
  auto released = end_epoch(holder, "cannot release the migration lock");
  if (!released) return std::unexpected(released.error());
  return {};
}

Result<bool> LeaseStore::end_epoch(const LeaseHolder& holder, const char* context) {
  // The epoch after the holder's, released: an insert, not a delete or an
  // update, so epochs only ever grow and no write racing this one can make
  // an older holder the latest again. If the lease changed hands since, that
  // epoch exists (the insert is refused) or was pruned (the insert is not
  // the latest): false either way.
  return insert_epoch(holder.epoch + 1, nullptr, holder.owner, context);
}

Result<std::int64_t> LeaseStore::latest_epoch() {
  auto latest_epoch = latest();
  if (!latest_epoch) return std::unexpected(latest_epoch.error());
  return *latest_epoch ? (*latest_epoch)->number : 0;
}

Result<std::optional<LeaseHolder>> LeaseStore::current() {
  auto latest_epoch = latest();
  if (!latest_epoch) return std::unexpected(latest_epoch.error());
  if (!*latest_epoch) return std::optional<LeaseHolder>();
  if (auto r = add_renewal(**latest_epoch); !r) return std::unexpected(r.error());
  return std::move((*latest_epoch)->holder);
}

Result<LockState> LeaseStore::read() {
  CollectionPtr coll = client_.open_collection(collection_);
  ScopedBson filter;
  CursorPtr cursor(mongoc_collection_find_with_opts(coll.get(), filter.get(), nullptr, nullptr));
  const bson_t* doc = nullptr;
  LockState state;
  std::optional<Epoch> latest_epoch;
  std::map<std::string, TimestampMs, std::less<>> renewals;  // by expiry _id
  while (mongoc_cursor_next(cursor.get(), &doc)) {
    bson_iter_t it;
    if (!bson_iter_init_find(&it, doc, "_id") || !BSON_ITER_HOLDS_UTF8(&it)) continue;
    std::string_view id = bson_iter_utf8(&it, nullptr);
    if (id.starts_with(kExpiryPrefix)) {
      bson_iter_t at;
      if (bson_iter_init_find(&at, doc, "expiresAt") && BSON_ITER_HOLDS_DATE_TIME(&at)) {
        renewals[std::string(id)] = bson_iter_date_time(&at);
      }
    } else if (id.starts_with(kLeasePrefix)) {
      Epoch e = epoch_from(doc);
      if (!latest_epoch || e.number > latest_epoch->number) latest_epoch = std::move(e);
    } else if (id.starts_with(kClaimPrefix)) {
      add_claim(state.journal, doc);
    }
  }
  bson_error_t error;
  if (mongoc_cursor_error(cursor.get(), &error)) {
    return std::unexpected(client_.error_from(error, ErrorKind::kDatabase, "cannot read the migration lock"));
  }
  if (latest_epoch) {
    state.epoch = latest_epoch->number;
    state.holder = std::move(latest_epoch->holder);
    auto renewed = renewals.find(expiry_id(state.epoch));
    if (state.holder && renewed != renewals.end()) {
      state.holder->expires_at = std::max(state.holder->expires_at, renewed->second);
    }
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

Result<void> LeaseStore::delete_claims(const std::vector<ClaimKey>& claims) {
  // One delete per claimer (a runner's own flush: one), `_id $in` and the
  // claimer: on FerretDB a `$or` of pairs costs three times as much.
  std::map<std::string, std::vector<std::string>> by_owner;
  for (const ClaimKey& claim : claims) by_owner[claim.owner].push_back(std::string(kClaimPrefix) + claim.name);
  CollectionPtr coll = client_.open_collection(collection_);
  WriteConcernPtr wc = majority();
  for (const auto& [owner, ids] : by_owner) {
    ScopedBson filter, opts;
    bson_t id, in;
    BSON_APPEND_DOCUMENT_BEGIN(filter.get(), "_id", &id);
    BSON_APPEND_ARRAY_BEGIN(&id, "$in", &in);
    for (std::size_t i = 0; i < ids.size(); ++i) BSON_APPEND_UTF8(&in, std::to_string(i).c_str(), ids[i].c_str());
    bson_append_array_end(&id, &in);
    bson_append_document_end(filter.get(), &id);
    if (owner.empty()) {
      BSON_APPEND_NULL(filter.get(), "claimOwner");  // matches a claim without one
    } else {
      BSON_APPEND_UTF8(filter.get(), "claimOwner", owner.c_str());
    }
    mongoc_write_concern_append(wc.get(), opts.get());
    bson_error_t error;
    if (!mongoc_collection_delete_many(coll.get(), filter.get(), opts.get(), nullptr, &error)) {
      return std::unexpected(client_.error_from(error, ErrorKind::kDatabase, "cannot delete the run's claims"));
    }
  }
  return {};
}

Result<bool> LeaseStore::clear(const LeaseHolder& expected) {
  return end_epoch(expected, "cannot clear the migration lock");
}

}  // namespace mongomigrate::mongo
