// The reading operations: status, validate, history. They write nothing.
// A reader reads the lock, then the log: a `running` record is a live
// runner's if its lockOwner is the live lease's owner, else interrupted. A
// runner that took the lease between the two reads shows as interrupted to
// that one read; nothing acts on that judgement without the lock (`up`
// blocked by an interrupted record takes the lock and judges again).
#include <fmt/format.h>

#include <future>
#include <system_error>

#include "core/invalid_entries.h"
#include "migrator_impl.h"

namespace mongomigrate {

Result<Migrator::Impl::LockView> Migrator::Impl::lock_view() {
  auto state = lock().read();
  if (!state) return std::unexpected(state.error());
  LockView view;
  view.unknown = std::move(state->unknown);
  if (state->holder) {
    auto now = lock().now();
    if (!now) return std::unexpected(now.error());
    view.state.live_lease = state->holder->expires_at > *now;
    view.state.lease_owner = state->holder->owner;
    view.holder = std::move(state->holder);
  }
  return view;
}

Result<Migrator::Impl::CatalogAndLog> Migrator::Impl::catalog_and_log(bool with_lock, bool keep_invalid) {
  // The directory is read on a second thread while the log query is in
  // flight: the two are independent, and with a large log the server takes
  // longer to answer than the files take to read. A problem with the files
  // is reported first, as when they were read first.
  auto read_files = [this, keep_invalid]() -> Result<Scan> {
    if (keep_invalid) return scan();
    auto catalog_only = catalog();
    if (!catalog_only) return std::unexpected(catalog_only.error());
    return Scan{std::move(*catalog_only), {}};
  };
  std::future<Result<Scan>> files;
  try {
    files = std::async(std::launch::async, read_files);
  } catch (const std::system_error&) {
    // No thread to be had: read the files here, after the log.
  }
  std::optional<LockView> lock_read;
  Result<std::vector<core::LogRecord>> records;
  if (auto server = check_server(); !server) {
    records = std::unexpected(server.error());
  } else if (with_lock) {
    auto view = lock_view();
    if (view) {
      lock_read = std::move(*view);
      records = log().load();
    } else {
      records = std::unexpected(view.error());
    }
  } else {
    records = log().load();
  }
  auto loaded = files.valid() ? files.get() : read_files();
  if (!loaded) return std::unexpected(loaded.error());
  if (!records) return std::unexpected(records.error());
  return CatalogAndLog{std::move(loaded->catalog), std::move(*records), std::move(lock_read),
                       std::move(loaded->invalid)};
}

Result<StatusReport> Migrator::status() {
  auto loaded = impl_->catalog_and_log(/*with_lock=*/true, /*keep_invalid=*/true);
  if (!loaded) return std::unexpected(loaded.error());
  StatusReport report = core::build_status(loaded->catalog, loaded->records, loaded->lock->state);
  auto duplicates = core::find_duplicates(loaded->records);
  for (const core::DuplicateName& d : duplicates) report.duplicated.push_back(d.name);
  report.log_problem = core::duplicates_problem(duplicates, impl_->options.collection);
  core::add_invalid_entries(report, loaded->invalid);
  report.lock = std::move(loaded->lock->holder);
  report.lock_live = loaded->lock->state.live_lease;
  return report;
}

Result<ValidateReport> Migrator::validate() {
  auto report = status();
  if (!report) return std::unexpected(report.error());
  ValidateReport validation = core::build_validation(*report);
  core::add_invalid_issues(validation, *report);
  return validation;
}

Result<std::vector<HistoryEvent>> Migrator::history(const HistoryOptions& options) {
  if (options.limit <= 0) {
    return std::unexpected(
        Error{ErrorKind::kUsage, fmt::format("--limit must be a positive number, not {}", options.limit)});
  }
  if (auto server = impl_->check_server(); !server) return std::unexpected(server.error());
  return impl_->log().history(options.limit);
}

Result<std::vector<InvalidEntry>> Migrator::invalid_migrations() const {
  auto scanned = impl_->scan();
  if (!scanned) return std::unexpected(scanned.error());
  std::vector<InvalidEntry> entries;
  for (const core::InvalidMigration& m : scanned->invalid) entries.push_back({m.name, m.error});
  return entries;
}

}  // namespace mongomigrate
