#include "mongomigrate/fanout.h"

// The fan-out over many databases: one connection pool, a Migrator per
// database on connections from it, and up to `parallel` worker threads
// taking the databases in order.
#include <atomic>
#include <exception>
#include <mutex>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "core/database_selection.h"
#include "core/exception_text.h"
#include "core/names.h"
#include "migrator_impl.h"
#include "mongo/client_pool.h"
#include "source/directory_source.h"

namespace mongomigrate {

struct FanOut::Impl {
  FanOutOptions options;
  std::shared_ptr<mongo::ClientPool> pool;
};

FanOut::FanOut(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
FanOut::FanOut(FanOut&&) noexcept = default;
FanOut& FanOut::operator=(FanOut&&) noexcept = default;
FanOut::~FanOut() = default;

Result<FanOut> FanOut::open(FanOutOptions options) {
  if (options.parallel <= 0) {
    return std::unexpected(Error{ErrorKind::kUsage, fmt::format("--parallel {}: give a number of databases "
                                                                "at a time, 1 or more", options.parallel)});
  }
  if (auto lock = check_lock_options(options.migrator.lock); !lock) return std::unexpected(lock.error());
  auto pool = mongo::ClientPool::open(options.migrator.uri, mongo::fan_out_pool_size(options.parallel),
                                      options.migrator.on_server_wait);
  if (!pool) return std::unexpected(pool.error());
  if (auto dir = source::check_directory(options.migrator.directory); !dir) return std::unexpected(dir.error());
  return FanOut(std::make_unique<Impl>(Impl{std::move(options), std::move(*pool)}));
}

const std::string& FanOut::redacted_uri() const { return impl_->pool->redacted_uri(); }

Result<std::vector<std::string>> FanOut::select(const DatabaseSelection& selection) {
  auto filter = core::DatabaseFilter::make(selection.match, selection.exclude);
  if (!filter) return std::unexpected(Error{ErrorKind::kUsage, filter.error()});
  for (const std::string& name : selection.names) {
    if (std::string problem = core::database_name_problem(name); !problem.empty()) {
      return std::unexpected(Error{ErrorKind::kUsage, fmt::format("database \"{}\": {}", name, problem)});
    }
  }
  if (std::string problem = core::case_clash_problem(selection.names); !problem.empty()) {
    return std::unexpected(Error{ErrorKind::kUsage, problem});
  }
  if (!selection.all) return core::select_databases(selection.names, *filter, false);
  if (auto checked = impl_->pool->check_server(); !checked) return std::unexpected(checked.error());
  auto listed = impl_->pool->list_databases();
  if (!listed) return std::unexpected(listed.error());
  return core::select_databases(std::move(*listed), *filter, true);
}

Result<std::vector<FanOut::Selected>> FanOut::prepare(std::vector<std::string> names, bool existing_only) {
  // Once for the pool: every database is on the same server.
  if (auto checked = impl_->pool->check_server(); !checked) return std::unexpected(checked.error());
  std::set<std::string> existing;
  if (existing_only && !names.empty()) {
    auto listed = impl_->pool->list_databases();
    if (!listed) return std::unexpected(listed.error());
    existing.insert(listed->begin(), listed->end());
  }
  std::vector<Selected> selected;
  selected.reserve(names.size());
  for (std::string& name : names) {
    bool exists = !existing_only || existing.contains(name);
    selected.push_back({std::move(name), exists});
  }
  return selected;
}

Error FanOut::missing(const std::string& database) {
  return Error{ErrorKind::kBadInput, fmt::format("database {} does not exist", core::printable(database))};
}

Result<Migrator> FanOut::migrator_for(const std::string& database) {
  MigratorOptions options = impl_->options.migrator;
  options.database = database;
  if (options.on_warning) {
    options.on_warning = [warn = std::move(options.on_warning), database](const std::string& warning) {
      warn(fmt::format("{}: {}", database, warning));
    };
  }
  if (std::string problem = core::tracking_namespace_problem(database, options.collection); !problem.empty()) {
    return std::unexpected(Error{ErrorKind::kUsage, std::move(problem)});
  }
  auto client = impl_->pool->pop(database);
  if (!client) return std::unexpected(client.error());
  std::shared_ptr<mongo::ClientPool> pool = impl_->pool;
  auto impl = std::make_unique<Migrator::Impl>(std::move(options), std::move(*client),
                                               [pool, database] { return pool->pop(database); });
  impl->seams.check_server = [pool] { return pool->check_server(); };
  return Migrator(std::move(impl));
}

Error FanOut::unexpected(const std::string& what) {
  return Error{ErrorKind::kMigrationFailed, "an unexpected error: " + what};
}

std::string_view describe(SkipReason reason) {
  switch (reason) {
    case SkipReason::kNotSkipped: return "";
    case SkipReason::kFailFast: return "a database failed and fail_fast is set";
    case SkipReason::kStopped: return "a stop was requested";
    case SkipReason::kPingFailed: return "a ping to the server failed";
    case SkipReason::kUnexpectedError: return "an unexpected error";
  }
  return "";
}

void FanOut::run_workers(std::size_t count, const std::function<bool(std::size_t)>& work,
                         const std::function<void(std::size_t, const NotStarted*)>& done,
                         const std::function<void(std::size_t, const std::string&)>& threw) {
  const std::atomic<int>* stop = impl_->options.migrator.stop;
  bool fail_fast = impl_->options.fail_fast;
  std::mutex mutex;  // guards next, failed, why, and serialises done()
  std::size_t next = 0;
  bool failed = false;
  NotStarted why;  // the first reason that held: set once, under the mutex
  auto stop_starting = [&](SkipReason reason, std::string detail = {}) {
    if (why.reason == SkipReason::kNotSkipped) why = {reason, std::move(detail)};
  };
  auto take = [&]() -> std::optional<std::size_t> {
    std::lock_guard lock(mutex);
    // A stop request, (fail_fast) a failure, or a server that no longer
    // answers: no new database starts.
    if (next < count && why.reason == SkipReason::kNotSkipped) {
      if (stop && stop->load() != 0) stop_starting(SkipReason::kStopped);
      if (fail_fast && failed) stop_starting(SkipReason::kFailFast);
    }
    if (next >= count || why.reason != SkipReason::kNotSkipped) return std::nullopt;
    return next++;
  };
  // After a database fails, when others are still to start: is the server
  // still there? Each would otherwise wait serverSelectionTimeoutMS for one
  // that is gone. (A refusal, such as of the credentials, ends them too; a
  // pool with no connection left to lend says nothing of the server.)
  auto check_server_after_failure = [&] {
    {
      std::lock_guard lock(mutex);
      if (why.reason != SkipReason::kNotSkipped) return;
    }
    auto pinged = impl_->pool->ping();
    if (!pinged && pinged.error().kind == ErrorKind::kDatabase) {
      std::lock_guard lock(mutex);
      // A stop asked for while the ping waited came first.
      if (stop && stop->load() != 0) stop_starting(SkipReason::kStopped);
      stop_starting(SkipReason::kPingFailed, pinged.error().message);
    }
  };
  // A task that throws fails its database and starts no other, as in
  // run_parallel_batches: nothing unwinds out of a worker thread (which
  // would end the process). Called inside a catch block, under the mutex.
  auto record_thrown = [&](std::size_t i) {
    std::string what = core::current_exception_text();
    threw(i, what);
    failed = true;
    stop_starting(SkipReason::kUnexpectedError, std::move(what));
  };
  auto work_on = [&](std::size_t i) {
    bool this_failed = false;
    bool thrown = false;
    try {
      this_failed = work(i);
    } catch (...) {
      std::lock_guard lock(mutex);
      record_thrown(i);
      thrown = true;
    }
    bool others_to_start = false;
    {
      std::lock_guard lock(mutex);
      failed = failed || this_failed;
      try {
        done(i, nullptr);  // reported before any ping
      } catch (...) {
        record_thrown(i);
        thrown = true;
      }
      others_to_start = next < count && !fail_fast && !(stop && stop->load() != 0);
    }
    if (this_failed && !thrown && others_to_start) check_server_after_failure();
  };
  {
    std::size_t threads = std::min(count, static_cast<std::size_t>(impl_->options.parallel));
    std::vector<std::jthread> workers;
    workers.reserve(threads);
    for (std::size_t t = 0; t < threads; ++t) {
      try {
        workers.emplace_back([&] {
          while (auto i = take()) work_on(*i);
        });
      } catch (...) {
        // The process's thread limit: the workers already started finish
        // the databases they hold and start no other.
        std::lock_guard lock(mutex);
        stop_starting(SkipReason::kUnexpectedError,
                      "a worker thread could not be started: " + core::current_exception_text());
        break;
      }
    }
  }  // joined
  for (std::size_t i = next; i < count; ++i) done(i, &why);  // never started: skipped
}

Result<std::vector<DatabaseResult<RunReport>>> FanOut::run_pending_all(
    const DatabaseSelection& selection, const RunOptions& options,
    std::function<void(const DatabaseResult<RunReport>&)> on_done) {
  return for_each_database<RunReport>(
      selection, {.body = [&options](Migrator& m) { return m.run_pending(options); },
                  .failed = [](const Result<RunReport>& r) { return !r || !r->ok(); },
                  .on_done = std::move(on_done)});
}

Result<std::vector<DatabaseResult<StatusReport>>> FanOut::status_all(
    const DatabaseSelection& selection, std::function<void(const DatabaseResult<StatusReport>&)> on_done) {
  return for_each_database<StatusReport>(selection, {.body = [](Migrator& m) { return m.status(); },
                                                     .on_done = std::move(on_done),
                                                     .existing_only = true});
}

}  // namespace mongomigrate
