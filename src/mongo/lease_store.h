// The lease in `<collection>_lock`: at most one runner holds it.
//
// The lease is a sequence of epochs, one document each (`_id`
// "lease:<epoch, 12 digits>"): the latest epoch says who holds it, or that
// it is free (`released: true`). Every change of hands (take, take over,
// release, clear) inserts the next epoch, then deletes the older ones.
//
// Contract:
// - try_acquire() inserts the next epoch if the latest one is free or has
//   expired (by the server clock the caller passes in acquired_at), then
//   reads the latest again: the epoch is its own only if it is the latest.
//   Two callers can never both succeed: racing for the same number, the
//   unique `_id` lets one in; a caller paused between its read and its
//   insert may insert a number pruned since, and finds a later epoch. Only
//   inserts change hands, so this holds on servers whose conditional updates
//   are not atomic too (FerretDB v1 on SQLite, its issue #3040).
// - Then, before it reports success, it deletes every older epoch. So a
//   holder whose epoch document is still there has not been superseded by
//   anyone who went on to act (holds(), renew(): one lookup by `_id`). The
//   latest epoch itself is never deleted, so the latest number only grows.
// - release() and clear() insert a `released` epoch after the holder's, the
//   same way: false if the lease changed hands meanwhile.
// - Reads (current, read) never create anything.
// - The collection also holds the run journal's claims (core/journal.h), one
//   document per started migration with `_id` "claim:<name>": claim()
//   inserts one and fails if that migration is claimed already. That stops
//   two lease holders, not a runner whose lease was taken over: claims are
//   deleted once moved, so JournalWriter::start also checks, after its claim,
//   that the lease is still its own (holds()).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/journal.h"
#include "mongo/bson_handles.h"
#include "mongo/client.h"
#include "mongomigrate/report.h"

namespace mongomigrate::mongo {

// The lock collection: who holds the lease, and the journal of the claims.
struct LockState {
  std::optional<LeaseHolder> holder;
  // The latest epoch's number (0: none): it changes whenever the lease
  // changes hands, so two reads with the same epoch saw the same holder
  // (though perhaps not the same expiry: a renewal keeps the epoch).
  std::int64_t epoch = 0;
  core::Journal journal;
};

// Adds a claim document (as read from the lock collection) to `journal`: its
// migration started, the outcomes and events it carries finished.
void add_claim(core::Journal& journal, const bson_t* claim_document);

class LeaseStore {
 public:
  LeaseStore(Client& client, std::string collection);

  const std::string& collection() const { return collection_; }

  // True if `holder` now holds the lease; its `epoch` is set to the one taken.
  Result<bool> try_acquire(LeaseHolder& holder);
  // Extends our lease to `expires_at`; false if it is no longer ours.
  Result<bool> renew(const LeaseHolder& holder, TimestampMs expires_at);
  // Whether our lease is still ours: one find by `_id`.
  Result<bool> holds(const LeaseHolder& holder);
  // Ends our lease (no-op if it is not ours).
  Result<void> release(const LeaseHolder& holder);
  // The lease alone (no claims): one find of the latest epoch.
  Result<std::optional<LeaseHolder>> current();
  // The lease and every claim, one query.
  Result<LockState> read();
  // The latest epoch's number alone (0: none), as read() gives it.
  Result<std::int64_t> latest_epoch();
  // Claims `running.name` for `owner` (the lease owner), carrying the
  // outcomes and events finished since its previous claim; false if that
  // migration is claimed already.
  Result<bool> claim(const std::string& owner, const core::LogRecord& running,
                     const std::vector<core::JournaledRecord>& done,
                     const std::vector<core::JournaledEvent>& events);
  // A claim as read: its migration and its claimer ("" if it has none).
  struct ClaimKey {
    std::string name;
    std::string owner;
  };
  // Deletes these claims (once moved into the log), each only while it is
  // still that claimer's: a migration claimed again since keeps its claim.
  Result<void> delete_claims(const std::vector<ClaimKey>& claims);
  // Ends the lease whoever holds it, if it still is the one described by
  // `expected` (same owner); false if it changed hands meanwhile.
  Result<bool> clear(const LeaseHolder& expected);

 private:
  struct Epoch {
    std::int64_t number = 0;
    std::optional<LeaseHolder> holder;  // none: released
  };
  static Epoch epoch_from(const bson_t* doc);
  // The first document matching `filter` (in `sort` order, if given); a null
  // OwnedBson if none.
  Result<OwnedBson> find_one(const bson_t* filter, const bson_t* sort = nullptr);
  Result<OwnedBson> find_by_id(const std::string& id);
  Result<std::optional<Epoch>> latest();
  // The holder's expiry as renewed (its "expiry:<epoch>" document).
  Result<void> add_renewal(Epoch& epoch);
  // Inserts epoch `number`, held by `holder` or (null) released by
  // `released_by`, and prunes the older ones; false if that epoch exists
  // already or, once inserted, is not the latest.
  Result<bool> insert_epoch(std::int64_t number, const LeaseHolder* holder, const std::string& released_by,
                            const char* context);
  Result<void> prune_below(std::int64_t number, const char* context);
  // Releases `holder`'s epoch if it is the latest; false if it is not.
  Result<bool> end_epoch(const LeaseHolder& holder, const char* context);

  Client& client_;
  std::string collection_;
};

}  // namespace mongomigrate::mongo
