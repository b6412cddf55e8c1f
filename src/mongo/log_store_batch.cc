// The tracking log's writes of several documents in one command
// (MongoLogStore, see mongo/log_store.h), each an ordered bulk write, so what
// is written is always the start of it: baseline's records and events (one
// insert per batch), and up's outcome of one migration with the claim of the
// next (one update of two statements).
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
// `duplicate`: that error is a duplicate key. `unknown`: no document's own
// error, but the insert may have landed (may_have_landed), so how many did
// is not known (`count` is what the reply said, if it came).
struct Inserted {
  std::size_t count = 0;
  bool failed = false;
  bool duplicate = false;
  bool unknown = false;
  bson_error_t error{};
};

Inserted insert_ordered(mongoc_collection_t* coll, const std::vector<OwnedBson>& docs, mongoc_write_concern_t* wc) {
  ScopedBson reply;
  OwnedBson opts = to_bson(Doc{{"ordered", true}});
  mongoc_write_concern_append(wc, opts.get());
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
  bson_iter_t code;
  bool statement_failed =
      bson_iter_init(&it, reply.get()) && bson_iter_find_descendant(&it, "writeErrors.0.code", &code);
  // A write error stops the ordered insert at its document, which was not
  // inserted; a write concern error comes after every document was.
  if (statement_failed && result.count == docs.size()) result.count = docs.size() - 1;
  result.duplicate =
      result.error.code == kDuplicateKey || (statement_failed && bson_iter_as_int64(&code) == kDuplicateKey);
  result.unknown = !statement_failed && may_have_landed(result.error) &&
                   result.error.domain != MONGOC_ERROR_WRITE_CONCERN;  // a write concern error: all of them
  return result;
}

// The first write error of a bulk write's reply: its statement's index and
// code, or nullopt if there is none (the failure was not a statement's).
struct WriteError {
  std::int64_t index = 0;
  std::int64_t code = 0;
};

std::optional<WriteError> first_write_error(const bson_t* reply) {
  bson_iter_t it, index, code;
  if (!bson_iter_init(&it, reply) || !bson_iter_find_descendant(&it, "writeErrors.0.index", &index)) {
    return std::nullopt;
  }
  if (!bson_iter_init(&it, reply) || !bson_iter_find_descendant(&it, "writeErrors.0.code", &code)) return std::nullopt;
  return WriteError{bson_iter_as_int64(&index), bson_iter_as_int64(&code)};
}

}  // namespace

store::LogStore::InsertedApplied MongoLogStore::insert_applied(std::span<const core::Migration* const> migrations,
                                                              TimestampMs at, const std::string& by) {
  if (migrations.empty()) return {};
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
  if (!inserted.failed || inserted.duplicate) return {.written = inserted.count};
  std::string context =
      inserted.unknown ? fmt::format("recording {} migrations applied got no clear answer (some or all of them may "
                                     "be recorded)",
                                     migrations.size())
      : inserted.count < migrations.size()
          ? fmt::format("cannot record {} applied ({} of {} recorded)", migrations[inserted.count]->name,
                        inserted.count, migrations.size())
          : fmt::format("{} of {} recorded applied, not confirmed", inserted.count, migrations.size());
  return {.written = inserted.count, .error = client_.error_from(inserted.error, ErrorKind::kDatabase, context)};
}

Result<void> MongoLogStore::append_events(std::span<const HistoryEvent> events) {
  if (events.empty()) return {};
  std::vector<OwnedBson> docs;
  docs.reserve(events.size());
  for (const HistoryEvent& e : events) docs.push_back(to_bson(event_fields(e)));
  CollectionPtr coll = client_.open_collection(events_collection());
  Inserted inserted = insert_ordered(coll.get(), docs, write_concern_.get());
  if (!inserted.failed) return {};
  std::string context =
      inserted.unknown ? fmt::format("recording {} events got no clear answer (some or all of them may be recorded)",
                                     events.size())
      : inserted.count < events.size()
          ? fmt::format("cannot record the {} event of {} ({} of {} events recorded)", events[inserted.count].action,
                        events[inserted.count].name, inserted.count, events.size())
          : fmt::format("{} of {} events recorded, not confirmed", inserted.count, events.size());
  return std::unexpected(client_.error_from(inserted.error, ErrorKind::kDatabase, context));
}

Result<Result<store::Claim>> MongoLogStore::finish_applied_and_claim_run(
    const core::Migration& m, const store::Claim& claim, const std::string& by, TimestampMs applied_at,
    std::int64_t duration_ms, const core::Migration& next, const store::ClaimRequest& next_request) {
  std::optional<ObjectId> record = object_id(claim.id);
  if (!record || next_request.seen) {
    return LogStore::finish_applied_and_claim_run(m, claim, by, applied_at, duration_ms, next, next_request);
  }
  const std::string outcome_context = fmt::format("cannot record {} as applied", m.name);
  const std::string claim_context = fmt::format("cannot start {}", next.name);

  // 1. The outcome, filtered on the record's `_id` and this runner's owner id
  // as fenced_update() is, but as an upsert: if the record is no longer this
  // runner's, the upsert's insert collides with the record's own `_id`, so
  // the statement fails with a duplicate key and the ordered command writes
  // nothing after it. (A record deleted by hand meanwhile is written anew,
  // applied, with its name and version: what is true.)
  LogUpdate outcome = applied_change(m, by, applied_at, duration_ms);
  outcome.set.emplace_back("name", m.name);
  outcome.set.emplace_back("version", m.version);
  OwnedBson outcome_filter = to_bson(Doc{{"_id", *record}, {"lockOwner", claim.owner}});
  // 2. The claim of a migration that has no record: an upsert on a new `_id`
  // is an insert, which the unique index on `name` refuses if another
  // runner got there first.
  store::Claim claimed{.name = next.name, .id = new_object_id(), .owner = next_request.owner};
  LogUpdate claim_change = run_claim_change(next, next_request);
  claim_change.set.emplace_back("name", next.name);
  OwnedBson claim_filter = to_bson(Doc{{"_id", *object_id(claimed.id)}});

  CollectionPtr coll = client_.open_collection(collection_);
  ScopedBson reply;
  OwnedBson opts = to_bson(Doc{{"ordered", true}});
  mongoc_write_concern_append(write_concern_.get(), opts.get());
  BulkPtr bulk(mongoc_collection_create_bulk_operation_with_opts(coll.get(), opts.get()));
  OwnedBson upsert = to_bson(Doc{{"upsert", true}});
  bson_error_t error;
  if (!mongoc_bulk_operation_update_one_with_opts(bulk.get(), outcome_filter.get(),
                                                  to_bson(outcome.document()).get(), upsert.get(), &error) ||
      !mongoc_bulk_operation_update_one_with_opts(bulk.get(), claim_filter.get(),
                                                  to_bson(claim_change.document()).get(), upsert.get(), &error)) {
    return std::unexpected(client_.error_from(error, ErrorKind::kDatabase, outcome_context));
  }
  bson_destroy(reply.get());
  if (mongoc_bulk_operation_execute(bulk.get(), reply.get(), &error) != 0) return Result<store::Claim>(claimed);
  std::optional<WriteError> failed = first_write_error(reply.get());
  if (failed && failed->index == 0 && failed->code == kDuplicateKey) return std::unexpected(not_ours(outcome_context));
  if (failed && failed->index == 1) {
    // The outcome is written; the claim is not.
    if (failed->code == kDuplicateKey) return Result<store::Claim>(std::unexpected(got_there_first(claim_context)));
    return Result<store::Claim>(std::unexpected(client_.error_from(error, ErrorKind::kDatabase, claim_context)));
  }
  Error failed_outcome = client_.error_from(error, ErrorKind::kDatabase, outcome_context);
  // Statement 0 failed (nothing was written), or the command never ran.
  if (failed || !may_have_landed(error)) return std::unexpected(std::move(failed_outcome));
  if (reply_lost(error)) {
    // Both statements were applied, the outcome alone, or neither (the
    // command is ordered): the records say which. A claim not found is
    // made again by the caller (apply()), as after any refused claim.
    Result<store::Claim> claim_again = std::unexpected(Error{ErrorKind::kDatabase, claim_context});
    switch (wrote(claim, outcome)) {
      case Landed::kYes: {
        auto record = find(next.name);
        if (record && *record && (*record)->id == claimed.id && (*record)->lock_owner == claimed.owner) {
          return Result<store::Claim>(claimed);
        }
        // Not found (or not readable): make sure no claim of ours is left
        // to collide with the next one (a delete fenced on the owner id).
        if (auto back = release_claim(claimed, next_request); back || back.error().kind == ErrorKind::kLockLost) {
          return claim_again;
        }
        break;
      }
      case Landed::kNo: {
        // Not applied: the outcome alone, as finish_applied() writes it.
        auto outcome_alone =
            fenced_update(claim, applied_change(m, by, applied_at, duration_ms), outcome_context);
        if (outcome_alone) return claim_again;
        // Or the lost command ran after all, later than the read: its
        // outcome is there (and its claim, which claim_run() takes up).
        if (outcome_alone.error().kind == ErrorKind::kLockLost && wrote(claim, outcome) == Landed::kYes) {
          return claim_again;
        }
        // The first failure says why; a later one adds only "still out of reach".
        if (outcome_alone.error().kind == ErrorKind::kLockLost) failed_outcome = outcome_alone.error();
        break;
      }
      case Landed::kUnknown: break;
    }
  }
  // A write concern error says both statements were applied but not
  // confirmed; or the reply was lost and the server is still out of reach.
  return std::unexpected(give_back_unknown(claimed, next_request, std::move(failed_outcome)));
}

}  // namespace mongomigrate::mongo
