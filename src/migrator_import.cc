// `import`: taking over a database migrate-mongo or golang-migrate ran. The
// plan is pure (core/import_plan.h) and made twice, as `up` does: from a
// read before the lock (a dry run, or nothing to record, ends there, having
// written nothing) and again from a fresh read under it. Each migration is
// then recorded applied by a claim of its absent record (an insert the
// unique index on `name` lets one runner make), as baseline does, and one
// "imported" event. The other tool's collection is only read.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <filesystem>
#include <system_error>

#include "core/names.h"
#include "core/time_format.h"
#include "migrator_impl.h"

namespace mongomigrate {
namespace {

// The names of the directory's entries (none if it cannot be listed: the
// catalog reports that).
std::vector<std::string> entry_names(const std::string& directory) {
  std::vector<std::string> names;
  std::error_code error;
  for (std::filesystem::directory_iterator it(directory, error), end; !error && it != end; it.increment(error)) {
    names.push_back(it->path().filename().string());
  }
  return names;
}

// golang-migrate's up/down pairs are not migrations of ours: say which files
// to write instead (before the catalog, which would refuse them as invalid).
Result<void> refuse_golang_migrate_files(const std::string& directory) {
  core::GolangMigrateFiles files = core::golang_migrate_files(entry_names(directory));
  if (files.found.empty()) return {};
  std::vector<std::string> shown;
  for (std::size_t i = 0; i < files.to_write.size() && i < 5; ++i) shown.push_back(core::printable(files.to_write[i]));
  return std::unexpected(bad_input(fmt::format(
      "{} holds {} golang-migrate file(s) (N_name.up.json / .down.json), which are not mongo-migrate migrations: "
      "merge each pair into one file ({}{}) with scripts/merge-golang-migrate.py (docs/migrating.md), then import "
      "again; nothing was imported",
      core::printable(directory), files.found.size(), fmt::join(shown, ", "),
      files.to_write.size() > shown.size() ? fmt::format(" and {} more", files.to_write.size() - shown.size())
                                           : "")));
}

// What the event says about where the record came from.
std::string import_reason(const ImportOptions& options, const ImportReport& report, const ImportedMigration& m) {
  std::string detail = report.source == ImportSource::kMigrateMongo
                           ? fmt::format("from migrate-mongo's {}: {}", report.source_collection, m.source)
                           : fmt::format("from golang-migrate's {} at version {}: {}", report.source_collection,
                                         report.version.value_or(-1), m.source);
  if (m.migration_block) detail += fmt::format(", migrationBlock {}", *m.migration_block);
  return options.reason.empty() ? detail : fmt::format("{} ({})", options.reason, detail);
}

}  // namespace

Result<ImportReport> Migrator::import_from(ImportSource source, const ImportOptions& options) {
  const std::string collection =
      options.source_collection.empty() ? default_source_collection(source) : options.source_collection;
  if (std::string problem = core::collection_name_problem(collection); !problem.empty()) {
    return std::unexpected(Error{ErrorKind::kUsage, problem});
  }
  if (collection == impl_->options.collection) {
    return std::unexpected(Error{ErrorKind::kUsage, fmt::format(
        "{} names mongo-migrate's own log \"{}\": import reads {}'s collection into it, so the two must differ",
        source == ImportSource::kMigrateMongo ? "--changelog" : "--table", core::printable(collection),
        to_string(source))});
  }
  const std::string lock_collection = options.source_lock_collection.empty()
                                         ? default_source_lock_collection(source)
                                         : options.source_lock_collection;
  if (std::string problem = core::collection_name_problem(lock_collection); !problem.empty()) {
    return std::unexpected(Error{ErrorKind::kUsage, problem});
  }
  const Seams& seams = impl_->seams;
  if (!seams.read_migrate_mongo || !seams.read_golang_migrate || !seams.foreign_lock_holder) {
    return std::unexpected(Error{ErrorKind::kUsage, "import needs a MongoDB server"});
  }
  if (source == ImportSource::kGolangMigrate) {
    if (auto r = refuse_golang_migrate_files(impl_->options.directory); !r) return std::unexpected(r.error());
  }
  auto loaded = impl_->catalog_and_log(/*with_lock=*/false);
  if (!loaded) return std::unexpected(loaded.error());

  // Their records, read while their tool holds no lock of its own: once
  // before ours, and again under ours, in case it ran in between.
  std::vector<core::MigrateMongoRecord> mm_records;
  std::vector<core::GolangMigrateRecord> gm_records;
  auto read_theirs = [&]() -> Result<void> {
    auto holder = seams.foreign_lock_holder(source, lock_collection);
    if (!holder) return std::unexpected(holder.error());
    if (*holder) {
      return std::unexpected(Error{
          ErrorKind::kLockTimeout,
          fmt::format("{} is running on database {}: its lock collection \"{}\" holds a lock ({}); wait for it "
                      "to finish (if it died, delete that document), then import again; nothing was imported",
                      to_string(source), core::printable(impl_->database), core::printable(lock_collection),
                      **holder)});
    }
    if (source == ImportSource::kMigrateMongo) {
      auto read = seams.read_migrate_mongo(collection);
      if (!read) return std::unexpected(read.error());
      mm_records = std::move(*read);
    } else {
      auto read = seams.read_golang_migrate(collection);
      if (!read) return std::unexpected(read.error());
      gm_records = std::move(*read);
    }
    return {};
  };
  if (auto r = read_theirs(); !r) return std::unexpected(r.error());
  const core::Catalog& catalog = loaded->catalog;
  auto plan_for = [&](const std::vector<core::LogRecord>& log) {
    return source == ImportSource::kMigrateMongo
               ? core::plan_migrate_mongo_import(catalog, log, mm_records, collection, options.allow_missing)
               : core::plan_golang_migrate_import(catalog, log, gm_records, collection, options.allow_missing);
  };
  auto plan = plan_for(loaded->records);
  if (!plan) return std::unexpected(plan.error());
  plan->report.dry_run = options.dry_run;
  if (options.dry_run || plan->report.imported.empty()) return plan->report;

  return impl_->with_lock<ImportReport>(options.by, [&](LockSession& session) -> Result<ImportReport> {
    if (auto r = impl_->log().ensure_indexes(); !r) return std::unexpected(r.error());
    auto records = impl_->log().load();  // as it is now that we hold the lock
    if (!records) return std::unexpected(records.error());
    if (auto r = read_theirs(); !r) return std::unexpected(r.error());
    auto fresh = plan_for(*records);
    if (!fresh) return std::unexpected(fresh.error());
    ImportReport& report = fresh->report;
    const std::string applied_by = fmt::format("import from {}", to_string(source));
    // golang-migrate keeps no times: one time for all, in the report too.
    const TimestampMs now = core::now_ms();
    const std::size_t total = report.imported.size();
    // A stop request is honoured between two migrations, as baseline does:
    // each one before it is recorded applied with its event.
    auto stopped_after = [&](std::size_t done) {
      if (done == 0) {
        return fmt::format("stopped before importing {}; nothing was recorded", report.imported[0].name);
      }
      std::string last = report.imported[done - 1].name;
      if (done == total) {
        return fmt::format("stopped after importing all {} migrations (up to {}), each recorded applied with its "
                           "event: nothing is left to do",
                           total, last);
      }
      return fmt::format("stopped after importing {} of {} migrations (up to {}), each recorded applied with its "
                         "event; the rest are not recorded: run import again to finish",
                         done, total, last);
    };
    for (std::size_t i = 0; i < total; ++i) {
      ImportedMigration& item = report.imported[i];
      if (!item.applied_at) item.applied_at = now;
      const core::Migration& m = *fresh->migrations[i];
      if (impl_->stop_requested()) return std::unexpected(impl_->interrupted(stopped_after(i)));
      if (auto r = session.still_ours("importing " + m.name); !r) return std::unexpected(r.error());
      // No record was seen under the lease: the claim inserts one, as applied.
      if (auto r = impl_->log().set_status(m.name, &m, core::kStatusApplied, *item.applied_at,
                                           {.seen = std::nullopt, .owner = session.owner(), .by = applied_by});
          !r) {
        return std::unexpected(session.explain_refusal(r.error()));
      }
      if (auto r = impl_->record_event(m.name, "imported", options.by, import_reason(options, report, item), m.checksum);
          !r) {
        return std::unexpected(r.error());
      }
    }
    if (total > 0 && impl_->stop_requested()) return std::unexpected(impl_->interrupted(stopped_after(total)));
    return std::move(report);
  });
}

}  // namespace mongomigrate
