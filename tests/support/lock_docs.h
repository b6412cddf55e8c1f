// The lock collection as tests see it directly: the lease's epochs
// (mongo/lease_store.h) and what else is left in it.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "support/db_probe.h"

namespace mongomigrate::testing {

inline constexpr const char* kLockCollection = "migrationlogs_lock";

// A lease as another runner would hold it.
struct HandWrittenLease {
  std::string owner = "elsewhere:4242:0badc0de";
  std::string host = "elsewhere";
  std::int64_t pid = 4242;
  std::string user = "ops@elsewhere";
  std::chrono::system_clock::time_point acquired_at = std::chrono::system_clock::now() - std::chrono::hours(1);
  std::chrono::system_clock::time_point expires_at = std::chrono::system_clock::now() + std::chrono::hours(1);
};

// The latest epoch's document as relaxed JSON ("" if there is none).
std::string latest_lease(DbProbe& p);
// Field `field` (a string) of the latest epoch ("" if none or absent).
std::string latest_lease_field(DbProbe& p, const std::string& field);
// Inserts `lease` as the next epoch and deletes the older ones: as a runner
// taking the lease (over) does.
void insert_lease(DbProbe& p, const HandWrittenLease& lease);
// Documents in the lock collection but the latest epoch if it says the lease
// is free (`released`): 0 once every runner has released the lock, moved
// its claims and pruned the epochs before.
std::int64_t lock_leftovers(DbProbe& p);

}  // namespace mongomigrate::testing
