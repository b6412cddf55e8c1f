// The lease in `<collection>_lock`: at most one runner holds it.
//
// The lease is a sequence of epochs, one document each (`_id`
// "lease:<epoch, 12 digits>"): the latest epoch says who holds it, or that
// it is free (`released: true`). Every change of hands (take, take over,
// release, clear) inserts the next epoch, then deletes the older ones.
//
// Contract:
// - try_acquire() inserts the next epoch if the latest one is free or has
//   expired (by the server clock the caller passes in acquired_at). Two
//   callers can never both succeed: they insert the same `_id`, and the
//   unique index lets one in. Only inserts change hands, so this holds on
//   servers whose conditional updates are not atomic too (FerretDB v1 on
//   SQLite, its issue #3040).
// - renew() extends the caller's epoch and reports whether it is still the
//   latest; false means the lease was lost (taken over or cleared).
// - release() and clear() end an epoch only while it is the latest.
// - Reads (current, read) never create anything.
// - The collection also holds the run journal's claims (core/journal.h), one
//   document per started migration with `_id` "claim:<name>": claim()
//   inserts one and fails if that migration is claimed already. That stops
//   two lease holders, not a runner whose lease was taken over: claims are
//   deleted once moved, so JournalWriter::start also checks, after its claim,
//   that the lease is still its own (current()).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/journal.h"
#include "mongo/client.h"
#include "mongomigrate/report.h"

namespace mongomigrate::mongo {

// The lock collection: who holds the lease, and the journal of the claims.
struct LockState {
  std::optional<LeaseHolder> holder;
  // The latest epoch's number (0: none): it changes whenever the lease
  // changes hands, so two reads with the same epoch saw the same holder.
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

  // True if `holder` now holds the lease.
  Result<bool> try_acquire(const LeaseHolder& holder);
  // Extends our lease to `expires_at`; false if it is no longer ours.
  Result<bool> renew(const std::string& owner, TimestampMs expires_at);
  // Ends our lease (no-op if it is not ours).
  Result<void> release(const std::string& owner);
  // The lease alone (no claims): one find of the latest epoch.
  Result<std::optional<LeaseHolder>> current();
  // The lease and every claim, one query.
  Result<LockState> read();
  // Claims `running.name` for `owner` (the lease owner), carrying the
  // outcomes and events finished since its previous claim; false if that
  // migration is claimed already.
  Result<bool> claim(const std::string& owner, const core::LogRecord& running,
                     const std::vector<core::JournaledRecord>& done,
                     const std::vector<core::JournaledEvent>& events);
  // Deletes the claims of these migrations (once moved into the log).
  Result<void> delete_claims(const std::vector<std::string>& names);
  // Ends the lease whoever holds it, if it still is the one described by
  // `expected` (same owner); false if it changed meanwhile.
  Result<bool> clear(const LeaseHolder& expected);

 private:
  struct Epoch {
    std::int64_t number = 0;
    std::optional<LeaseHolder> holder;  // none: released
  };
  static Epoch epoch_from(const bson_t* doc);
  Result<std::optional<Epoch>> latest();
  // Inserts epoch `number`, held by `holder` or (null) released by
  // `released_by`; false if that epoch exists already.
  Result<bool> insert_epoch(std::int64_t number, const LeaseHolder* holder, const std::string& released_by,
                            const char* context);
  void prune_below(std::int64_t number);
  // Releases `owner`'s epoch if it is the latest; false if it is not.
  Result<bool> end_epoch(const std::string& owner, const char* context);

  Client& client_;
  std::string collection_;
};

}  // namespace mongomigrate::mongo
