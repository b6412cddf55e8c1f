#include "core/import_plan.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <limits>
#include <map>
#include <set>
#include <unordered_map>

#include "core/names.h"

namespace mongomigrate {

const char* to_string(ImportSource source) {
  return source == ImportSource::kMigrateMongo ? "migrate-mongo" : "golang-migrate";
}

const char* default_source_collection(ImportSource source) {
  return source == ImportSource::kMigrateMongo ? "changelog" : "schema_migrations";
}

const char* default_source_lock_collection(ImportSource source) {
  return source == ImportSource::kMigrateMongo ? "changelog_lock" : "migrate_advisory_lock";
}

namespace core {
namespace {

Error bad_input(std::string message) { return Error{ErrorKind::kBadInput, std::move(message)}; }

// At most ten items, each printable, then "and N more": a refusal stays one line.
std::string listed(const std::vector<std::string>& items) {
  constexpr std::size_t kShown = 10;
  std::vector<std::string> shown;
  for (std::size_t i = 0; i < items.size() && i < kShown; ++i) shown.push_back(printable(items[i]));
  std::string text = fmt::format("{}", fmt::join(shown, ", "));
  if (items.size() > kShown) text += fmt::format(" and {} more", items.size() - kShown);
  return text;
}

std::unordered_map<std::string, const LogRecord*> by_name(const std::vector<LogRecord>& log) {
  std::unordered_map<std::string, const LogRecord*> index;
  for (const LogRecord& r : log) index.emplace(r.name, &r);
  return index;
}

// Adds `m` to the plan; if our log has it, to `already_recorded` (applied)
// or `disagreements` (any other status).
void plan_one(ImportPlan& plan, const std::unordered_map<std::string, const LogRecord*>& recorded,
              const Migration& m, ImportedMigration item) {
  if (auto it = recorded.find(m.name); it != recorded.end()) {
    if (it->second->status == kStatusApplied) {
      plan.report.already_recorded.push_back(m.name);
    } else {
      plan.report.disagreements.push_back({m.name, it->second->status});
    }
    return;
  }
  plan.report.imported.push_back(std::move(item));
  plan.migrations.push_back(&m);
}

// Why a migrate-mongo fileName cannot name a migration file, or "".
std::string file_name_problem(const std::string& file_name) {
  if (std::string problem = name_problem(file_name); !problem.empty()) return problem;
  if (file_stem(file_name).empty()) return "it has no file extension";
  return "";
}

}  // namespace

std::optional<std::int64_t> leading_number(std::string_view name) {
  std::int64_t n = 0;
  std::size_t digits = 0;
  for (char c : name) {
    if (c < '0' || c > '9') break;
    if (n > (std::numeric_limits<std::int64_t>::max() - (c - '0')) / 10) return std::nullopt;
    n = n * 10 + (c - '0');
    ++digits;
  }
  if (digits == 0) return std::nullopt;
  return n;
}

std::string_view file_stem(std::string_view file_name) {
  std::size_t dot = file_name.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return {};
  return file_name.substr(0, dot);
}

Result<ImportPlan> plan_migrate_mongo_import(const Catalog& catalog, const std::vector<LogRecord>& log,
                                             const std::vector<MigrateMongoRecord>& records,
                                             const std::string& collection, bool allow_missing) {
  if (records.empty()) {
    return std::unexpected(bad_input(fmt::format("migrate-mongo's collection \"{}\" holds no records: nothing "
                                                 "to import",
                                                 printable(collection))));
  }
  std::vector<std::string> unreadable;
  std::map<std::string, const MigrateMongoRecord*> by_file;  // fileName -> its record
  std::set<std::string> twice;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const MigrateMongoRecord& r = records[i];
    std::string problem = r.defect.empty() ? file_name_problem(r.file_name) : r.defect;
    if (problem.empty() && !r.applied_at) problem = "appliedAt is not a date";
    if (!problem.empty()) {
      std::string who = r.file_name.empty() ? fmt::format("record {}", i + 1) : "\"" + r.file_name + "\"";
      unreadable.push_back(fmt::format("{} ({})", who, problem));
      continue;
    }
    if (!by_file.emplace(r.file_name, &r).second) twice.insert(r.file_name);
  }
  if (!unreadable.empty()) {
    return std::unexpected(bad_input(fmt::format("migrate-mongo's collection \"{}\" has records that cannot be "
                                                 "read: {}; nothing was imported",
                                                 printable(collection), listed(unreadable))));
  }
  if (!twice.empty()) {
    return std::unexpected(bad_input(fmt::format(
        "migrate-mongo's collection \"{}\" records the same fileName more than once: {}; nothing was imported",
        printable(collection), listed({twice.begin(), twice.end()}))));
  }

  // Our migrations by stem: "20240101120000-add-x.json" and "...-add-x.cc" are both "...-add-x".
  std::map<std::string, std::vector<const Migration*>, std::less<>> by_stem;
  for (const Migration& m : catalog) by_stem[std::string(file_stem(m.name))].push_back(&m);
  std::map<const Migration*, const MigrateMongoRecord*> matched;
  std::vector<std::string> missing, ambiguous;
  for (const auto& [file_name, record] : by_file) {
    auto found = by_stem.find(file_stem(file_name));
    if (found == by_stem.end()) {
      missing.push_back(file_name);
    } else if (found->second.size() > 1) {
      ambiguous.push_back(fmt::format("{} ({} and {})", file_name, found->second[0]->name, found->second[1]->name));
    } else {
      matched.emplace(found->second.front(), record);
    }
  }
  if (!ambiguous.empty()) {
    return std::unexpected(bad_input(fmt::format("more than one migration matches migrate-mongo's record of {}; "
                                                 "keep one per name; nothing was imported",
                                                 listed(ambiguous))));
  }
  if (!missing.empty() && !allow_missing) {
    return std::unexpected(bad_input(fmt::format(
        "{} of migrate-mongo's records have no migration of the same name in the directory: {}; add them (as "
        ".json or C++ migrations), or pass --allow-missing to import the others; nothing was imported",
        missing.size(), listed(missing))));
  }

  ImportPlan plan;
  plan.report.source = ImportSource::kMigrateMongo;
  plan.report.source_collection = collection;
  plan.report.missing = std::move(missing);
  auto recorded = by_name(log);
  for (const Migration& m : catalog) {
    auto found = matched.find(&m);
    if (found == matched.end()) continue;
    const MigrateMongoRecord& r = *found->second;
    plan_one(plan, recorded, m,
             {.name = m.name, .source = r.file_name, .applied_at = r.applied_at, .migration_block = r.migration_block});
  }
  return plan;
}

Result<ImportPlan> plan_golang_migrate_import(const Catalog& catalog, const std::vector<LogRecord>& log,
                                              const std::vector<GolangMigrateRecord>& records,
                                              const std::string& collection, bool allow_missing) {
  std::string where = fmt::format("golang-migrate's collection \"{}\"", printable(collection));
  if (records.empty()) return std::unexpected(bad_input(where + " holds no record: nothing to import"));
  if (records.size() > 1) {
    return std::unexpected(bad_input(fmt::format("{} holds {} documents; golang-migrate keeps exactly one "
                                                 "({{version, dirty}}); nothing was imported",
                                                 where, records.size())));
  }
  const GolangMigrateRecord& state = records.front();
  if (!state.defect.empty() || !state.version || *state.version < -1) {
    std::string why = !state.defect.empty() ? state.defect
                                            : fmt::format("version {} is not a migration version",
                                                          state.version.value_or(0));
    return std::unexpected(bad_input(fmt::format("{} cannot be read: {}; nothing was imported", where, why)));
  }
  std::int64_t version = *state.version;
  if (state.dirty) {
    return std::unexpected(bad_input(fmt::format(
        "{} is dirty at version {}: that migration failed half-way under golang-migrate; repair the data, then "
        "run `migrate force {}` (or force the version before it) and import again; nothing was imported",
        where, version, version)));
  }

  // Our migrations at or below the version, and who else claims each number.
  std::map<std::int64_t, std::vector<const Migration*>> by_number;
  for (const Migration& m : catalog) {
    auto n = leading_number(m.name);
    if (n && *n <= version) by_number[*n].push_back(&m);
  }
  std::vector<std::string> shared;
  for (const auto& [n, migrations] : by_number) {
    if (migrations.size() > 1) shared.push_back(fmt::format("{} ({} and {})", n, migrations[0]->name,
                                                            migrations[1]->name));
  }
  if (!shared.empty()) {
    return std::unexpected(bad_input(fmt::format("more than one migration has the same version: {}; golang-migrate "
                                                 "versions are unique; nothing was imported",
                                                 listed(shared))));
  }
  ImportPlan plan;
  plan.report.source = ImportSource::kGolangMigrate;
  plan.report.source_collection = collection;
  plan.report.version = version;
  if (version >= 0 && !by_number.contains(version)) {
    if (!allow_missing) {
      return std::unexpected(bad_input(fmt::format(
          "golang-migrate recorded version {}, but no migration in the directory has that number: write {}_<name>."
          "json from golang-migrate's {}_<name>.up.json and .down.json (scripts/merge-golang-migrate.py, "
          "docs/migrating.md), or pass --allow-missing to import the versions below it; nothing was imported",
          version, version, version)));
    }
    plan.report.missing.push_back(fmt::format("version {}", version));
  }
  auto recorded = by_name(log);
  for (const Migration& m : catalog) {
    auto n = leading_number(m.name);
    if (!n || *n > version) continue;
    plan_one(plan, recorded, m, {.name = m.name, .source = fmt::format("version {}", *n)});
  }
  return plan;
}

GolangMigrateFiles golang_migrate_files(const std::vector<std::string>& names) {
  GolangMigrateFiles files;
  std::set<std::string> merged;
  for (const std::string& name : names) {
    // N_name.up.json / N_name.down.json: a version, '_', a title, a direction.
    std::size_t underscore = name.find('_');
    if (underscore == std::string::npos || underscore == 0 || !leading_number(name) ||
        name.find_first_not_of("0123456789") != underscore) {
      continue;
    }
    for (std::string_view suffix : {".up.json", ".down.json"}) {
      if (name.size() > suffix.size() + underscore + 1 && name.ends_with(suffix)) {
        files.found.push_back(name);
        merged.insert(name.substr(0, name.size() - suffix.size()) + ".json");
      }
    }
  }
  std::sort(files.found.begin(), files.found.end());
  files.to_write.assign(merged.begin(), merged.end());
  return files;
}

std::optional<ImportSource> foreign_log_source(const LogShape& shape) {
  if (shape.name) return std::nullopt;
  if (shape.file_name && shape.applied_at) return ImportSource::kMigrateMongo;
  if (shape.version && shape.dirty) return ImportSource::kGolangMigrate;
  return std::nullopt;
}

Error foreign_log_error(ImportSource source, const std::string& collection) {
  bool mm = source == ImportSource::kMigrateMongo;
  return Error{ErrorKind::kBadInput,
               fmt::format("the collection \"{}\" holds {}'s records ({}), not mongo-migrate's; nothing was written. "
                           "To take them over, run `mongo-migrate import {} {} {}` with --collection naming "
                           "mongo-migrate's own log (migrationlogs by default)",
                           printable(collection), to_string(source), mm ? "fileName, appliedAt" : "version, dirty",
                           to_string(source), mm ? "--changelog" : "--table", printable(collection))};
}

}  // namespace core
}  // namespace mongomigrate
