// `import migrate-mongo` / `import golang-migrate`: take over a database one
// of those tools ran, recording the migrations it applied in our log.
#include <fmt/format.h>

#include "core/names.h"
#include "core/time_format.h"
#include "json_output.h"
#include "fanout.h"
#include "options.h"
#include "output.h"
#include "signals.h"

namespace mongomigrate::cli {
namespace {

struct ImportArguments {
  std::string collection;
  std::string lock_collection;
  bool allow_missing = false;
  bool dry_run = false;
  std::string reason;
};

Json import_json(const ImportReport& r) {
  Json imported = Json::array();
  for (const ImportedMigration& m : r.imported) {
    imported.push_back({{"name", json_name(m.name)},
                        {"source", json_text(m.source)},
                        {"appliedAt", json_time(m.applied_at)},
                        {"migrationBlock", json_optional(m.migration_block)}});
  }
  Json disagreements = Json::array();
  for (const ImportDisagreement& d : r.disagreements) {
    disagreements.push_back({{"name", json_name(d.name)}, {"status", json_text(d.status)}});
  }
  Json out = json_document(r.disagreements.empty());
  out["source"] = to_string(r.source);
  out["sourceCollection"] = json_text(r.source_collection);
  out["dryRun"] = r.dry_run;
  out["version"] = json_optional(r.version);
  out["imported"] = std::move(imported);
  out["alreadyRecorded"] = json_names(r.already_recorded);
  out["disagreements"] = std::move(disagreements);
  out["missing"] = json_names(r.missing);
  return out;
}

void print_human(const ImportReport& r) {
  fmt::print("Import from {}'s \"{}\"{}{}\n", to_string(r.source), core::printable(r.source_collection),
             r.version ? fmt::format(" (version {})", *r.version) : "",
             r.dry_run ? ", dry run: nothing is written" : "");
  for (const ImportedMigration& m : r.imported) {
    fmt::print("  {} {}  (from {}{})\n", r.dry_run ? "would import" : "imported", core::printable(m.name),
               core::printable(m.source), m.applied_at ? ", applied " + human_time(m.applied_at) + " UTC" : "");
  }
  for (const std::string& name : r.already_recorded) {
    fmt::print("  already in the log, left as it is: {}\n", core::printable(name));
  }
  for (const ImportDisagreement& d : r.disagreements) {
    fmt::print("  recorded here as {}, left as it is: {}\n", core::printable(d.status), core::printable(d.name));
  }
  for (const std::string& name : r.missing) fmt::print("  no migration here, skipped: {}\n", core::printable(name));
  std::size_t n = r.imported.size();
  fmt::print("{} migration{} {} applied; none was run.\n", n, n == 1 ? "" : "s",
             r.dry_run ? "would be recorded" : "recorded");
}

// 1 when the two logs disagree on a migration: nothing is lost (the rest
// is imported), but a person has to look.
int disagreement_exit(const ImportReport& r) { return r.disagreements.empty() ? 0 : 1; }

std::string disagreement_message(const ImportReport& r) {
  const ImportDisagreement& first = r.disagreements.front();
  return fmt::format("mongo-migrate: {} migration(s) {} recorded applied are recorded otherwise here ({} is {}), and "
                     "were left as they are: check their data, then `mark <name> --as applied` or `run <name>`\n",
                     r.disagreements.size(), to_string(r.source), core::printable(first.name),
                     core::printable(first.status));
}

CLI::App* add_source(CLI::App& parent, const char* name, const char* description, const char* collection_option,
                     const char* collection_help, const char* lock_help, const std::shared_ptr<ImportArguments>& args) {
  CLI::App* cmd = parent.add_subcommand(name, description);
  cmd->fallthrough();
  cmd->add_option(collection_option, args->collection, collection_help);
  cmd->add_option("--lock-collection", args->lock_collection, lock_help);
  cmd->add_flag("--allow-missing", args->allow_missing, "skip their records that have no migration here");
  cmd->add_flag("--dry-run", args->dry_run, "print the plan; write nothing");
  add_reason_option(*cmd, args->reason);
  return cmd;
}

}  // namespace

CommandSpec add_import_command(CLI::App& app, GlobalOptions& global) {
  CLI::App* cmd = add_command(app, "import", "take over a database migrate-mongo or golang-migrate ran");
  cmd->require_subcommand(1);
  auto mm_args = std::make_shared<ImportArguments>();
  auto gm_args = std::make_shared<ImportArguments>();
  CLI::App* mm = add_source(*cmd, "migrate-mongo", "record migrate-mongo's applied migrations (its changelog)",
                            "--changelog", "migrate-mongo's collection (default: changelog)",
                            "its lockCollectionName; import refuses while it holds a lock (default: changelog_lock)",
                            mm_args);
  add_source(*cmd, "golang-migrate", "record golang-migrate's applied versions (its schema_migrations)", "--table",
             "golang-migrate's collection (default: schema_migrations)",
             "its x-advisory-lock-collection; import refuses while it holds a lock (default: migrate_advisory_lock)",
             gm_args);
  return {cmd, [&global, mm, mm_args, gm_args] {
            bool from_mm = mm->parsed();
            const ImportArguments& a = from_mm ? *mm_args : *gm_args;
            ImportSource source = from_mm ? ImportSource::kMigrateMongo : ImportSource::kGolangMigrate;
            ImportOptions options{.source_collection = a.collection,
                                  .source_lock_collection = a.lock_collection,
                                  .allow_missing = a.allow_missing,
                                  .dry_run = a.dry_run,
                                  .by = global.by,
                                  .reason = a.reason};
            if (fan_out_requested(global)) {
              return run_fan_out(global, {.name = "import", .writes = !a.dry_run, .body = [source, options](Migrator& m) {
                                            auto report = m.import_from(source, options);
                                            if (!report) return error_outcome(report.error());
                                            DatabaseOutcome outcome{
                                                .exit_code = disagreement_exit(*report),
                                                .counts = {{report->dry_run ? "would import" : "imported",
                                                            static_cast<long long>(report->imported.size())}},
                                                .json = import_json(*report)};
                                            for (const ImportDisagreement& d : report->disagreements) {
                                              outcome.warnings.push_back(fmt::format(
                                                  "{} is recorded here as {}, though {} recorded it applied: left "
                                                  "as it is",
                                                  d.name, d.status, to_string(report->source)));
                                            }
                                            return outcome;
                                          }});
            }
            auto migrator = open_migrator(global);
            if (!migrator) return report_error(migrator.error(), global);
            auto report = migrator->import_from(source, options);
            if (!report) return report_error(report.error(), global);
            if (global.json) {
              fmt::print("{}", json_line(import_json(*report)));
            } else {
              print_human(*report);
            }
            if (!report->disagreements.empty()) write_stderr(disagreement_message(*report));
            return disagreement_exit(*report);
          }};
}

}  // namespace mongomigrate::cli
