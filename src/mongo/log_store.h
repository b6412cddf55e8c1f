// The tracking log on MongoDB: `<collection>` and `<collection>_events`.
// Implements store/log_store.h, whose contract holds here, with
// single-document writes (atomic on MongoDB) and majority write concern:
// - a claim is an insert (the unique index "name_1" refuses a second record
//   of the same name) or one update filtered on the record as read: its
//   `_id`, status and lockOwner;
// - an outcome, a checkpoint and the other fenced writes are one update
//   filtered on the claimed `_id` and lockOwner;
// - an event is one insert.
// Field names, types and status words are the seed's (DESIGN.md §3).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mongo/client.h"
#include "mongomigrate/value.h"
#include "store/log_store.h"

namespace mongomigrate::mongo {

// A change of a record: fields to set, fields to remove.
struct LogUpdate {
  Doc set;
  std::vector<std::string> unset;
  // {$set: set, $unset: {field: ""...}}, each left out when empty, and
  // {$inc: {revision: 1}} (core::LogRecord::revision) unless `set` or
  // `unset` names it (a give-back restores it).
  Doc document() const;
};

class MongoLogStore final : public store::LogStore {
 public:
  MongoLogStore(Client& client, std::string collection);
  // With a connection of its own.
  MongoLogStore(std::unique_ptr<Client> client, std::string collection);

  const std::string& collection() const { return collection_; }
  std::string events_collection() const { return collection_ + "_events"; }

  // One look at one document, the first time only (store/log_store.h).
  Result<void> check_ours() override;
  Result<std::vector<core::LogRecord>> load() override;
  Result<std::optional<core::LogRecord>> find(const std::string& name) override;
  Result<void> ensure_indexes() override;

  Result<store::Claim> claim_run(const core::Migration& migration, const store::ClaimRequest& request) override;
  Result<void> finish_applied(const core::Migration& migration, const store::Claim& claim, const std::string& by,
                              TimestampMs applied_at, std::int64_t duration_ms) override;
  Result<void> finish_failed(const core::Migration& migration, const store::Claim& claim, const std::string& error,
                             std::int64_t duration_ms) override;
  // One ordered `update` command of two upserts (log_store_batch.cc).
  Result<Result<store::Claim>> finish_applied_and_claim_run(const core::Migration& migration,
                                                            const store::Claim& claim, const std::string& by,
                                                            TimestampMs applied_at, std::int64_t duration_ms,
                                                            const core::Migration& next,
                                                            const store::ClaimRequest& next_request) override;
  Result<store::Claim> claim_revert(const core::Migration& migration, const store::ClaimRequest& request) override;
  Result<void> finish_reverted(const core::Migration& migration, const store::Claim& claim, const std::string& by,
                               TimestampMs reverted_at) override;
  Result<void> note_revert_failed(const core::Migration& migration, const store::Claim& claim,
                                  const std::string& error) override;
  Result<void> release_claim(const store::Claim& claim, const store::ClaimRequest& request) override;
  Result<void> set_status(const std::string& name, const core::Migration* migration, const std::string& status,
                          TimestampMs at, const store::ClaimRequest& request) override;
  InsertedApplied insert_applied(std::span<const core::Migration* const> migrations, TimestampMs at,
                                 const std::string& by) override;
  Result<void> set_metadata(const store::Claim& claim, const std::string& key, const Value& value) override;
  Result<std::optional<Document>> load_checkpoint(const std::string& name) override;
  Result<void> append_event(const HistoryEvent& event) override;
  Result<void> append_events(std::span<const HistoryEvent> events) override;
  Result<std::vector<HistoryEvent>> history(int limit) override;

 private:
  // update_one(filter, update): how many documents it matched. On an error,
  // `failure` (if given) gets the driver's, to tell whether the update may
  // have been applied all the same (may_have_landed, reply_lost).
  Result<std::int64_t> update(const bson_t* filter, const bson_t* update, const std::string& context,
                              bson_error_t* failure = nullptr);
  // The claim: `change` applied to the record request.seen, only if it is
  // still as seen; or, if none was seen, a new record of `name` with the
  // `change.set` fields.
  // kGiveBack (a claim that takes the record for this runner: run, revert):
  // if its write fails but may have landed (may_have_landed), the claim is
  // given back (give_back_unknown).
  enum class OnUnknown { kKeep, kGiveBack };
  Result<store::Claim> claim(const std::string& name, const store::ClaimRequest& request, const LogUpdate& change,
                             const std::string& context, OnUnknown on_unknown = OnUnknown::kKeep);
  // `failure`, of a claim's write that may have landed (no reply: a lost
  // connection; or a write concern error: applied, not confirmed), after
  // giving `claim` back, so that a migration that never started does not
  // show interrupted; the message says what the log holds.
  Error give_back_unknown(const store::Claim& claim, const store::ClaimRequest& request, Error failure);
  // A write fenced by `claim`: kLockLost if the record is no longer its. A
  // reply lost on the way back (reply_lost) is answered by sending the write
  // again, and, if that matches nothing, by reading the record (wrote());
  // when the record cannot tell, the lost reply's error is returned.
  Result<void> fenced_update(const store::Claim& claim, const LogUpdate& change, const std::string& context);
  // Whether the record shows `change`, fenced by `claim`, applied: kYes if
  // it has the status `change` sets and is no longer the claim's, kNo if it
  // has not, kUnknown if `change` sets no status (nothing to tell it by) or
  // the record cannot be read.
  enum class Landed { kYes, kNo, kUnknown };
  Landed wrote(const store::Claim& claim, const LogUpdate& change);
  // What claim_run() and finish_applied() write.
  static LogUpdate run_claim_change(const core::Migration& m, const store::ClaimRequest& request);
  static LogUpdate applied_change(const core::Migration& m, const std::string& by, TimestampMs applied_at,
                                  std::int64_t duration_ms);
  // kLockLost: a fenced write found the record no longer the runner's.
  static Error not_ours(const std::string& context);
  // kRefused: a claim's insert met another runner's record of that name.
  static Error got_there_first(const std::string& context);

  std::unique_ptr<Client> owned_;
  Client& client_;
  std::string collection_;
  WriteConcernPtr write_concern_;
  bool checked_ours_ = false;
};

}  // namespace mongomigrate::mongo
