#include "mongo/log_bson.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <optional>

namespace mongomigrate::mongo {
namespace {

std::string utf8(const bson_iter_t& it) {
  if (!BSON_ITER_HOLDS_UTF8(&it)) return "";
  uint32_t len = 0;
  const char* s = bson_iter_utf8(&it, &len);
  return std::string(s, len);
}

// A whole number of an int32, an int64 or a double (truncated). A double
// with no such number (NaN, an infinity, past the int64 range: a hand edit)
// is none, not the undefined result of casting it.
std::optional<std::int64_t> number(const bson_iter_t& it) {
  if (BSON_ITER_HOLDS_DOUBLE(&it)) {
    double d = bson_iter_double(&it);
    constexpr double kLimit = 9.2e18;  // inside int64's ±9.22e18
    if (!std::isfinite(d) || d < -kLimit || d > kLimit) return std::nullopt;
    return static_cast<std::int64_t>(d);
  }
  if (BSON_ITER_HOLDS_INT32(&it) || BSON_ITER_HOLDS_INT64(&it)) return bson_iter_as_int64(&it);
  return std::nullopt;
}

std::optional<TimestampMs> date(const bson_iter_t& it) {
  if (BSON_ITER_HOLDS_DATE_TIME(&it)) return bson_iter_date_time(&it);
  return std::nullopt;
}

std::string object_id_hex(const bson_iter_t& it) {
  if (!BSON_ITER_HOLDS_OID(&it)) return "";
  char hex[25];
  bson_oid_to_string(bson_iter_oid(&it), hex);
  return hex;
}

}  // namespace

core::LogRecord record_from(const bson_t* doc) {
  core::LogRecord r;
  bson_iter_t it;
  if (!bson_iter_init(&it, doc)) return r;
  while (bson_iter_next(&it)) {
    std::string_view key = bson_iter_key(&it);
    if (key == "_id") r.id = object_id_hex(it);
    else if (key == "name") r.name = utf8(it);
    else if (key == "version") r.version = utf8(it);
    else if (key == "status") r.status = utf8(it);
    else if (key == "appliedAt") r.applied_at = date(it);
    else if (key == "revertedAt") r.reverted_at = date(it);
    else if (key == "duration") r.duration_ms = number(it);
    else if (key == "error") r.error = utf8(it);
    else if (key == "checksum") r.checksum = utf8(it);
    else if (key == "appliedBy") r.applied_by = utf8(it);
    else if (key == "revertedBy") r.reverted_by = utf8(it);
    else if (key == "lockOwner") r.lock_owner = utf8(it);
    else if (key == "reverting") r.reverting = BSON_ITER_HOLDS_BOOL(&it) && bson_iter_bool(&it);
    else if (key == "revision") r.revision = number(it);
  }
  return r;
}

HistoryEvent event_from(const bson_t* doc) {
  HistoryEvent e;
  bson_iter_t it;
  if (!bson_iter_init(&it, doc)) return e;
  while (bson_iter_next(&it)) {
    std::string_view key = bson_iter_key(&it);
    if (key == "name") e.name = utf8(it);
    else if (key == "action") e.action = utf8(it);
    else if (key == "at") e.at = date(it).value_or(0);
    else if (key == "by") e.by = utf8(it);
    else if (key == "duration") e.duration_ms = number(it);
    else if (key == "error") e.error = utf8(it);
    else if (key == "checksum") e.checksum = utf8(it);
    else if (key == "reason") e.reason = utf8(it);
    else if (key == "runner" && BSON_ITER_HOLDS_DOCUMENT(&it)) {
      bson_iter_t runner;
      if (!bson_iter_recurse(&it, &runner)) continue;
      while (bson_iter_next(&runner)) {
        std::string_view rk = bson_iter_key(&runner);
        if (rk == "host") e.host = utf8(runner);
        if (rk == "pid") e.pid = number(runner).value_or(0);
      }
    }
  }
  return e;
}

Doc event_fields(const HistoryEvent& e) {
  Doc doc{{"name", e.name}, {"action", e.action}, {"at", DateTime{e.at}}, {"by", e.by}};
  if (e.duration_ms) doc.emplace_back("duration", *e.duration_ms);
  for (const auto& [key, value] : {std::pair{"error", &e.error}, {"checksum", &e.checksum}, {"reason", &e.reason}}) {
    if (!value->empty()) doc.emplace_back(key, *value);
  }
  doc.emplace_back("runner", Doc{{"host", e.host}, {"pid", static_cast<std::int64_t>(e.pid)}});
  return doc;
}

std::optional<ObjectId> object_id(const std::string& hex) {
  if (hex.size() != 24 || !bson_oid_is_valid(hex.c_str(), hex.size())) return std::nullopt;
  bson_oid_t oid;
  bson_oid_init_from_string(&oid, hex.c_str());
  ObjectId id;
  std::copy(std::begin(oid.bytes), std::end(oid.bytes), id.bytes.begin());
  return id;
}

std::string new_object_id() {
  bson_oid_t oid;
  bson_oid_init(&oid, nullptr);
  char hex[25];
  bson_oid_to_string(&oid, hex);
  return hex;
}

Doc record_key(const std::string& id, const std::string& name) {
  if (auto oid = object_id(id)) return Doc{{"_id", *oid}};
  return Doc{{"name", name}};
}

}  // namespace mongomigrate::mongo
