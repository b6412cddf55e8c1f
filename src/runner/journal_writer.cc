#include "runner/journal_writer.h"

#include <unordered_set>
#include <utility>

#include <fmt/format.h>

#include "mongo/log_bson.h"
#include "runner/lease_keeper.h"

namespace mongomigrate::runner {

Result<void> move_into_log(mongo::TrackingStore& store, const core::Journal& journal) {
  if (journal.empty()) return {};
  if (auto r = store.insert_journaled(journal.done); !r) return r;
  std::unordered_set<std::string_view> finished;
  for (const core::JournaledRecord& entry : journal.done) finished.insert(entry.record.name);
  for (const core::LogRecord& started : journal.started) {
    if (finished.contains(started.name)) continue;
    if (auto r = store.note_running(started, started.lock_owner); !r) return r;
  }
  return store.insert_journaled_events(journal.events);
}

Result<void> recover_claims(mongo::TrackingStore& store, mongo::LeaseStore& leases, const core::Journal& journal) {
  if (journal.empty()) return {};
  if (auto r = store.ensure_indexes(); !r) return r;
  if (auto r = move_into_log(store, journal); !r) return r;
  std::vector<mongo::LeaseStore::ClaimKey> claims;
  for (const core::LogRecord& started : journal.started) claims.push_back({started.name, started.lock_owner});
  return leases.delete_claims(claims);
}

JournalWriter::JournalWriter(mongo::TrackingStore& store, mongo::LeaseStore& leases, LeaseHolder lease)
    : store_(store), leases_(leases), lease_(std::move(lease)), owner_(lease_.owner) {}

JournalWriter::~JournalWriter() { (void)flush(); }

Result<void> JournalWriter::start(const core::LogRecord& running) {
  std::vector<core::JournaledRecord> done(unmoved_.done.end() - unclaimed_, unmoved_.done.end());
  std::vector<core::JournaledEvent> events(unmoved_.events.end() - unclaimed_, unmoved_.events.end());
  auto claimed = leases_.claim(owner_, running, done, events);
  if (!claimed) return std::unexpected(claimed.error());
  if (!*claimed) {
    return std::unexpected(Error{ErrorKind::kRefused,
                                 fmt::format("{} is being run by another runner (it holds a claim on it in the lock "
                                             "collection); see `status`",
                                             running.name)});
  }
  unclaimed_ = 0;
  claimed_.push_back(running.name);
  // The unique claim stops another holder of the lease, but not one that
  // took the lease over from us before our claim landed (we were paused
  // past its expiry): it recovered the claims there were, may have run this
  // very migration since and deleted its claim. A claim that landed while
  // the lease was ours is seen by any later takeover, so one read now
  // settles it. (If the new holder has already read our claim, it shows the
  // migration as interrupted, though it never ran here; flush() deletes the
  // claim.)
  if (auto ours = check_lease(); !ours) return ours;
  running_ = running;
  return {};
}

Result<void> JournalWriter::check_lease() {
  auto ours = leases_.holds(lease_);
  if (!ours) return std::unexpected(ours.error());
  if (*ours) return {};
  // Lost: say to whom, if anyone (one more read, on this rare path only).
  auto holder = leases_.current();
  if (!holder) {
    return std::unexpected(Error{ErrorKind::kLockLost, "the lease is no longer ours (reading who holds it failed: " +
                                                           holder.error().message + ")"});
  }
  if (!*holder || (*holder)->owner == owner_) {
    return std::unexpected(Error{ErrorKind::kLockLost, "the lease was cleared"});
  }
  return std::unexpected(Error{ErrorKind::kLockLost, fmt::format("taken over by {}", describe_holder(**holder))});
}

Result<void> JournalWriter::finish(core::LogRecord outcome, HistoryEvent event) {
  running_.reset();
  if (unmoved_.done.empty()) oldest_outcome_ = std::chrono::steady_clock::now();
  unmoved_.done.push_back({mongo::new_object_id(), std::move(outcome), owner_});
  unmoved_.events.push_back({mongo::new_object_id(), std::move(event)});
  ++unclaimed_;
  if (unmoved_.done.size() >= kFlushEvery || std::chrono::steady_clock::now() - oldest_outcome_ >= kFlushAfter) {
    return flush();
  }
  return {};
}

Result<void> JournalWriter::flush() {
  if (claimed_.empty() && unmoved_.empty()) return {};
  core::Journal journal = unmoved_;
  if (running_) {
    core::LogRecord started = *running_;
    started.lock_owner = owner_;
    journal.started.push_back(std::move(started));
  }
  if (auto moved = move_into_log(store_, journal); !moved) return moved;
  unmoved_ = core::Journal{};
  unclaimed_ = 0;
  running_.reset();
  std::vector<mongo::LeaseStore::ClaimKey> ours;
  for (const std::string& name : claimed_) ours.push_back({name, owner_});
  if (auto deleted = leases_.delete_claims(ours); !deleted) return deleted;
  claimed_.clear();
  return {};
}

}  // namespace mongomigrate::runner
