// Writes that may have landed without a clear answer (MongoLogStore, see
// mongo/log_store.h): giving a claim back (the record as it was before a
// migration that did not start was claimed, fenced on the claimer's owner
// id like every write of a claim), and telling from the record whether a
// fenced write whose reply was lost was applied.
#include <fmt/format.h>

#include <algorithm>
#include <variant>

#include "mongo/log_bson.h"
#include "mongo/log_store.h"
#include "mongo/value_bson.h"

namespace mongomigrate::mongo {

Result<void> MongoLogStore::release_claim(const store::Claim& claim, const store::ClaimRequest& request) {
  std::string context = fmt::format("cannot give back the claim of {}", claim.name);
  if (!request.seen) {
    // The claim inserted the record: delete it, if it is still ours.
    Doc owned = record_key(claim.id, claim.name);
    owned.emplace_back("lockOwner", claim.owner);
    auto deleted = client_.delete_one(collection_, to_bson(owned).get(), write_concern_.get(), context);
    if (!deleted) return std::unexpected(deleted.error());
    if (*deleted == 0) {
      return std::unexpected(Error{ErrorKind::kLockLost, context + ": the record is no longer this runner's"});
    }
    return {};
  }
  const core::LogRecord& seen = *request.seen;
  LogUpdate change;
  auto restore = [&](const char* field, const std::string& value) {
    if (value.empty()) {
      change.unset.push_back(field);
    } else {
      change.set.emplace_back(field, value);
    }
  };
  restore("status", seen.status);
  restore("version", seen.version);
  restore("checksum", seen.checksum);
  restore("appliedBy", seen.applied_by);
  restore("error", seen.error);
  restore("lockOwner", seen.lock_owner);
  if (seen.reverting) {
    change.set.emplace_back("reverting", true);
  } else {
    change.unset.push_back("reverting");
  }
  // As read, so a claim made from that read (an operator's `mark`) still
  // finds it: nothing was done in between.
  if (seen.revision) {
    change.set.emplace_back("revision", *seen.revision);
  } else {
    change.unset.push_back("revision");
  }
  return fenced_update(claim, change, context);
}

Error MongoLogStore::give_back_unknown(const store::Claim& claim, const store::ClaimRequest& request,
                                       Error failure) {
  auto back = release_claim(claim, request);
  if (back || back.error().kind == ErrorKind::kLockLost) {  // given back, or there was nothing of ours
    failure.message += fmt::format("; {} was not started, and no claim of this runner's is left on its record",
                                   claim.name);
  } else {
    // The give-back may have landed unconfirmed too: say what holds either way.
    failure.message += fmt::format("; {} was not started, and giving its claim back got no clear answer either "
                                   "({}): if its record says running, nothing of it ran (`run {}` starts it)",
                                   claim.name, back.error().message, claim.name);
  }
  return failure;
}

MongoLogStore::Landed MongoLogStore::wrote(const store::Claim& claim, const LogUpdate& change) {
  auto status = std::ranges::find(change.set, std::string("status"), &Doc::value_type::first);
  const auto* value = status == change.set.end() ? nullptr : std::get_if<std::string>(&status->second.variant());
  if (!value) return Landed::kUnknown;
  auto record = find(claim.name);
  if (!record) return Landed::kUnknown;
  // Only this runner writes the record while its claim holds: once the
  // record is out of its hands with the status this write sets, this write
  // did it.
  const std::optional<core::LogRecord>& r = *record;
  bool landed = r && r->id == claim.id && r->status == *value && r->lock_owner != claim.owner;
  return landed ? Landed::kYes : Landed::kNo;
}

}  // namespace mongomigrate::mongo
