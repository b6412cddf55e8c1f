// The migration lock on MongoDB: one lease document in `<collection>_lock`,
// `{_id: "lease", owner, host, pid, user, acquiredAt, expiresAt}`, the model
// of Mongock's lock. Implements store/lock_store.h (whose contract holds
// here) with single-document writes, which MongoDB makes atomic:
// - try_acquire: insert the document (a duplicate `_id` means it is held),
//   else one update filtered on {_id, expiresAt < now} that takes over an
//   expired lease; of several racing for it, one update matches.
// - renew: an update filtered on {_id, owner}; nothing matched = lost.
// - release, clear: a delete filtered on {_id, owner}.
// - now: the server's clock (`hello.localTime`, see Client::server_now).
// A lease document without a string `owner` and a date `expiresAt`, or any
// other document in the collection, is of an unknown shape: it is reported by
// read(), never taken over, and deleted only by clear_unknown().
// Writes use majority write concern.
#pragma once

#include <memory>
#include <string>

#include "mongo/client.h"
#include "store/lock_store.h"

namespace mongomigrate::mongo {

class MongoLockStore final : public store::LockStore {
 public:
  // Uses `client` (which must outlive the store) and `collection`.
  MongoLockStore(Client& client, std::string collection);
  // Owns its client: for a thread of its own (a mongoc client is
  // single-threaded), such as the lease's renewer.
  MongoLockStore(std::unique_ptr<Client> client, std::string collection);

  Result<bool> try_acquire(const LeaseHolder& holder) override;
  Result<bool> renew(const LeaseHolder& holder, TimestampMs expires_at) override;
  Result<bool> holds(const LeaseHolder& holder) override;
  Result<void> release(const LeaseHolder& holder) override;
  Result<store::LockState> read() override;
  Result<bool> clear(const LeaseHolder& expected) override;
  Result<void> clear_unknown() override;
  Result<TimestampMs> now() override;

  const std::string& collection() const { return collection_; }

 private:
  // Deletes the lease if its owner is `owner`; whether it did.
  Result<bool> delete_lease(const std::string& owner, const char* context);
  // The error of a lease write (`context`); if it may have landed all the
  // same (may_have_landed: no reply, or applied but not confirmed), after
  // deleting the lease if it is `holder`'s, so that other runners do not
  // wait for a lock nobody holds; the message then says which.
  Error give_back_unknown(const LeaseHolder& holder, const char* context, const bson_error_t& error);

  std::unique_ptr<Client> owned_;
  Client& client_;
  std::string collection_;
  WriteConcernPtr write_concern_;
};

// A lock store with a connection of its own to `uri`.
Result<std::unique_ptr<store::LockStore>> open_lock_store(const std::string& uri, const std::string& database,
                                                          const std::string& collection);

}  // namespace mongomigrate::mongo
