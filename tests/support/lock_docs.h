// The lock collection as tests see it directly: its one lease document
// (mongo/lock_store.h) and whatever else is in it.
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

// The lease document as relaxed JSON ("" if there is none).
std::string lease_document(DbProbe& p);
// Field `field` (a string) of the lease document ("" if none or absent).
std::string lease_field(DbProbe& p, const std::string& field);
// Makes `lease` the lease document, whatever was there: as a runner taking
// the lease (over) does.
void write_lease(DbProbe& p, const HandWrittenLease& lease);
// Documents in the lock collection: 0 once every runner has released the lock.
std::int64_t lock_leftovers(DbProbe& p);

}  // namespace mongomigrate::testing
