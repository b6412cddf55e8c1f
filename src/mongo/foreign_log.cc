#include "mongo/foreign_log.h"

#include <fmt/format.h>

#include <cmath>

#include "core/names.h"
#include "core/time_format.h"
#include "mongo/value_bson.h"

namespace mongomigrate::mongo {
namespace {

// A whole number held as int32, int64 or an integral double (a Node.js
// Number); nullopt for anything else.
std::optional<std::int64_t> whole_number(const bson_iter_t& it) {
  if (BSON_ITER_HOLDS_INT32(&it) || BSON_ITER_HOLDS_INT64(&it)) return bson_iter_as_int64(&it);
  if (BSON_ITER_HOLDS_DOUBLE(&it)) {
    double d = bson_iter_double(&it);
    if (std::isfinite(d) && std::trunc(d) == d && std::fabs(d) < 9.2e18) return static_cast<std::int64_t>(d);
  }
  return std::nullopt;
}

core::MigrateMongoRecord migrate_mongo_record(const bson_t* doc) {
  core::MigrateMongoRecord r;
  bson_iter_t it;
  if (!bson_iter_init_find(&it, doc, "fileName")) {
    r.defect = "fileName is missing";
  } else if (!BSON_ITER_HOLDS_UTF8(&it)) {
    r.defect = "fileName is not a string";
  } else {
    std::uint32_t len = 0;
    const char* s = bson_iter_utf8(&it, &len);
    r.file_name.assign(s, len);
  }
  if (bson_iter_init_find(&it, doc, "appliedAt") && BSON_ITER_HOLDS_DATE_TIME(&it)) {
    r.applied_at = bson_iter_date_time(&it);
  }
  if (bson_iter_init_find(&it, doc, "migrationBlock") && !BSON_ITER_HOLDS_NULL(&it)) {
    r.migration_block = whole_number(it);
    if (!r.migration_block && r.defect.empty()) r.defect = "migrationBlock is not a whole number";
  }
  return r;
}

core::GolangMigrateRecord golang_migrate_record(const bson_t* doc) {
  core::GolangMigrateRecord r;
  bson_iter_t it;
  if (!bson_iter_init_find(&it, doc, "version")) {
    r.defect = "version is missing";
  } else if (r.version = whole_number(it); !r.version) {
    r.defect = "version is not an integer";
  }
  if (!bson_iter_init_find(&it, doc, "dirty") || !BSON_ITER_HOLDS_BOOL(&it)) {
    if (r.defect.empty()) r.defect = "dirty is missing or not a boolean";
  } else {
    r.dirty = bson_iter_bool(&it);
  }
  return r;
}

// Every document of `collection` through `convert`; kBadInput if none.
template <class Record, class Convert>
Result<std::vector<Record>> read_all(Client& client, ImportSource source, const std::string& collection,
                                     Convert convert) {
  CollectionPtr coll = client.open_collection(collection);
  ScopedBson filter;
  CursorPtr cursor(mongoc_collection_find_with_opts(coll.get(), filter.get(), nullptr, nullptr));
  std::vector<Record> records;
  const bson_t* doc = nullptr;
  while (mongoc_cursor_next(cursor.get(), &doc)) records.push_back(convert(doc));
  bson_error_t error;
  if (mongoc_cursor_error(cursor.get(), &error)) {
    return std::unexpected(client.error_from(
        error, ErrorKind::kDatabase, fmt::format("cannot read {}'s collection \"{}\"", to_string(source), collection)));
  }
  if (records.empty()) {
    return std::unexpected(Error{ErrorKind::kBadInput,
                                 fmt::format("{}'s collection \"{}\" in database {} is empty: nothing to import",
                                             to_string(source), core::printable(collection),
                                             core::printable(client.database()))});
  }
  return records;
}

}  // namespace

Result<void> ForeignLogReader::check_exists(ImportSource source, const std::string& collection) {
  // Every name, compared here: Amazon DocumentDB does not take listCollections'
  // filter, and authorizedCollections lets a user without the
  // listCollections privilege see the collections it may read.
  DatabasePtr database = client_.open_database();
  OwnedBson opts = to_bson(Doc{{"nameOnly", true}, {"authorizedCollections", true}});
  CursorPtr cursor(mongoc_database_find_collections_with_opts(database.get(), opts.get()));
  const bson_t* doc = nullptr;
  bool found = false;
  while (!found && mongoc_cursor_next(cursor.get(), &doc)) {
    bson_iter_t it;
    if (!bson_iter_init_find(&it, doc, "name") || !BSON_ITER_HOLDS_UTF8(&it)) continue;
    uint32_t length = 0;
    const char* name = bson_iter_utf8(&it, &length);
    found = std::string_view(name, length) == collection;
  }
  bson_error_t error;
  if (!found && mongoc_cursor_error(cursor.get(), &error)) {
    return std::unexpected(client_.error_from(
        error, ErrorKind::kDatabase,
        fmt::format("cannot list the collections of database {}", core::printable(client_.database()))));
  }
  if (found) return {};
  return std::unexpected(Error{
      ErrorKind::kBadInput,
      fmt::format("database {} has no collection \"{}\" for {}'s records (name it with {})",
                  core::printable(client_.database()), core::printable(collection), to_string(source),
                  source == ImportSource::kMigrateMongo ? "--changelog" : "--table")});
}

Result<std::vector<core::MigrateMongoRecord>> ForeignLogReader::read_migrate_mongo(const std::string& collection) {
  if (auto r = check_exists(ImportSource::kMigrateMongo, collection); !r) return std::unexpected(r.error());
  return read_all<core::MigrateMongoRecord>(client_, ImportSource::kMigrateMongo, collection, migrate_mongo_record);
}

Result<std::vector<core::GolangMigrateRecord>> ForeignLogReader::read_golang_migrate(const std::string& collection) {
  if (auto r = check_exists(ImportSource::kGolangMigrate, collection); !r) return std::unexpected(r.error());
  return read_all<core::GolangMigrateRecord>(client_, ImportSource::kGolangMigrate, collection,
                                             golang_migrate_record);
}

Result<std::optional<std::string>> ForeignLogReader::lock_holder(ImportSource source,
                                                                 const std::string& lock_collection) {
  CollectionPtr coll = client_.open_collection(lock_collection);
  Doc by_key;
  if (source == ImportSource::kGolangMigrate) by_key = {{"locking_key", 0}};
  OwnedBson filter = to_bson(by_key);
  OwnedBson opts = to_bson(Doc{{"limit", 1LL}});
  CursorPtr cursor(mongoc_collection_find_with_opts(coll.get(), filter.get(), opts.get(), nullptr));
  const bson_t* doc = nullptr;
  std::optional<std::string> holder;
  if (mongoc_cursor_next(cursor.get(), &doc)) {
    bson_iter_t it;
    std::string since = "(no time recorded)";
    const char* time_field = source == ImportSource::kGolangMigrate ? "created_at" : "createdAt";
    if (bson_iter_init_find(&it, doc, time_field) && BSON_ITER_HOLDS_DATE_TIME(&it)) {
      since = "since " + core::iso8601(bson_iter_date_time(&it));
    }
    std::string who;
    if (bson_iter_init_find(&it, doc, "pid") && whole_number(it)) who = fmt::format("pid {}", *whole_number(it));
    if (bson_iter_init_find(&it, doc, "hostname") && BSON_ITER_HOLDS_UTF8(&it)) {
      who += fmt::format("{}on {}", who.empty() ? "" : " ", core::printable(bson_iter_utf8(&it, nullptr)));
    }
    holder = who.empty() ? since : fmt::format("{} {}", who, since);
  }
  bson_error_t error;
  if (mongoc_cursor_error(cursor.get(), &error)) {
    return std::unexpected(client_.error_from(
        error, ErrorKind::kDatabase, fmt::format("cannot read {}'s lock collection \"{}\"", to_string(source),
                                                 core::printable(lock_collection))));
  }
  return holder;
}

Result<std::optional<core::LogShape>> sample_shape(Client& client, const std::string& collection) {
  CollectionPtr coll = client.open_collection(collection);
  ScopedBson filter;
  OwnedBson opts = to_bson(Doc{
      {"projection", Doc{{"name", 1}, {"fileName", 1}, {"appliedAt", 1}, {"version", 1}, {"dirty", 1}}},
      {"limit", 1LL}});
  CursorPtr cursor(mongoc_collection_find_with_opts(coll.get(), filter.get(), opts.get(), nullptr));
  const bson_t* doc = nullptr;
  std::optional<core::LogShape> shape;
  if (mongoc_cursor_next(cursor.get(), &doc)) {
    bson_iter_t it;
    shape = core::LogShape{.name = bson_iter_init_find(&it, doc, "name"),
                           .file_name = bson_iter_init_find(&it, doc, "fileName"),
                           .applied_at = bson_iter_init_find(&it, doc, "appliedAt"),
                           .version = bson_iter_init_find(&it, doc, "version"),
                           .dirty = bson_iter_init_find(&it, doc, "dirty")};
  }
  bson_error_t error;
  if (mongoc_cursor_error(cursor.get(), &error)) {
    return std::unexpected(client.error_from(error, ErrorKind::kDatabase,
                                             fmt::format("cannot read the tracking log \"{}\"", collection)));
  }
  return shape;
}

}  // namespace mongomigrate::mongo
