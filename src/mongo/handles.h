// RAII owners for libmongoc/libbson handles. Every handle this project creates
// is held by one of these from the line that creates it.
#pragma once

#include <mongoc/mongoc.h>

#include <memory>

#include "mongo/bson_handles.h"

namespace mongomigrate::mongo {

struct UriDeleter {
  void operator()(mongoc_uri_t* p) const { mongoc_uri_destroy(p); }
};
// A client popped from a pool goes back to it; any other is destroyed.
struct ClientDeleter {
  mongoc_client_pool_t* pool = nullptr;
  void operator()(mongoc_client_t* p) const {
    if (pool) {
      mongoc_client_pool_push(pool, p);
    } else {
      mongoc_client_destroy(p);
    }
  }
};
struct ClientPoolDeleter {
  void operator()(mongoc_client_pool_t* p) const { mongoc_client_pool_destroy(p); }
};
struct DatabaseDeleter {
  void operator()(mongoc_database_t* p) const { mongoc_database_destroy(p); }
};
struct CollectionDeleter {
  void operator()(mongoc_collection_t* p) const { mongoc_collection_destroy(p); }
};
struct CursorDeleter {
  void operator()(mongoc_cursor_t* p) const { mongoc_cursor_destroy(p); }
};
struct WriteConcernDeleter {
  void operator()(mongoc_write_concern_t* p) const { mongoc_write_concern_destroy(p); }
};

struct BulkDeleter {
  void operator()(mongoc_bulk_operation_t* b) const { mongoc_bulk_operation_destroy(b); }
};

using UriPtr = std::unique_ptr<mongoc_uri_t, UriDeleter>;
using ClientPtr = std::unique_ptr<mongoc_client_t, ClientDeleter>;
using ClientPoolPtr = std::unique_ptr<mongoc_client_pool_t, ClientPoolDeleter>;
using DatabasePtr = std::unique_ptr<mongoc_database_t, DatabaseDeleter>;
using CollectionPtr = std::unique_ptr<mongoc_collection_t, CollectionDeleter>;
using CursorPtr = std::unique_ptr<mongoc_cursor_t, CursorDeleter>;
using WriteConcernPtr = std::unique_ptr<mongoc_write_concern_t, WriteConcernDeleter>;
using BulkPtr = std::unique_ptr<mongoc_bulk_operation_t, BulkDeleter>;

// Calls mongoc_init() once per process, and mongoc_cleanup() at exit.
void ensure_driver_initialized();

}  // namespace mongomigrate::mongo
