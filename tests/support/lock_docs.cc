#include "support/lock_docs.h"

#include <fmt/format.h>

#include <vector>

namespace mongomigrate::testing {
namespace {

constexpr const char* kLease = R"({"_id": "lease"})";

std::int64_t epoch_ms(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

}  // namespace

std::string lease_document(DbProbe& p) {
  std::vector<std::string> docs = p.find(kLockCollection, kLease);
  return docs.empty() ? "" : docs.front();
}

std::string lease_field(DbProbe& p, const std::string& field) { return p.string_field(kLockCollection, kLease, field); }

void write_lease(DbProbe& p, const HandWrittenLease& lease) {
  p.command(fmt::format(R"({{"delete": "{}", "deletes": [{{"q": {}, "limit": 1}}]}})", kLockCollection, kLease));
  p.insert(kLockCollection,
           fmt::format(R"({{"_id": "lease", "owner": "{}", "host": "{}", "pid": {}, "user": "{}",
                "acquiredAt": {{"$date": {{"$numberLong": "{}"}}}},
                "expiresAt": {{"$date": {{"$numberLong": "{}"}}}}}})",
                       lease.owner, lease.host, lease.pid, lease.user, epoch_ms(lease.acquired_at),
                       epoch_ms(lease.expires_at)));
}

std::int64_t lock_leftovers(DbProbe& p) { return p.count(kLockCollection); }

}  // namespace mongomigrate::testing
