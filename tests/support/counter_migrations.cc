#include "support/counter_migrations.h"

#include <bson/bson.h>
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include <fmt/format.h>

#include "support/lock_docs.h"

namespace mongomigrate::testing {

using namespace std::chrono_literals;

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return condition();
}

bool caught(const std::function<bool()>& moment, const std::function<bool()>& finished,
            std::chrono::milliseconds timeout) {
  bool seen = false;
  wait_until([&] { return (seen = moment()) || finished(); }, timeout);
  return seen;
}

mongo::OwnedBson parse_json(const std::string& text) {
  bson_error_t error;
  return mongo::OwnedBson(
      bson_new_from_json(reinterpret_cast<const uint8_t*>(text.data()), static_cast<ssize_t>(text.size()), &error));
}

std::optional<std::int64_t> number_in(const std::string& json, const char* field) {
  mongo::OwnedBson doc = parse_json(json);
  bson_iter_t it;
  if (!doc || !bson_iter_init_find(&it, doc.get(), field) || !BSON_ITER_HOLDS_NUMBER(&it)) return std::nullopt;
  return bson_iter_as_int64(&it);
}

std::string counter_id(int n) { return fmt::format("m{:03}", n); }

std::string migration_name(int n) { return fmt::format("{:03}-step.json", n); }

std::string counter_command(int n) {
  return fmt::format(R"({{"update": "counters", "updates": [{{"q": {{"_id": "{}"}}, "u": {{"$inc": {{"n": 1}}}}, )"
                     R"("upsert": true}}]}})",
                     counter_id(n));
}

std::string counter_migration(int n) { return R"({"up": [)" + counter_command(n) + "]}"; }

std::string revertible_counter_migration(int n) {
  return fmt::format(R"({{"up": [{}], "down": [{{"delete": "counters", "deletes": [{{"q": {{"_id": "{}"}}, )"
                     R"("limit": 1}}]}}]}})",
                     counter_command(n), counter_id(n));
}

std::string slow_migration(int n, int commands, int docs) {
  std::string up = "[";
  for (int c = 0; c < commands; ++c) {
    std::string documents;
    for (int d = 0; d < docs; ++d) documents += fmt::format("{}{{\"m\":{},\"c\":{},\"d\":{}}}", d ? "," : "", n, c, d);
    up += fmt::format(R"({{"insert": "bulk", "documents": [{}]}},)", documents);
  }
  up += counter_command(n) + "]";
  return R"({"description": "slow inserts, then the counter", "up": )" + up + "}";
}

std::string insert_migration(const std::string& id) {
  return fmt::format(R"({{"up": [{{"insert": "things", "documents": [{{"_id": "{}"}}]}}],
                         "down": [{{"delete": "things", "deletes": [{{"q": {{"_id": "{}"}}, "limit": 1}}]}}]}})",
                     id, id);
}

std::int64_t counter(DbProbe& p, int n) {
  std::vector<std::string> docs = p.find("counters", R"({"_id": ")" + counter_id(n) + R"("})");
  if (docs.empty()) return 0;
  return number_in(docs.front(), "n").value_or(-1);
}

std::string log_status(DbProbe& p, const std::string& name) {
  return p.string_field("migrationlogs", R"({"name": ")" + name + R"("})", "status");
}

void steal_lease(DbProbe& p) {
  // As the runner taking it over would, for one lease period of the tests'
  // short leases.
  write_lease(p, {.owner = "thief:1:feedface", .host = "thief-host", .pid = 99999, .user = "thief",
                   .acquired_at = std::chrono::system_clock::now(),
                   .expires_at = std::chrono::system_clock::now() + 2s});
}

}  // namespace mongomigrate::testing
