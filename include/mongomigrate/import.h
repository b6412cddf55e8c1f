// Taking over a database that migrate-mongo or golang-migrate has been
// running (Migrator::import_from): their records are read, never written, and
// each migration they applied is recorded applied in mongo-migrate's log.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mongomigrate/report.h"

namespace mongomigrate {

enum class ImportSource {
  kMigrateMongo,   // its `changelog`: {fileName, appliedAt, migrationBlock?} per applied migration
  kGolangMigrate,  // its `schema_migrations`: one {version, dirty}
};

// "migrate-mongo" / "golang-migrate".
const char* to_string(ImportSource source);
// The collection each tool uses by default: "changelog" / "schema_migrations".
const char* default_source_collection(ImportSource source);
// Where each tool keeps its lock by default: migrate-mongo's lockCollectionName
// "changelog_lock" (a document while `up` runs, with lockTtl > 0) and
// golang-migrate's advisory lock "migrate_advisory_lock" ({locking_key: 0}
// while it runs; on by default since v4.15).
const char* default_source_lock_collection(ImportSource source);

struct ImportOptions {
  std::string source_collection;  // empty: default_source_collection()
  // The other tool's lock collection (empty: default_source_lock_collection()).
  // While it holds a document there the tool is running (or died holding it),
  // so import refuses with kLockTimeout, checked before and again under our lock.
  std::string source_lock_collection;
  // Records with no migration in the directory are listed and the import
  // refused (kBadInput) unless this is set; then they are skipped.
  bool allow_missing = false;
  bool dry_run = false;  // plan only: no lock, no write
  std::string by;        // who imports (the events' `by`); empty: "$USER@hostname"
  std::string reason;
};

struct ImportedMigration {
  std::string name;    // our migration (the file in --dir)
  std::string source;  // what the other tool recorded: its fileName, or "version N"
  // Kept from migrate-mongo; golang-migrate keeps none: the import's time
  // (none in a dry run).
  std::optional<TimestampMs> applied_at;
  std::optional<std::int64_t> migration_block;  // migrate-mongo's, when present
};

// A migration the other tool recorded applied that mongo-migrate's log
// records otherwise: `status` is the log's (failed, reverted, pending,
// running).
struct ImportDisagreement {
  std::string name;
  std::string status;
};

struct ImportReport {
  ImportSource source = ImportSource::kMigrateMongo;
  std::string source_collection;
  bool dry_run = false;
  // Recorded applied (a dry run: would be), in run order.
  std::vector<ImportedMigration> imported;
  // Already in mongo-migrate's log as applied: left as they are.
  std::vector<std::string> already_recorded;
  // In mongo-migrate's log but not as applied, though the other tool says
  // applied: left as they are, for a person to settle (the CLI exits 1).
  std::vector<ImportDisagreement> disagreements;
  // The other tool's records with no migration here (only with allow_missing).
  std::vector<std::string> missing;
  // golang-migrate's recorded version (nullopt for migrate-mongo; -1: none applied).
  std::optional<std::int64_t> version;
};

}  // namespace mongomigrate
