// The lease document in `<collection>_lock`: at most one runner holds it.
//
// Contract:
// - try_acquire() is atomic: it inserts the single lease document (unique
//   `_id`), or takes over an existing one only if it has expired (by the
//   server clock the caller passes). Two callers can never both succeed on
//   a server whose updates are atomic; FerretDB v1 on SQLite's are not (its
//   issue #3040), so there a takeover can race a renewal (README, "Not yet").
// - renew() and release() act only on a lease whose `owner` is the caller;
//   renew() reporting false means the lease was lost (taken over or cleared).
// - Reads (current, read) never create anything.
// - The collection also holds the run journal's claims (core/journal.h), one
//   document per started migration with `_id` "claim:<name>": claim()
//   inserts one and fails if that migration is claimed already. That stops
//   two lease holders, not a runner whose lease was taken over: claims are
//   deleted once moved, so JournalWriter::start also checks, after its claim,
//   that the lease is still its own (current()).
#pragma once

#include <optional>
#include <string>

#include "core/journal.h"
#include "mongo/client.h"
#include "mongomigrate/report.h"

namespace mongomigrate::mongo {

// The lock collection: who holds the lease, and the journal of the claims.
struct LockState {
  std::optional<LeaseHolder> holder;
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
  // Deletes our lease (no-op if it is not ours).
  Result<void> release(const std::string& owner);
  // The lease alone (no claims): one find by `_id`.
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
  // Deletes the lease whoever holds it, if it still is the one described by
  // `expected` (same owner); false if it changed meanwhile.
  Result<bool> clear(const LeaseHolder& expected);

 private:
  // An update of the lease document filtered on `owner`; false if not ours.
  Result<bool> update_ours(const std::string& owner, const bson_t* update, const char* context);

  Client& client_;
  std::string collection_;
};

}  // namespace mongomigrate::mongo
