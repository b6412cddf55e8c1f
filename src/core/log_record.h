// One document of the tracking log (`migrationlogs`), as the seed's Mongoose
// schema defines it plus our `running` status. Value type, no BSON.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "mongomigrate/report.h"

namespace mongomigrate::core {

struct LogRecord {
  std::string id;  // `_id` (ObjectId, hex; empty if it has none or another type)
  std::string name;
  std::string version;
  std::string status;  // 'applied' | 'failed' | 'reverted' | 'pending' | 'running' (or unknown text)
  std::optional<TimestampMs> applied_at;
  std::optional<TimestampMs> reverted_at;
  std::optional<std::int64_t> duration_ms;
  std::string error;
  std::string checksum;
  std::string applied_by;
  std::string reverted_by;
  // While `running`: the lease owner id of the runner that claimed it; a
  // `running` record whose owner is not the live lease's is interrupted.
  std::string lock_owner;
  // While `running`: the runner was running the migration's `down` (a
  // revert), not its `up`; the record was applied before.
  bool reverting = false;
  // Ours: incremented by every update this tool makes to the record (none
  // until the first). A claim filters on it as on `_id`, so a record
  // rewritten since it was read (claimed and failed again by another runner,
  // no owner left on it) is told apart from one that only looks the same.
  std::optional<std::int64_t> revision;
};

// Status words, exactly as written to the log.
inline constexpr const char* kStatusApplied = "applied";
inline constexpr const char* kStatusFailed = "failed";
inline constexpr const char* kStatusReverted = "reverted";
inline constexpr const char* kStatusPending = "pending";
inline constexpr const char* kStatusRunning = "running";

}  // namespace mongomigrate::core
