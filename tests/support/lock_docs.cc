#include "support/lock_docs.h"

#include <fmt/format.h>

#include <regex>
#include <vector>

namespace mongomigrate::testing {
namespace {

constexpr const char* kEpochs = R"({"_id": {"$gte": "lease:", "$lt": "lease;"}})";

std::int64_t epoch_ms(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

}  // namespace

std::string latest_lease(DbProbe& p) {
  std::vector<std::string> epochs = p.find(kLockCollection, kEpochs);  // in _id order: epoch order
  return epochs.empty() ? "" : epochs.back();
}

std::string latest_lease_field(DbProbe& p, const std::string& field) {
  std::string latest = latest_lease(p);
  std::smatch id;
  if (!std::regex_search(latest, id, std::regex(R"re("_id"\s*:\s*"(lease:\d+)")re"))) return "";
  return p.string_field(kLockCollection, fmt::format(R"({{"_id": "{}"}})", id[1].str()), field);
}

void insert_lease(DbProbe& p, const HandWrittenLease& lease) {
  std::int64_t next = 1;
  std::smatch number;
  std::string latest = latest_lease(p);
  if (std::regex_search(latest, number, std::regex(R"re("_id"\s*:\s*"lease:(\d+)")re"))) {
    next = std::stoll(number[1].str()) + 1;
  }
  p.insert(kLockCollection,
           fmt::format(R"({{"_id": "lease:{:012}", "epoch": {}, "owner": "{}", "host": "{}", "pid": {},
                "user": "{}", "acquiredAt": {{"$date": {{"$numberLong": "{}"}}}},
                "expiresAt": {{"$date": {{"$numberLong": "{}"}}}}}})",
                       next, next, lease.owner, lease.host, lease.pid, lease.user, epoch_ms(lease.acquired_at),
                       epoch_ms(lease.expires_at)));
  // As a runner does once its epoch is the latest: the older ones go.
  p.command(fmt::format(R"({{"delete": "{}", "deletes": [{{"q": {{"_id": {{"$gte": "lease:", "$lt": "lease:{:012}"}}}},
                            "limit": 0}}]}})",
                        kLockCollection, next));
}

std::int64_t lock_leftovers(DbProbe& p) {
  std::int64_t all = p.count(kLockCollection);
  bool free = std::regex_search(latest_lease(p), std::regex(R"re("released"\s*:\s*true)re"));
  return free ? all - 1 : all;
}

}  // namespace mongomigrate::testing
