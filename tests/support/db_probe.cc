#include "support/db_probe.h"

#include <mongoc/mongoc.h>

#include <algorithm>
#include <stdexcept>

#include "mongo/bson_handles.h"
#include "mongo/handles.h"
#include "support/file_checks.h"

namespace mongomigrate::testing {

using mongo::BsonString;
using mongo::OwnedBson;
using mongo::ScopedBson;

struct DbProbe::State {
  mongo::ClientPtr client;
  std::string database;
};

namespace {

OwnedBson parse(const std::string& json) {
  bson_error_t error;
  OwnedBson doc(bson_new_from_json(reinterpret_cast<const uint8_t*>(json.data()),
                                   static_cast<ssize_t>(json.size()), &error));
  if (!doc) throw std::runtime_error("bad JSON in test: " + json + ": " + error.message);
  return doc;
}

std::string to_json(const bson_t* doc) {
  BsonString s(bson_as_relaxed_extended_json(doc, nullptr));
  return s ? s.get() : "";
}

}  // namespace

DbProbe::DbProbe(const std::string& uri, const std::string& database) : state_(std::make_unique<State>()) {
  mongo::ensure_driver_initialized();
  state_->client.reset(mongoc_client_new(uri.c_str()));
  if (!state_->client) throw std::runtime_error("bad test URI " + uri);
  mongoc_client_set_error_api(state_->client.get(), MONGOC_ERROR_API_VERSION_2);
  state_->database = database;
}

DbProbe::~DbProbe() = default;

std::vector<std::string> DbProbe::collections() {
  mongo::DatabasePtr db(mongoc_client_get_database(state_->client.get(), state_->database.c_str()));
  bson_error_t error;
  char** names = mongoc_database_get_collection_names_with_opts(db.get(), nullptr, &error);
  if (!names) throw std::runtime_error(std::string("listCollections failed: ") + error.message);
  std::vector<std::string> out;
  for (char** n = names; *n; ++n) out.push_back(*n);
  bson_strfreev(names);
  return out;
}

bool DbProbe::has_collection(const std::string& name) {
  for (const std::string& c : collections()) {
    if (c == name) return true;
  }
  return false;
}

std::int64_t DbProbe::count(const std::string& collection, const std::string& filter_json) {
  mongo::CollectionPtr coll(
      mongoc_client_get_collection(state_->client.get(), state_->database.c_str(), collection.c_str()));
  OwnedBson filter = parse(filter_json);
  bson_error_t error;
  int64_t n = mongoc_collection_count_documents(coll.get(), filter.get(), nullptr, nullptr, nullptr, &error);
  if (n < 0) throw std::runtime_error(std::string("count failed: ") + error.message);
  return n;
}

std::vector<std::string> DbProbe::find(const std::string& collection, const std::string& filter_json) {
  mongo::CollectionPtr coll(
      mongoc_client_get_collection(state_->client.get(), state_->database.c_str(), collection.c_str()));
  OwnedBson filter = parse(filter_json);
  OwnedBson opts = parse(R"({"sort": {"_id": 1}})");
  mongo::CursorPtr cursor(mongoc_collection_find_with_opts(coll.get(), filter.get(), opts.get(), nullptr));
  std::vector<std::string> out;
  const bson_t* doc = nullptr;
  while (mongoc_cursor_next(cursor.get(), &doc)) out.push_back(to_json(doc));
  bson_error_t error;
  if (mongoc_cursor_error(cursor.get(), &error)) throw std::runtime_error(std::string("find failed: ") + error.message);
  return out;
}

std::vector<std::string> DbProbe::snapshot() {
  std::vector<std::string> all;
  std::vector<std::string> names = collections();
  std::sort(names.begin(), names.end());
  for (const std::string& c : names) {
    all.push_back("collection " + c);
    for (std::string& d : find(c)) all.push_back(std::move(d));
  }
  return all;
}

void DbProbe::insert(const std::string& collection, const std::string& document_json) {
  mongo::CollectionPtr coll(
      mongoc_client_get_collection(state_->client.get(), state_->database.c_str(), collection.c_str()));
  OwnedBson doc = parse(document_json);
  bson_error_t error;
  if (!mongoc_collection_insert_one(coll.get(), doc.get(), nullptr, nullptr, &error)) {
    throw std::runtime_error(std::string("insert failed: ") + error.message);
  }
}

void DbProbe::insert_all(const std::string& collection, const std::vector<std::string>& documents_json) {
  for (std::size_t start = 0; start < documents_json.size(); start += 500) {
    std::size_t end = std::min(documents_json.size(), start + 500);
    std::string insert = R"({"insert": ")" + collection + R"(", "documents": [)";
    for (std::size_t i = start; i < end; ++i) insert += (i > start ? "," : "") + documents_json[i];
    insert += "]}";
    Document reply = parse_document(command(insert));
    if (reply.integer("n") != static_cast<std::int64_t>(end - start) || reply.has("writeErrors")) {
      throw std::runtime_error("inserting into " + collection + " failed: " + reply.json());
    }
  }
}

std::string DbProbe::command(const std::string& command_json) {
  OwnedBson cmd = parse(command_json);
  ScopedBson reply;
  bson_destroy(reply.get());
  bson_error_t error;
  if (!mongoc_client_command_simple(state_->client.get(), state_->database.c_str(), cmd.get(), nullptr,
                                    reply.get(), &error)) {
    throw std::runtime_error(std::string("command failed: ") + error.message);
  }
  return to_json(reply.get());
}

std::vector<std::string> DbProbe::index_names(const std::string& collection) {
  mongo::CollectionPtr coll(
      mongoc_client_get_collection(state_->client.get(), state_->database.c_str(), collection.c_str()));
  mongo::CursorPtr cursor(mongoc_collection_find_indexes_with_opts(coll.get(), nullptr));
  std::vector<std::string> out;
  const bson_t* doc = nullptr;
  while (mongoc_cursor_next(cursor.get(), &doc)) {
    bson_iter_t it;
    if (bson_iter_init_find(&it, doc, "name") && BSON_ITER_HOLDS_UTF8(&it)) out.push_back(bson_iter_utf8(&it, nullptr));
  }
  return out;
}

std::string DbProbe::string_field(const std::string& collection, const std::string& filter_json,
                                  const std::string& field) {
  mongo::CollectionPtr coll(
      mongoc_client_get_collection(state_->client.get(), state_->database.c_str(), collection.c_str()));
  OwnedBson filter = parse(filter_json);
  mongo::CursorPtr cursor(mongoc_collection_find_with_opts(coll.get(), filter.get(), nullptr, nullptr));
  const bson_t* doc = nullptr;
  if (!mongoc_cursor_next(cursor.get(), &doc)) return "";
  bson_iter_t it;
  if (bson_iter_init_find(&it, doc, field.c_str()) && BSON_ITER_HOLDS_UTF8(&it)) return bson_iter_utf8(&it, nullptr);
  return "";
}

}  // namespace mongomigrate::testing
