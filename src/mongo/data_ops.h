// The database operations C++ migrations use (through mongo/migration_context.h):
// commands built from Values, typed helpers, a batch cursor and unordered
// bulk writes. Failures the server reports are kMigrationFailed; lost
// connections are kDatabase.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mongo/client.h"
#include "mongomigrate/migration.h"

namespace mongomigrate::mongo {

Result<Document> run_value_command(Client& client, const Value& command);
Result<UpdateResult> update_many(Client& client, std::string_view collection, const Value& filter,
                                 const Value& update);
Result<std::int64_t> insert_many(Client& client, std::string_view collection, const std::vector<Value>& documents);
Result<std::int64_t> count_documents(Client& client, std::string_view collection, const Value& filter);

struct BulkResult {
  std::int64_t matched = 0;
  std::int64_t modified = 0;
  std::int64_t inserted = 0;
  std::int64_t deleted = 0;
  std::int64_t upserted = 0;
};
// One unordered bulk write; an invalid write (e.g. an update without
// operators) is kMigrationFailed naming its index, before anything is sent.
Result<BulkResult> bulk_write(Client& client, std::string_view collection, const std::vector<WriteOp>& writes);

// Streams a query's documents in `_id` order, `batch_size` at a time.
class BatchCursor {
 public:
  // `after_id`: resume strictly after this _id (nullopt: from the start; a
  // null _id is an _id like any other).
  static Result<std::unique_ptr<BatchCursor>> open(Client& client, const BatchQuery& query,
                                                   const std::optional<Value>& after_id);
  ~BatchCursor();
  // The next batch (empty at the end).
  Result<std::vector<Document>> next();

  struct State;
  explicit BatchCursor(std::unique_ptr<State> state);

 private:
  std::unique_ptr<State> state_;
};

}  // namespace mongomigrate::mongo
