// The embeddable migration registry: the same operations as the CLI.
//
//   auto migrator = mongomigrate::Migrator::open({.uri = "...", .directory = "migrations"});
//   if (!migrator) { report(migrator.error()); }
//   auto report = migrator->run_pending({.applied_by = "deploy"});
//
// A Migrator re-reads the migration directory and the tracking log on every
// call, so it always acts on what is there now. It is not thread-safe; use one
// per thread. Errors are values (Result<T>); a migration that fails is reported
// in the RunReport, not as an Error.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mongomigrate/error.h"
#include "mongomigrate/report.h"

namespace mongomigrate {

struct MigratorOptions {
  std::string uri = "mongodb://localhost:27017";
  std::string database;  // empty: take it from the URI's path
  std::string directory = "migrations";
  std::string collection = "migrationlogs";
};

// Called as a migration starts and as it ends (after the outcome is recorded).
struct ProgressEvent {
  enum class Kind { kStarting, kFinished } kind;
  const StepReport& step;
};
using ProgressCallback = std::function<void(const ProgressEvent&)>;

struct RunOptions {
  bool dry_run = false;
  std::string applied_by;  // empty: "$USER@hostname"
  ProgressCallback on_progress;
};

struct RevertOptions {
  std::string reverted_by;  // empty: "$USER@hostname"
  ProgressCallback on_progress;
};

struct HistoryOptions {
  int limit = 20;
};

class Migrator {
 public:
  // Checks the options (URI syntax, a database name, the directory exists);
  // does not contact the server yet.
  static Result<Migrator> open(MigratorOptions options);

  Migrator(Migrator&&) noexcept;
  Migrator& operator=(Migrator&&) noexcept;
  ~Migrator();

  // Applies, in order, every migration not applied; stops at the first
  // failure and never runs or passes a failed or interrupted one.
  Result<RunReport> run_pending(const RunOptions& options = {});
  // Applies one migration now, whatever its place in the order; refuses an
  // applied one. Failed and interrupted ones may be re-run this way.
  Result<RunReport> run(std::string_view name, const RunOptions& options = {});
  // Runs the migration's `down` and marks it reverted; refuses one that is
  // not applied or has no `down`.
  Result<RunReport> revert(std::string_view name, const RevertOptions& options = {});

  Result<StatusReport> status();
  Result<ValidateReport> validate();
  // Events newest first.
  Result<std::vector<HistoryEvent>> history(const HistoryOptions& options = {});

  // The URI with its password replaced by "*****", safe to print.
  const std::string& redacted_uri() const;
  const std::string& database() const;

 private:
  struct Impl;
  explicit Migrator(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// "$USER@hostname", the default for applied_by / reverted_by.
std::string default_actor();

// The library's version string, e.g. "0.1.0".
const char* version();

}  // namespace mongomigrate
