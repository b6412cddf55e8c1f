#include "support/memory_migrator.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/recovery_plan.h"
#include "migrator_impl.h"
#include "mongo/value_bson.h"
#include "source/json_migration.h"

namespace mongomigrate::testing {

Result<std::vector<core::LogRecord>> MemoryLogStore::load() {
  std::lock_guard lock(mutex_);
  return records_;
}

Result<std::optional<core::LogRecord>> MemoryLogStore::find(const std::string& name) {
  std::lock_guard lock(mutex_);
  for (const core::LogRecord& r : records_) {
    if (r.name == name) return std::optional<core::LogRecord>(r);
  }
  return std::optional<core::LogRecord>();
}

core::LogRecord* MemoryLogStore::by_id(const std::string& id) {
  for (core::LogRecord& r : records_) {
    if (r.id == id) return &r;
  }
  return nullptr;
}

Result<store::Claim> MemoryLogStore::claim(const std::string& name, const store::ClaimRequest& request,
                                           const Change& change, const std::string& context) {
  std::lock_guard lock(mutex_);
  ++record_writes_;
  if (request.seen) {
    core::LogRecord* r = by_id(request.seen->id);
    if (r == nullptr || r->status != request.seen->status || r->lock_owner != request.seen->lock_owner ||
        r->revision != request.seen->revision) {
      return std::unexpected(Error{ErrorKind::kRefused, context + ": its record was changed by another runner"});
    }
    change(*r);
    r->revision = r->revision.value_or(0) + 1;
    claimed_.push_back(name);
    return store::Claim{.name = name, .id = r->id, .owner = request.owner};
  }
  if (std::ranges::any_of(records_, [&](const core::LogRecord& r) { return r.name == name; })) {
    return std::unexpected(Error{ErrorKind::kRefused, context + ": another runner got there first"});
  }
  core::LogRecord r{.id = fmt::format("{:024x}", next_id_++), .name = name};
  change(r);
  records_.push_back(r);
  claimed_.push_back(name);
  return store::Claim{.name = name, .id = r.id, .owner = request.owner};
}

Result<void> MemoryLogStore::fenced(const store::Claim& claim, const Change& change, const std::string& context) {
  std::lock_guard lock(mutex_);
  ++record_writes_;
  core::LogRecord* r = by_id(claim.id);
  if (r == nullptr || r->lock_owner != claim.owner) {
    return std::unexpected(Error{ErrorKind::kLockLost, context + ": the record is no longer this runner's"});
  }
  change(*r);
  r->revision = r->revision.value_or(0) + 1;
  return {};
}

Result<store::Claim> MemoryLogStore::claim_run(const core::Migration& m, const store::ClaimRequest& request) {
  if (!request.seen) {  // the caller's own earlier claim, landed late
    std::lock_guard lock(mutex_);
    for (const core::LogRecord& r : records_) {
      if (r.name == m.name && r.status == core::kStatusRunning && r.lock_owner == request.owner) {
        return store::Claim{.name = m.name, .id = r.id, .owner = request.owner};
      }
    }
  }
  return claim(
      m.name, request,
      [&](core::LogRecord& r) {
        r.version = m.version;
        r.status = core::kStatusRunning;
        r.checksum = m.checksum;
        r.applied_by = request.by;
        r.lock_owner = request.owner;
        r.reverting = false;
      },
      "cannot start " + m.name);
}

Result<void> MemoryLogStore::finish_applied(const core::Migration& m, const store::Claim& claim, const std::string& by,
                                            TimestampMs applied_at, std::int64_t duration_ms) {
  return fenced(
      claim,
      [&](core::LogRecord& r) {
        r.status = core::kStatusApplied;
        r.applied_at = applied_at;
        r.duration_ms = duration_ms;
        r.checksum = m.checksum;
        r.applied_by = by;
        r.error.clear();
        r.reverted_at.reset();
        r.reverted_by.clear();
        r.lock_owner.clear();
        r.reverting = false;
        // As the MongoDB store: a finished batch run needs no checkpoint.
        if (m.compiled) checkpoints_.erase(m.name);
      },
      "cannot record " + m.name + " as applied");
}

Result<void> MemoryLogStore::finish_failed(const core::Migration& m, const store::Claim& claim,
                                           const std::string& error, std::int64_t duration_ms) {
  return fenced(
      claim,
      [&](core::LogRecord& r) {
        r.status = core::kStatusFailed;
        r.error = error;
        r.duration_ms = duration_ms;
        r.lock_owner.clear();
        r.reverting = false;
      },
      "cannot record " + m.name + " as failed");
}

Result<store::Claim> MemoryLogStore::claim_revert(const core::Migration& m, const store::ClaimRequest& request) {
  if (!request.seen) return std::unexpected(Error{ErrorKind::kRefused, "cannot revert " + m.name + ": no record"});
  return claim(
      m.name, request,
      [&](core::LogRecord& r) {
        r.status = core::kStatusRunning;
        r.reverting = true;
        r.lock_owner = request.owner;
        r.error.clear();
        if (m.compiled) checkpoints_.erase(m.name);
      },
      "cannot start reverting " + m.name);
}

Result<void> MemoryLogStore::finish_reverted(const core::Migration& m, const store::Claim& claim,
                                             const std::string& by, TimestampMs reverted_at) {
  return fenced(
      claim,
      [&](core::LogRecord& r) {
        r.status = core::kStatusReverted;
        r.reverted_at = reverted_at;
        r.reverted_by = by;
        r.error.clear();
        r.lock_owner.clear();
        r.reverting = false;
      },
      "cannot record " + m.name + " as reverted");
}

Result<void> MemoryLogStore::note_revert_failed(const core::Migration& m, const store::Claim& claim,
                                                const std::string& error) {
  return fenced(
      claim,
      [&](core::LogRecord& r) {
        r.error = "revert failed: " + error;
        r.lock_owner.clear();
      },
      "cannot record the failed revert of " + m.name);
}

Result<void> MemoryLogStore::release_claim(const store::Claim& claim, const store::ClaimRequest& request) {
  std::lock_guard lock(mutex_);
  core::LogRecord* r = by_id(claim.id);
  if (r == nullptr || r->lock_owner != claim.owner) {
    return std::unexpected(Error{ErrorKind::kLockLost, "cannot give back the claim of " + claim.name});
  }
  if (!request.seen) {
    std::erase_if(records_, [&](const core::LogRecord& x) { return x.id == claim.id; });
    return {};
  }
  const core::LogRecord& seen = *request.seen;
  r->status = seen.status;
  r->version = seen.version;
  r->checksum = seen.checksum;
  r->applied_by = seen.applied_by;
  r->error = seen.error;
  r->lock_owner = seen.lock_owner;
  r->reverting = seen.reverting;
  r->revision = seen.revision;
  return {};
}

Result<void> MemoryLogStore::set_status(const std::string& name, const core::Migration* m, const std::string& status,
                                        TimestampMs at, const store::ClaimRequest& request) {
  if (before_set_status) before_set_status(name);
  auto claimed = claim(
      name, request,
      [&](core::LogRecord& r) {
        bool was_applied = r.status == core::kStatusApplied;
        r.status = status;
        if (m) r.version = m->version;
        if (status == core::kStatusApplied) {
          if (!was_applied) {
            r.applied_at = at;
            r.applied_by = request.by;
          }
          if (m) r.checksum = m->checksum;
          r.reverted_at.reset();
          r.reverted_by.clear();
        } else if (status == core::kStatusPending) {
          r.applied_at.reset();
          r.applied_by.clear();
          r.duration_ms.reset();
          r.checksum.clear();
          r.reverted_at.reset();
          r.reverted_by.clear();
        } else if (status == core::kStatusReverted) {
          r.reverted_at = at;
          r.reverted_by = request.by;
        }
        r.error.clear();
        r.lock_owner.clear();
        r.reverting = false;
      },
      fmt::format("cannot mark {} {}", name, status));
  if (!claimed) return std::unexpected(claimed.error());
  {
    std::lock_guard lock(mutex_);
    checkpoints_.erase(name);  // as the MongoDB store: a run after a mark starts over
  }
  if (after_set_status) after_set_status(name);
  return {};
}

Result<void> MemoryLogStore::ensure_indexes() {
  std::lock_guard lock(mutex_);
  auto duplicates = core::find_duplicates(records_);
  if (duplicates.empty()) return {};
  return std::unexpected(Error{ErrorKind::kRefused, core::duplicates_problem(duplicates, "migrationlogs")});
}

store::LogStore::InsertedApplied MemoryLogStore::insert_applied(std::span<const core::Migration* const> migrations,
                                                               TimestampMs at, const std::string& by) {
  std::lock_guard lock(mutex_);
  ++record_writes_;
  InsertedApplied result;
  std::size_t& written = result.written;
  for (const core::Migration* m : migrations) {
    if (std::ranges::any_of(records_, [&](const core::LogRecord& r) { return r.name == m->name; })) break;
    if (insert_applied_error) {
      if ((result.error = insert_applied_error(m->name))) break;
    }
    records_.push_back(core::LogRecord{.id = fmt::format("{:024x}", next_id_++), .name = m->name,
                                       .version = m->version, .status = core::kStatusApplied, .applied_at = at,
                                       .checksum = m->checksum, .applied_by = by});
    ++written;
  }
  if (after_insert_applied) after_insert_applied();
  return result;
}

Result<void> MemoryLogStore::append_events(std::span<const HistoryEvent> events) {
  std::lock_guard lock(mutex_);
  events_.insert(events_.end(), events.begin(), events.end());
  return {};
}

Result<void> MemoryLogStore::set_metadata(const store::Claim& claim, const std::string& key, const Value& value) {
  return fenced(
      claim,
      [&](core::LogRecord&) {
        // Only the checkpoint is read back (load_checkpoint); the other keys
        // (batch totals) are written and never read.
        if (key != "checkpoint") return;
        if (value.is_null()) {
          checkpoints_.erase(claim.name);  // cleared: none to resume
        } else {
          checkpoints_[claim.name] = mongo::to_document(mongo::to_bson(value).get());
        }
      },
      "cannot record the progress of " + claim.name);
}

Result<std::optional<Document>> MemoryLogStore::load_checkpoint(const std::string& name) {
  std::lock_guard lock(mutex_);
  auto found = checkpoints_.find(name);
  if (found == checkpoints_.end()) return std::optional<Document>();
  return std::optional<Document>(found->second);
}

Result<void> MemoryLogStore::append_event(const HistoryEvent& event) {
  std::lock_guard lock(mutex_);
  events_.push_back(event);
  return {};
}

Result<std::vector<HistoryEvent>> MemoryLogStore::history(int limit) {
  std::lock_guard lock(mutex_);
  std::vector<HistoryEvent> newest_first(events_.rbegin(), events_.rend());
  if (newest_first.size() > static_cast<std::size_t>(limit)) newest_first.resize(static_cast<std::size_t>(limit));
  return newest_first;
}

core::LogRecord MemoryLogStore::record(const std::string& name) const {
  std::lock_guard lock(mutex_);
  for (const core::LogRecord& r : records_) {
    if (r.name == name) return r;
  }
  return core::LogRecord{.name = name};
}

std::vector<HistoryEvent> MemoryLogStore::events() const {
  std::lock_guard lock(mutex_);
  return events_;
}

void MemoryLogStore::put(core::LogRecord record) {
  std::lock_guard lock(mutex_);
  if (record.id.empty()) record.id = fmt::format("{:024x}", next_id_++);
  std::erase_if(records_, [&](const core::LogRecord& r) { return r.name == record.name; });
  records_.push_back(std::move(record));
}

std::vector<std::string> MemoryLogStore::claimed() const {
  std::lock_guard lock(mutex_);
  return claimed_;
}

int MemoryLogStore::record_writes() const {
  std::lock_guard lock(mutex_);
  return record_writes_;
}

Result<void> RecordingTarget::run_migration_command(const core::Command& command) {
  std::string json = source::command_json(command);
  if (on_command) on_command(json);
  std::lock_guard lock(mutex_);
  commands_.push_back(json);
  if (json.find("\"fail\"") != std::string::npos) {
    return std::unexpected(Error{ErrorKind::kMigrationFailed, "command failed: told to fail"});
  }
  return {};
}

Result<std::unique_ptr<store::BodyContext>> RecordingTarget::open_context(store::ContextRequest request) {
  return std::unexpected(
      Error{ErrorKind::kDatabase, request.migration.name + " is a C++ migration: the in-memory target cannot run it"});
}

std::vector<std::string> RecordingTarget::commands() const {
  std::lock_guard lock(mutex_);
  return commands_;
}

}  // namespace mongomigrate::testing

namespace mongomigrate {

Migrator MigratorTesting::make(MigratorOptions options, testing::MemoryDatabase& db) {
  Seams seams{.log = db.log,
              .lock = std::make_shared<testing::MemoryLockStore>(db.lock),
              .target = db.target,
              .open_lock = [lock = db.lock]() -> Result<std::unique_ptr<store::LockStore>> {
                return std::make_unique<testing::MemoryLockStore>(lock);
              }};
  auto read = [](const auto& collections, const std::string& name) -> Result<typename std::decay_t<
                                                                      decltype(collections)>::mapped_type> {
    auto found = collections.find(name);
    if (found == collections.end()) return std::unexpected(Error{ErrorKind::kBadInput, "no collection " + name});
    return found->second;
  };
  seams.read_migrate_mongo = [&db, read](const std::string& name) { return read(db.migrate_mongo, name); };
  seams.read_golang_migrate = [&db, read](const std::string& name) { return read(db.golang_migrate, name); };
  seams.foreign_lock_holder = [&db](ImportSource, const std::string& name) -> Result<std::optional<std::string>> {
    if (db.before_foreign_lock_check) db.before_foreign_lock_check();
    auto found = db.foreign_locks.find(name);
    if (found == db.foreign_locks.end()) return std::nullopt;
    return found->second;
  };
  seams.open_events = db.open_events;
  if (db.max_command_bytes) {
    seams.max_command_bytes = [limit = *db.max_command_bytes]() -> Result<std::size_t> { return limit; };
  }
  return Migrator(std::make_unique<Migrator::Impl>(std::move(options), std::move(seams)));
}

}  // namespace mongomigrate
