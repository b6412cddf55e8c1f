#include "mongo/log_bson.h"

#include <optional>

namespace mongomigrate::mongo {
namespace {

std::string utf8(const bson_iter_t& it) {
  if (!BSON_ITER_HOLDS_UTF8(&it)) return "";
  uint32_t len = 0;
  const char* s = bson_iter_utf8(&it, &len);
  return std::string(s, len);
}

std::optional<std::int64_t> number(const bson_iter_t& it) {
  if (BSON_ITER_HOLDS_NUMBER(&it)) return bson_iter_as_int64(&it);
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

void append_string(bson_t* doc, const char* key, const std::string& value) {
  BSON_APPEND_UTF8(doc, key, value.c_str());
}

void append_if_set(bson_t* doc, const char* key, const std::string& value) {
  if (!value.empty()) append_string(doc, key, value);
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

void append_record_fields(bson_t* doc, const core::LogRecord& r) {
  append_string(doc, "name", r.name);
  append_if_set(doc, "version", r.version);
  append_if_set(doc, "status", r.status);
  if (r.applied_at) BSON_APPEND_DATE_TIME(doc, "appliedAt", *r.applied_at);
  if (r.reverted_at) BSON_APPEND_DATE_TIME(doc, "revertedAt", *r.reverted_at);
  if (r.duration_ms) BSON_APPEND_INT64(doc, "duration", *r.duration_ms);
  append_if_set(doc, "error", r.error);
  append_if_set(doc, "checksum", r.checksum);
  append_if_set(doc, "appliedBy", r.applied_by);
  append_if_set(doc, "revertedBy", r.reverted_by);
  append_if_set(doc, "lockOwner", r.lock_owner);
  if (r.reverting) BSON_APPEND_BOOL(doc, "reverting", true);
}

void append_event_fields(bson_t* doc, const HistoryEvent& e) {
  append_string(doc, "name", e.name);
  append_string(doc, "action", e.action);
  BSON_APPEND_DATE_TIME(doc, "at", e.at);
  append_string(doc, "by", e.by);
  if (e.duration_ms) BSON_APPEND_INT64(doc, "duration", *e.duration_ms);
  append_if_set(doc, "error", e.error);
  append_if_set(doc, "checksum", e.checksum);
  append_if_set(doc, "reason", e.reason);
  bson_t runner;
  BSON_APPEND_DOCUMENT_BEGIN(doc, "runner", &runner);
  append_string(&runner, "host", e.host);
  BSON_APPEND_INT64(&runner, "pid", e.pid);
  bson_append_document_end(doc, &runner);
}

bool append_object_id(bson_t* doc, const std::string& hex) {
  if (!bson_oid_is_valid(hex.c_str(), hex.size()) || hex.size() != 24) return false;
  bson_oid_t oid;
  bson_oid_init_from_string(&oid, hex.c_str());
  return BSON_APPEND_OID(doc, "_id", &oid);
}

std::string new_object_id() {
  bson_oid_t oid;
  bson_oid_init(&oid, nullptr);
  char hex[25];
  bson_oid_to_string(&oid, hex);
  return hex;
}

}  // namespace mongomigrate::mongo
