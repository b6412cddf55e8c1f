// Reading another migration tool's tracking collection, never writing it:
// migrate-mongo's changelog and golang-migrate's schema_migrations (what
// `import` takes over), and a look at one document of any collection (how
// the log store tells another tool's records from ours).
//
// The formats, checked against the tools' sources:
// - migrate-mongo 14.0.7, lib/actions/up.js: after each migration,
//   changelog.insertOne({fileName, appliedAt: new Date(), migrationBlock})
//   (migrationBlock = Date.now() of the run, a Number, so a double; with
//   useFileHash also fileHash). seppevs/migrate-mongo before 10 (e.g.
//   lib/actions/up.js at c39833c) wrote {fileName, appliedAt} only.
// - golang-migrate v4, database/mongodb/mongodb.go: SetVersion drops
//   schema_migrations and inserts bson.M{"version": version, "dirty": dirty}
//   (a Go int: int32 when it fits, else int64); Version() reads one
//   document, none meaning NilVersion (-1).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/import_plan.h"
#include "mongo/client.h"

namespace mongomigrate::mongo {

class ForeignLogReader {
 public:
  // `client` must outlive the reader.
  explicit ForeignLogReader(Client& client) : client_(client) {}

  // Every document of `collection`, as read (a field of the wrong type is
  // the record's `defect`). kBadInput when the collection does not exist or
  // holds nothing; kDatabase when the server fails.
  Result<std::vector<core::MigrateMongoRecord>> read_migrate_mongo(const std::string& collection);
  Result<std::vector<core::GolangMigrateRecord>> read_golang_migrate(const std::string& collection);
  // Who holds the tool's lock in `lock_collection`, as a phrase ("since
  // 2026-12-05T01:00:00.000Z", with pid and host for golang-migrate), or
  // nullopt when it holds none (no document, or no such collection).
  // migrate-mongo: any document is its lock; golang-migrate: {locking_key: 0}.
  Result<std::optional<std::string>> lock_holder(ImportSource source, const std::string& lock_collection);

 private:
  Result<void> check_exists(ImportSource source, const std::string& collection);
  Client& client_;
};

// The fields of one document of `collection` (whichever the server returns
// first); nullopt when it has none. One query.
Result<std::optional<core::LogShape>> sample_shape(Client& client, const std::string& collection);

}  // namespace mongomigrate::mongo
