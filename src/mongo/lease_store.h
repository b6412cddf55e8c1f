// The lease document in `<collection>_lock`: at most one runner holds it.
//
// Contract:
// - try_acquire() is atomic: it inserts the single lease document (unique
//   `_id`), or takes over an existing one only if it has expired (by the
//   server clock the caller passes). Two callers can never both succeed.
// - renew() and release() act only on a lease whose `owner` is the caller;
//   renew() reporting false means the lease was lost (taken over or cleared).
// - Reads (current) never create anything.
#pragma once

#include <optional>
#include <string>

#include "mongo/client.h"
#include "mongomigrate/report.h"

namespace mongomigrate::mongo {

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
  Result<std::optional<LeaseHolder>> current();
  // Deletes the lease whoever holds it, if it still is the one described by
  // `expected` (same owner); false if it changed meanwhile.
  Result<bool> clear(const LeaseHolder& expected);

 private:
  Client& client_;
  std::string collection_;
};

}  // namespace mongomigrate::mongo
