#include "mongo/log_store.h"

#include <fmt/format.h>

#include <algorithm>

#include "mongo/foreign_log.h"
#include "core/names.h"
#include "core/recovery_plan.h"
#include "mongo/log_bson.h"
#include "mongo/value_bson.h"

namespace mongomigrate::mongo {
namespace {

constexpr int kDuplicateKey = 11000;

// Options of load()/find(): everything but `metadata`, so a log with large
// `metadata` documents costs no more to read than a lean one (`_id` is kept:
// a claim names the record it read by it), and `extra`.
OwnedBson record_read_options(Doc extra) {
  extra.emplace_back("projection", Doc{{"metadata", 0}});
  return to_bson(extra);
}

}  // namespace

MongoLogStore::MongoLogStore(Client& client, std::string collection)
    : client_(client), collection_(std::move(collection)), write_concern_(tracking_write_concern()) {}

MongoLogStore::MongoLogStore(std::unique_ptr<Client> client, std::string collection)
    : MongoLogStore(*client, std::move(collection)) {
  owned_ = std::move(client);
}

Result<void> MongoLogStore::check_ours() {
  if (checked_ours_) return {};
  auto shape = sample_shape(client_, collection_);
  if (!shape) return std::unexpected(shape.error());
  if (*shape) {
    if (auto source = core::foreign_log_source(**shape)) {
      return std::unexpected(core::foreign_log_error(*source, collection_));
    }
  }
  checked_ours_ = true;
  return {};
}

Result<std::vector<core::LogRecord>> MongoLogStore::load() {
  if (auto ours = check_ours(); !ours) return std::unexpected(ours.error());
  CollectionPtr coll = client_.open_collection(collection_);
  ScopedBson filter;
  // Few round trips for a long log: 5,000 records are ~1.5 MB, well under a
  // reply's 16 MB.
  OwnedBson opts = record_read_options(Doc{{"batchSize", 5000}});
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
  if (auto ours = check_ours(); !ours) return std::unexpected(ours.error());
  CollectionPtr coll = client_.open_collection(collection_);
  OwnedBson filter = to_bson(Doc{{"name", name}});
  OwnedBson opts = record_read_options(Doc{{"limit", 1LL}});
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
  if (auto ours = check_ours(); !ours) return std::unexpected(ours.error());
  OwnedBson command = to_bson(Doc{
      {"createIndexes", collection_},
      {"indexes", Array{Doc{{"key", Doc{{"name", 1}}}, {"name", "name_1"}, {"unique", true}}}}});
  auto created = client_.run_command(command.get(), nullptr);
  if (created) return {};

  // A log written before the index existed may hold a name twice: the
  // server's refusal (a duplicate key, with its internals) says less than
  // the records themselves.
  auto records = load();
  if (!records) return std::unexpected(records.error());
  if (auto duplicates = core::find_duplicates(*records); !duplicates.empty()) {
    return std::unexpected(Error{ErrorKind::kRefused, core::duplicates_problem(duplicates, collection_)});
  }

  // An existing unique index on {name: 1} under another name is fine: it
  // gives the same guarantee. A partial one does not (two `running` claims
  // of one name would both land): it is refused. Anything else is reported.
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
    if (!unique || !on_name) continue;
    if (bson_iter_init_find(&it, doc, "partialFilterExpression")) {
      std::string index = bson_iter_init_find(&it, doc, "name") && BSON_ITER_HOLDS_UTF8(&it)
                              ? bson_iter_utf8(&it, nullptr)
                              : "?";
      return std::unexpected(Error{
          ErrorKind::kRefused,
          fmt::format("the unique index {} on {}.name is partial (it has a partialFilterExpression), so it does not "
                      "keep two runners from claiming one migration; drop it (db.{}.dropIndex(\"{}\")) and "
                      "mongo-migrate creates a full one",
                      core::printable(index), collection_, collection_, core::printable(index))});
    }
    return {};
  }
  return std::unexpected(Error{
      ErrorKind::kDatabase,
      fmt::format("cannot create the unique index on {}.name: {}", collection_, created.error().message)});
}

namespace {

// `value`, or null (which also matches a missing field) if empty.
Value or_null(const std::string& value) { return value.empty() ? Value() : Value(value); }

}  // namespace

Error MongoLogStore::not_ours(const std::string& context) {
  return Error{ErrorKind::kLockLost, fmt::format("{}: the record is no longer this runner's (its lock was taken over "
                                                 "and the record claimed or changed since)",
                                                 context)};
}

Error MongoLogStore::got_there_first(const std::string& context) {
  return Error{ErrorKind::kRefused, fmt::format("{}: another runner got there first", context)};
}

Doc LogUpdate::document() const {
  Doc update;
  if (!set.empty()) update.emplace_back("$set", set);
  if (!unset.empty()) {
    Doc fields;
    for (const std::string& field : unset) fields.emplace_back(field, "");
    update.emplace_back("$unset", std::move(fields));
  }
  bool names_revision = std::ranges::find(set, std::string("revision"), &Doc::value_type::first) != set.end() ||
                        std::ranges::find(unset, std::string("revision")) != unset.end();
  if (!names_revision) update.emplace_back("$inc", Doc{{"revision", std::int64_t{1}}});
  return update;
}

Result<std::int64_t> MongoLogStore::update(const bson_t* filter, const bson_t* update, const std::string& context,
                                           bson_error_t* failure) {
  CollectionPtr coll = client_.open_collection(collection_);
  ScopedBson opts, reply;
  mongoc_write_concern_append(write_concern_.get(), opts.get());
  bson_error_t error;
  bson_destroy(reply.get());
  if (!mongoc_collection_update_one(coll.get(), filter, update, opts.get(), reply.get(), &error)) {
    if (failure) *failure = error;
    return std::unexpected(client_.error_from(error, ErrorKind::kDatabase, context));
  }
  bson_iter_t it;
  return bson_iter_init_find(&it, reply.get(), "matchedCount") ? bson_iter_as_int64(&it) : 0;
}

Result<store::Claim> MongoLogStore::claim(const std::string& name, const store::ClaimRequest& request,
                                          const LogUpdate& change, const std::string& context,
                                          OnUnknown on_unknown) {
  if (request.seen) {
    // The record as read under the lease, only if it still is: a runner
    // paused past its lease finds it changed by its successor (whose every
    // write bumped `revision`, even one that left the record looking as it
    // was read) and writes nothing.
    const core::LogRecord& seen = *request.seen;
    Doc filter = record_key(seen.id, name);
    if (seen.status.empty()) {
      // Read as no status: none, null, "" or not a string (a hand edit);
      // any of those is the record as read.
      filter.emplace_back("$or", Array{Doc{{"status", Doc{{"$not", Doc{{"$type", "string"}}}}}}, Doc{{"status", ""}}});
    } else {
      filter.emplace_back("status", seen.status);
    }
    filter.emplace_back("lockOwner", or_null(seen.lock_owner));
    filter.emplace_back("revision", seen.revision ? Value(*seen.revision) : Value());
    store::Claim claimed{.name = name, .id = seen.id, .owner = request.owner};
    bson_error_t failure{};
    auto matched = update(to_bson(filter).get(), to_bson(change.document()).get(), context, &failure);
    if (!matched && may_have_landed(failure) && on_unknown == OnUnknown::kGiveBack) {
      return std::unexpected(give_back_unknown(claimed, request, matched.error()));
    }
    if (!matched) return std::unexpected(matched.error());
    if (*matched == 0) {
      return std::unexpected(
          Error{ErrorKind::kRefused, fmt::format("{}: its record was changed by another runner meanwhile", context)});
    }
    return claimed;
  }
  // No record: insert one. The unique index on `name` lets only one runner
  // create it.
  store::Claim claimed{.name = name, .id = new_object_id(), .owner = request.owner};
  CollectionPtr coll = client_.open_collection(collection_);
  Doc record{{"_id", *object_id(claimed.id)}, {"name", name}};
  record.insert(record.end(), change.set.begin(), change.set.end());
  OwnedBson doc = to_bson(record);
  ScopedBson opts;
  mongoc_write_concern_append(write_concern_.get(), opts.get());
  bson_error_t error;
  if (mongoc_collection_insert_one(coll.get(), doc.get(), opts.get(), nullptr, &error)) return claimed;
  if (error.code == kDuplicateKey) {
    return std::unexpected(got_there_first(context));
  }
  Error failed = client_.error_from(error, ErrorKind::kDatabase, context);
  if (may_have_landed(error) && on_unknown == OnUnknown::kGiveBack) {
    return std::unexpected(give_back_unknown(claimed, request, failed));
  }
  return std::unexpected(std::move(failed));
}

Result<void> MongoLogStore::fenced_update(const store::Claim& claim, const LogUpdate& change,
                                          const std::string& context) {
  Doc filter = record_key(claim.id, claim.name);
  filter.emplace_back("lockOwner", claim.owner);
  OwnedBson filter_bson = to_bson(filter), update_bson = to_bson(change.document());
  bson_error_t failure{};
  auto matched = update(filter_bson.get(), update_bson.get(), context, &failure);
  if (!matched && reply_lost(failure)) {
    // The write may have been applied. Sent again (the same values: no harm
    // if it was), it matches nothing if the first one took the record out of
    // this runner's hands; the record then says whether that was this write.
    auto again = update(filter_bson.get(), update_bson.get(), context);
    if (again && *again == 0) {
      switch (wrote(claim, change)) {
        case Landed::kYes: return {};
        case Landed::kNo: break;  // out of this runner's hands, not by this write
        case Landed::kUnknown: return std::unexpected(matched.error());  // the lost reply, as it is
      }
    }
    if (again) matched = again;
  }
  if (!matched) return std::unexpected(matched.error());
  if (*matched == 0) {
    return std::unexpected(not_ours(context));
  }
  return {};
}

LogUpdate MongoLogStore::run_claim_change(const core::Migration& m, const store::ClaimRequest& request) {
  return LogUpdate{.set = {{"version", m.version},
                           {"status", core::kStatusRunning},
                           {"checksum", m.checksum},
                           {"appliedBy", request.by},
                           {"lockOwner", request.owner}},
                   // A revert interrupted before (run again now): this is an `up`.
                   .unset = {"reverting"}};
}

LogUpdate MongoLogStore::applied_change(const core::Migration& m, const std::string& by, TimestampMs applied_at,
                                        std::int64_t duration_ms) {
  LogUpdate change{.set = {{"status", core::kStatusApplied},
                           {"appliedAt", DateTime{applied_at}},
                           {"duration", duration_ms},
                           {"checksum", m.checksum},
                           {"appliedBy", by}},
                   .unset = {"error", "revertedAt", "revertedBy", "lockOwner", "reverting"}};
  // A finished batch run needs no checkpoint; only C++ migrations write one
  // (and only they can be sure `metadata` is a document).
  if (m.compiled) change.unset.push_back("metadata.checkpoint");
  return change;
}

Result<store::Claim> MongoLogStore::claim_run(const core::Migration& m, const store::ClaimRequest& request) {
  auto claimed = claim(m.name, request, run_claim_change(m, request), fmt::format("cannot start {}", m.name),
                       OnUnknown::kGiveBack);
  if (claimed || request.seen || claimed.error().kind != ErrorKind::kRefused) return claimed;
  // A record made meanwhile. Only this runner writes one with its owner id,
  // so a `running` one of its own is the claim it sent with the previous
  // migration's outcome, whose reply was lost and which the server ran
  // after the runner had read the record (finish_applied_and_claim_run):
  // the claim it was about to make.
  auto record = find(m.name);
  if (record && *record && (*record)->lock_owner == request.owner && (*record)->status == core::kStatusRunning) {
    return store::Claim{.name = m.name, .id = (*record)->id, .owner = request.owner};
  }
  return claimed;
}

Result<void> MongoLogStore::finish_applied(const core::Migration& m, const store::Claim& claim, const std::string& by,
                                           TimestampMs applied_at, std::int64_t duration_ms) {
  return fenced_update(claim, applied_change(m, by, applied_at, duration_ms),
                       fmt::format("cannot record {} as applied", m.name));
}

Result<void> MongoLogStore::finish_failed(const core::Migration& m, const store::Claim& claim,
                                          const std::string& error, std::int64_t duration_ms) {
  LogUpdate change{.set = {{"status", core::kStatusFailed}, {"error", error}, {"duration", duration_ms}},
                    .unset = {"lockOwner", "reverting"}};
  return fenced_update(claim, change, fmt::format("cannot record {} as failed", m.name));
}

Result<store::Claim> MongoLogStore::claim_revert(const core::Migration& m, const store::ClaimRequest& request) {
  if (!request.seen) {
    return std::unexpected(Error{ErrorKind::kRefused, fmt::format("cannot revert {}: it has no record", m.name)});
  }
  // An earlier failed revert's error is history now (its event keeps it); a
  // batch checkpoint of an earlier `up` means nothing once `down` has run.
  LogUpdate change{.set = {{"status", core::kStatusRunning}, {"reverting", true}, {"lockOwner", request.owner}},
                    .unset = {"error"}};
  if (m.compiled) change.unset.push_back("metadata.checkpoint");
  return claim(m.name, request, change, fmt::format("cannot start reverting {}", m.name), OnUnknown::kGiveBack);
}

Result<void> MongoLogStore::finish_reverted(const core::Migration& m, const store::Claim& claim,
                                            const std::string& by, TimestampMs reverted_at) {
  LogUpdate change{
      .set = {{"status", core::kStatusReverted}, {"revertedAt", DateTime{reverted_at}}, {"revertedBy", by}},
      .unset = {"error", "lockOwner", "reverting"}};
  return fenced_update(claim, change, fmt::format("cannot record {} as reverted", m.name));
}

Result<void> MongoLogStore::note_revert_failed(const core::Migration& m, const store::Claim& claim,
                                               const std::string& error) {
  // Still `running` and `reverting`, with no runner: interrupted.
  LogUpdate change{.set = {{"error", "revert failed: " + error}}, .unset = {"lockOwner"}};
  return fenced_update(claim, change, fmt::format("cannot record the failed revert of {}", m.name));
}

Result<void> MongoLogStore::set_status(const std::string& name, const core::Migration* m, const std::string& status,
                                       TimestampMs at, const store::ClaimRequest& request) {
  // A C++ migration's batch checkpoint goes too (the file may be gone, so
  // whether it is one is not known): after a mark, a run starts over.
  LogUpdate change{.set = {{"status", status}}, .unset = {"error", "lockOwner", "reverting", "metadata.checkpoint"}};
  if (m) change.set.emplace_back("version", m->version);
  bool was_applied = request.seen && request.seen->status == core::kStatusApplied;
  if (status == core::kStatusApplied) {
    if (!was_applied) {
      change.set.emplace_back("appliedAt", DateTime{at});
      change.set.emplace_back("appliedBy", request.by);
    }
    if (m) change.set.emplace_back("checksum", m->checksum);
    change.unset.insert(change.unset.end(), {"revertedAt", "revertedBy"});
  } else if (status == core::kStatusPending) {
    change.unset.insert(change.unset.end(),
                        {"appliedAt", "appliedBy", "duration", "checksum", "revertedAt", "revertedBy"});
  } else if (status == core::kStatusReverted) {
    change.set.emplace_back("revertedAt", DateTime{at});
    change.set.emplace_back("revertedBy", request.by);
  }
  auto claimed = claim(name, request, change, fmt::format("cannot mark {} {}", name, status));
  if (!claimed) return std::unexpected(claimed.error());
  return {};
}

Result<void> MongoLogStore::set_metadata(const store::Claim& claim, const std::string& key, const Value& value) {
  return fenced_update(claim, LogUpdate{.set = {{"metadata." + key, value}}},
                       fmt::format("cannot record the progress of {}", claim.name));
}

Result<std::optional<Document>> MongoLogStore::load_checkpoint(const std::string& name) {
  CollectionPtr coll = client_.open_collection(collection_);
  OwnedBson filter = to_bson(Doc{{"name", name}});
  OwnedBson opts = to_bson(Doc{{"projection", Doc{{"metadata.checkpoint", 1}}}, {"limit", 1LL}});
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
  OwnedBson doc = to_bson(event_fields(e));
  ScopedBson opts;
  mongoc_write_concern_append(write_concern_.get(), opts.get());
  bson_error_t error;
  if (!mongoc_collection_insert_one(coll.get(), doc.get(), opts.get(), nullptr, &error)) {
    return std::unexpected(client_.error_from(
        error, ErrorKind::kDatabase, fmt::format("cannot record the {} event of {}", e.action, e.name)));
  }
  return {};
}

Result<std::vector<HistoryEvent>> MongoLogStore::history(int limit) {
  // Another tool's log has no `_events` beside it: "no events" would hide
  // that --collection names the wrong collection.
  if (auto ours = check_ours(); !ours) return std::unexpected(ours.error());
  CollectionPtr coll = client_.open_collection(events_collection());
  ScopedBson filter;
  OwnedBson opts = to_bson(Doc{{"sort", Doc{{"at", -1}, {"_id", -1}}}, {"limit", static_cast<std::int64_t>(limit)}});
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
