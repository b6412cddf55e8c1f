// Pure planning of an import from migrate-mongo or golang-migrate (DESIGN.md
// §4, `import`): their records in, the migrations to record applied out, or
// the refusal that says what is wrong. No I/O; unit-tested without a server.
// Reading their collections is mongo/foreign_log.h; writing our log is the
// Migrator's (migrator_import.cc).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/log_record.h"
#include "core/planner.h"
#include "mongomigrate/error.h"
#include "mongomigrate/import.h"

namespace mongomigrate::core {

// One document of migrate-mongo's changelog as read. migrate-mongo 14 writes
// {_id, fileName, appliedAt: Date, migrationBlock: Number} (and fileHash with
// useFileHash); older versions had no migrationBlock. `defect` says which
// field is missing or of the wrong type ("" when the record is readable).
struct MigrateMongoRecord {
  std::string file_name;
  std::optional<TimestampMs> applied_at;
  std::optional<std::int64_t> migration_block;
  std::string defect;
};

// The one document golang-migrate v4's mongodb driver keeps in
// schema_migrations: {version: int, dirty: bool}. `defect` as above.
struct GolangMigrateRecord {
  std::optional<std::int64_t> version;
  bool dirty = false;
  std::string defect;
};

// What an import will record: the report (imported, already recorded,
// missing), and the migration behind each `report.imported` entry.
struct ImportPlan {
  ImportReport report;
  std::vector<const Migration*> migrations;  // parallel to report.imported
};

// Every record of migrate-mongo's matches the migration of the same stem
// (`20240101120000-add-x.js` -> `20240101120000-add-x.json` or `.cc`).
// Refused (kBadInput), listing the culprits: no records; a record whose
// fileName is not a usable file name or whose appliedAt is not a date; a
// fileName recorded twice; a stem that two migrations share; records with no
// migration (unless `allow_missing`: then listed in `report.missing`).
Result<ImportPlan> plan_migrate_mongo_import(const Catalog& catalog, const std::vector<LogRecord>& log,
                                             const std::vector<MigrateMongoRecord>& records,
                                             const std::string& collection, bool allow_missing);

// Every migration whose version (the leading number of its name) is at or
// below golang-migrate's recorded one is recorded applied; version -1 (none
// applied) records nothing. Refused (kBadInput): not exactly one record, an
// unreadable or negative (below -1) version, a dirty state (naming the
// version), two migrations of the same version, and a recorded version with
// no migration of that number (unless `allow_missing`).
Result<ImportPlan> plan_golang_migrate_import(const Catalog& catalog, const std::vector<LogRecord>& log,
                                              const std::vector<GolangMigrateRecord>& records,
                                              const std::string& collection, bool allow_missing);

// golang-migrate's own migration files among a directory's entry names
// (`N_name.up.json`, `N_name.down.json`), sorted, and for each pair the file
// of ours it becomes (`N_name.json`, scripts/merge-golang-migrate.py).
struct GolangMigrateFiles {
  std::vector<std::string> found;
  std::vector<std::string> to_write;
};
GolangMigrateFiles golang_migrate_files(const std::vector<std::string>& names);

// The number a name starts with ("001-x.json" -> 1, "20240101120000_y" ->
// 20240101120000); nullopt if it starts with no digit or the number does not
// fit in 63 bits.
std::optional<std::int64_t> leading_number(std::string_view name);

// A file name without its last extension ("a.b.js" -> "a.b"); "" if it has
// none (no dot after its first character).
std::string_view file_stem(std::string_view file_name);

// Which fields a tracking collection's documents have (one document looked
// at): enough to tell another tool's records from ours.
struct LogShape {
  bool name = false;
  bool file_name = false;
  bool applied_at = false;
  bool version = false;
  bool dirty = false;
};
// The tool whose records these are: no `name` but migrate-mongo's
// (fileName, appliedAt) or golang-migrate's (version, dirty) fields.
std::optional<ImportSource> foreign_log_source(const LogShape& shape);
// The refusal for a --collection holding another tool's records, naming
// the import command to run instead.
Error foreign_log_error(ImportSource source, const std::string& collection);

}  // namespace mongomigrate::core
