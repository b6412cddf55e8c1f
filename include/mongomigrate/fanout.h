// The same operation on many databases at once (issue 18): tenant databases
// that all run the same migrations.
//
//   auto fan = mongomigrate::FanOut::open({.migrator = {.uri = "...", .directory = "migrations"}});
//   auto reports = fan->run_pending_all({.all = true, .match = "^tenant_"});
//   for (const auto& r : *reports) { ... r.database, r.result ... }
//
// Each database gets a Migrator of its own, with its own log, events and
// lock, exactly as if the operation ran on it alone; running the same call
// again continues where a run stopped, since every database's log says what
// is done. The Migrators' connections come from one pool.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mongomigrate/error.h"
#include "mongomigrate/migrator.h"

namespace mongomigrate {

// Which databases: the names given, or (`all`) every database the server
// lists except admin, local and config. `match` / `exclude` are ECMAScript
// regular expressions tested with std::regex_search (anywhere in the name:
// anchor with ^ and $); they filter the names given too. The result is
// sorted by name, without duplicates.
struct DatabaseSelection {
  std::vector<std::string> names;
  bool all = false;
  std::string match;
  std::string exclude;
};

struct FanOutOptions {
  // uri, directory, collection, lock, stop, on_lock_wait: as for one
  // database; `database` is ignored (the selection says). on_server_wait
  // is told once for the whole run, on a thread of the connection pool.
  MigratorOptions migrator;
  // Databases at a time; 0 or less is kUsage. Their connections come from
  // one pool with room for all they can hold at once, parallel x 67 + 1
  // (each database's own, its lease renewer's, its event sender's and up
  // to 64 parallel batch workers'), opened only as they are used.
  int parallel = 4;
  // After the first database that fails, start no other (they are
  // reported skipped); those in flight finish. Without it, a failure is
  // followed by a `ping`: if the server no longer answers (within
  // serverSelectionTimeoutMS), no other database starts either.
  bool fail_fast = false;
};

// Why a database was never started: the first of these that held.
enum class SkipReason {
  kNotSkipped,
  kFailFast,    // fail_fast, after a database failed
  kStopped,     // the `stop` flag was set (a signal, in the CLI)
  kPingFailed,  // after a database failed, a ping to the server failed (no answer, or a refusal)
  kUnexpectedError,  // a database's task threw, or a worker thread could not be started
};

// One database's outcome; `result` is empty when the database was never
// started, which is not an error in itself: `skip_reason` says why, and
// for kPingFailed `skip_detail` holds the ping's error message, for
// kUnexpectedError what was thrown.
template <class T>
struct DatabaseResult {
  std::string database;
  std::optional<Result<T>> result;
  SkipReason skip_reason = SkipReason::kNotSkipped;
  std::string skip_detail;
  bool skipped() const { return !result.has_value(); }
};

// "a database failed and fail_fast is set", "a stop was requested", "a
// ping to the server failed", "an unexpected error": for messages; "" for
// kNotSkipped.
std::string_view describe(SkipReason reason);

// What to do on each database, for FanOut::for_each_database. When `body`
// or `on_done` throws, that database's result is an Error (kMigrationFailed,
// "an unexpected error: <what()>", as a batch worker's exception fails its
// run) and no other database starts (kUnexpectedError); those in flight
// finish. Nothing is thrown past the worker thread.
template <class T>
struct DatabaseTask {
  std::function<Result<T>(Migrator&)> body;
  // Whether a finished database counts as failed (for fail_fast); empty:
  // when it returned an Error.
  std::function<bool(const Result<T>&)> failed;
  // Called as each database finishes or is skipped, never two at once.
  std::function<void(const DatabaseResult<T>&)> on_done;
  // Reading operations: a selected database that does not exist is
  // reported (kBadInput, "database X does not exist") and never opened,
  // so that it is not created.
  bool existing_only = false;
};

class FanOut {
 public:
  // Checks the options (URI, parallel, lock settings, the directory);
  // does not contact the server.
  static Result<FanOut> open(FanOutOptions options);
  FanOut(FanOut&&) noexcept;
  FanOut& operator=(FanOut&&) noexcept;
  ~FanOut();

  // The selected names (listDatabases for `all`); kUsage for an invalid
  // regular expression or database name, before any connection.
  Result<std::vector<std::string>> select(const DatabaseSelection& selection);

  // Runs `task` on every selected database, up to `parallel` at a time;
  // one result per database, in selection order. An Error here is about
  // the whole run (bad selection, server refused or unreachable); each
  // database's own errors are in its result.
  template <class T>
  Result<std::vector<DatabaseResult<T>>> for_each_database(const DatabaseSelection& selection,
                                                           const DatabaseTask<T>& task) {
    auto names = select(selection);
    if (!names) return std::unexpected(names.error());
    return for_each_database(std::move(*names), task);
  }

  // The same on databases as select() returned them, which are not checked
  // again: a name the server listed is used as it is, and one that cannot
  // hold the tracking collections fails that database alone (kUsage).
  template <class T>
  Result<std::vector<DatabaseResult<T>>> for_each_database(std::vector<std::string> databases,
                                                           const DatabaseTask<T>& task) {
    auto names = prepare(std::move(databases), task.existing_only);
    if (!names) return std::unexpected(names.error());
    std::vector<DatabaseResult<T>> results;
    results.reserve(names->size());
    for (Selected& s : *names) results.push_back({std::move(s.name), std::nullopt});
    run_workers(
        results.size(),
        [&](std::size_t i) {
          DatabaseResult<T>& r = results[i];
          auto migrator = (*names)[i].exists ? migrator_for(r.database)
                                             : Result<Migrator>(std::unexpected(missing(r.database)));
          r.result = migrator ? task.body(*migrator) : Result<T>(std::unexpected(migrator.error()));
          return task.failed ? task.failed(*r.result) : !r.result->has_value();
        },
        [&](std::size_t i, const NotStarted* why) {
          if (why) {
            results[i].skip_reason = why->reason;
            results[i].skip_detail = why->detail;
          }
          if (task.on_done) task.on_done(results[i]);
        },
        [&](std::size_t i, const std::string& what) {
          results[i].result = Result<T>(std::unexpected(unexpected(what)));
        });
    return results;
  }

  // up on every database: failed when the report is not ok.
  Result<std::vector<DatabaseResult<RunReport>>> run_pending_all(
      const DatabaseSelection& selection, const RunOptions& options = {},
      std::function<void(const DatabaseResult<RunReport>&)> on_done = {});
  // status of every database (missing ones reported, not created).
  Result<std::vector<DatabaseResult<StatusReport>>> status_all(
      const DatabaseSelection& selection, std::function<void(const DatabaseResult<StatusReport>&)> on_done = {});

  // The URI with its password replaced by "*****".
  const std::string& redacted_uri() const;

 private:
  struct Impl;
  struct Selected {
    std::string name;
    bool exists = true;
  };
  explicit FanOut(std::unique_ptr<Impl> impl);
  Result<std::vector<Selected>> prepare(std::vector<std::string> names, bool existing_only);
  Result<Migrator> migrator_for(const std::string& database);
  static Error missing(const std::string& database);
  // A database whose task threw `what`.
  static Error unexpected(const std::string& what);
  // Why the databases not started were not.
  struct NotStarted {
    SkipReason reason = SkipReason::kNotSkipped;
    std::string detail;
  };
  // Runs work(i) for i in [0, count) on up to `parallel` threads, in
  // order of i; work returns whether i failed. done(i, nullptr) follows
  // each work(i); done(i, why) is called for each i never started; one
  // call at a time. When work(i) or done(i, nullptr) throws, threw(i,
  // what) records it as i's failure (before done(i) for work's) and no
  // other i starts, as when a worker thread cannot be started.
  void run_workers(std::size_t count, const std::function<bool(std::size_t)>& work,
                   const std::function<void(std::size_t, const NotStarted*)>& done,
                   const std::function<void(std::size_t, const std::string&)>& threw);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mongomigrate
