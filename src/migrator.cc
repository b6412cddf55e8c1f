#include "mongomigrate/migrator.h"

// The Migrator's entry points that are not operations (open, the words and
// exit codes of its types) and the parts of Impl every operation shares.
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <vector>

#include <fmt/format.h>

#include "core/duration.h"
#include "core/name_resolution.h"
#include "core/names.h"
#include "core/recovery_plan.h"
#include "core/time_format.h"
#include "migrator_impl.h"
#include "mongo/admin_command.h"
#include "mongo/client.h"
#include "mongo/foreign_log.h"
#include "mongo/lock_store.h"
#include "mongo/log_store.h"
#include "mongo/migration_context.h"
#include "source/compiled_source.h"
#include "source/directory_source.h"
#include "source/json_migration.h"

namespace mongomigrate {

int exit_code(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kMigrationFailed:
    case ErrorKind::kRefused: return 1;
    case ErrorKind::kUsage:
    case ErrorKind::kBadInput: return 2;
    case ErrorKind::kDatabase: return 3;
    case ErrorKind::kLockTimeout:
    case ErrorKind::kLockLost: return 4;
    case ErrorKind::kInterrupted: return 130;
  }
  return 1;
}

const char* to_string(MigrationStatus status) {
  switch (status) {
    case MigrationStatus::kPending: return "pending";
    case MigrationStatus::kApplied: return "applied";
    case MigrationStatus::kFailed: return "failed";
    case MigrationStatus::kReverted: return "reverted";
    case MigrationStatus::kRunning: return "running";
    case MigrationStatus::kInterrupted: return "interrupted";
    case MigrationStatus::kInvalid: return "invalid";
    case MigrationStatus::kUnknown: return "unknown";
  }
  return "unknown";
}

const char* to_string(StepOutcome outcome) {
  switch (outcome) {
    case StepOutcome::kPlanned: return "planned";
    case StepOutcome::kApplied: return "applied";
    case StepOutcome::kFailed: return "failed";
    case StepOutcome::kReverted: return "reverted";
  }
  return "unknown";
}

bool RunReport::ok() const {
  if (blocked_by) return false;
  for (const StepReport& s : steps) {
    if (s.outcome == StepOutcome::kFailed) return false;
  }
  return true;
}

namespace {

// The login name of `uid`, "" when the password database has none.
// getpwuid_r, not getpwuid: every database of a fan-out asks on its own
// thread, and getpwuid's answer lives in one static buffer that any other
// call rewrites.
std::string login_name(uid_t uid) {
  long suggested = sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buffer(suggested > 0 ? static_cast<std::size_t>(suggested) : 1024);
  passwd entry{};
  passwd* found = nullptr;
  constexpr std::size_t kMaxBuffer = 1 << 20;  // an entry larger than this is not a name worth waiting for
  int rc = 0;
  while ((rc = getpwuid_r(uid, &entry, buffer.data(), buffer.size(), &found)) == ERANGE &&
         buffer.size() < kMaxBuffer) {
    buffer.resize(buffer.size() * 2);
  }
  if (rc != 0 || !found || !found->pw_name) return "";
  return found->pw_name;
}

}  // namespace

std::string default_actor() {
  std::string user;
  if (const char* env = std::getenv("USER"); env && *env) {
    user = env;
  } else {
    user = login_name(getuid());  // cron jobs and containers often have no $USER
  }
  if (user.empty()) user = "uid" + std::to_string(getuid());
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return fmt::format("{}@{}", user, host[0] ? host : "unknown-host");
}

const char* version() { return MONGOMIGRATE_VERSION; }

std::optional<MarkAs> parse_mark_as(std::string_view word) {
  if (word == "applied") return MarkAs::kApplied;
  if (word == "pending") return MarkAs::kPending;
  if (word == "reverted") return MarkAs::kReverted;
  return std::nullopt;
}

Error refused(std::string message) { return Error{ErrorKind::kRefused, std::move(message)}; }
Error bad_input(std::string message) { return Error{ErrorKind::kBadInput, std::move(message)}; }

Result<void> check_name(std::string_view typed) {
  if (std::string problem = core::name_problem(typed); !problem.empty()) {
    return std::unexpected(bad_input(fmt::format("invalid migration name \"{}\": {}", typed, problem)));
  }
  return {};
}

std::optional<core::LogRecord> record_named(const std::vector<core::LogRecord>& records, const std::string& name) {
  for (const core::LogRecord& r : records) {
    if (r.name == name) return r;
  }
  return std::nullopt;
}

Migrator::Impl::Impl(MigratorOptions opts, mongo::Client c, Connector connect)
    : options(std::move(opts)), client(std::make_shared<mongo::Client>(std::move(c))) {
  redacted_uri = client->redacted_uri();
  database = client->database();
  std::string lock_collection = options.collection + "_lock";
  seams.log = std::make_shared<mongo::MongoLogStore>(*client, options.collection);
  seams.lock = std::make_shared<mongo::MongoLockStore>(*client, lock_collection);
  if (!connect) {
    connect = [uri = options.uri, db = database] { return mongo::Client::open(uri, db); };
  }
  // Parallel batch workers open their connections as the renewer does (from
  // the fan-out's pool when there is one).
  seams.target = std::make_shared<mongo::MongoTarget>(*client, connect);
  // FerretDB 1.x and other servers that break the model are refused.
  seams.check_server = [c = client.get()] { return c->check_server(); };
  seams.max_command_bytes = [c = client.get()] { return c->max_bson_object_size(); };
  // The renewer's and the event sender's own connections: a mongoc client
  // is single-threaded.
  seams.open_lock = [connect, lock_collection]() -> Result<std::unique_ptr<store::LockStore>> {
    auto own = connect();
    if (!own) return std::unexpected(own.error());
    return std::make_unique<mongo::MongoLockStore>(std::make_unique<mongo::Client>(std::move(*own)), lock_collection);
  };
  seams.open_events = [connect, collection = options.collection]() -> Result<std::unique_ptr<store::LogStore>> {
    auto own = connect();
    if (!own) return std::unexpected(own.error());
    return std::make_unique<mongo::MongoLogStore>(std::make_unique<mongo::Client>(std::move(*own)), collection);
  };
  seams.read_migrate_mongo = [c = client.get()](const std::string& collection) {
    return mongo::ForeignLogReader(*c).read_migrate_mongo(collection);
  };
  seams.read_golang_migrate = [c = client.get()](const std::string& collection) {
    return mongo::ForeignLogReader(*c).read_golang_migrate(collection);
  };
  seams.foreign_lock_holder = [c = client.get()](ImportSource source, const std::string& collection) {
    return mongo::ForeignLogReader(*c).lock_holder(source, collection);
  };
}

Migrator::Impl::Impl(MigratorOptions opts, Seams given)
    : options(std::move(opts)), seams(std::move(given)), redacted_uri(options.uri), database(options.database) {}

Result<core::Catalog> Migrator::Impl::catalog() const {
  auto files = scan();
  if (!files) return std::unexpected(files.error());
  if (!files->invalid.empty()) return std::unexpected(source::invalid_entries_error(options.directory, files->invalid));
  return std::move(files->catalog);
}

Result<Migrator::Impl::Scan> Migrator::Impl::scan() const {
  auto files = source::scan_directory(options.directory);
  if (!files) return std::unexpected(files.error());
  auto compiled = source::load_compiled(compiled_migrations());
  if (!compiled) return std::unexpected(compiled.error());
  auto merged = source::merge_catalogs(std::move(files->migrations), std::move(*compiled));
  if (!merged) return std::unexpected(merged.error());
  return Scan{std::move(*merged), std::move(files->invalid)};
}

Result<const core::Migration*> Migrator::Impl::lookup(const core::Catalog& catalog, std::string_view name) const {
  auto resolved = resolve(name, catalog, nullptr);
  if (!resolved) return std::unexpected(resolved.error());
  return core::find_migration(catalog, *resolved);
}

Result<std::string> Migrator::Impl::resolve(std::string_view typed, const core::Catalog& catalog,
                                            const std::vector<core::LogRecord>* records) const {
  if (auto valid = check_name(typed); !valid) return std::unexpected(valid.error());
  std::vector<std::string_view> known;
  known.reserve(catalog.size() + (records ? records->size() : 0));
  for (const core::Migration& m : catalog) known.push_back(m.name);
  if (records) {
    for (const core::LogRecord& r : *records) known.push_back(r.name);
  }
  core::NameResolution found = core::resolve_name(known, typed);
  switch (found.outcome) {
    case core::NameResolution::Outcome::kFound: return found.name;
    case core::NameResolution::Outcome::kAmbiguous:
      return std::unexpected(bad_input(core::ambiguous_name_message(typed, found.candidates)));
    case core::NameResolution::Outcome::kUnknown: break;
  }
  return std::unexpected(bad_input(fmt::format("no migration named \"{}\" in {}", typed, options.directory)));
}

void Migrator::Impl::warn_lease_left(const Error& error) const {
  if (!options.on_warning) return;
  try {
    options.on_warning(fmt::format("{}; the work itself finished and is recorded, and the lease expires by itself "
                                   "within {:g} s",
                                   error.message, static_cast<double>(options.lock.lease.count()) / 1000.0));
  } catch (...) {
    // A warning's reader failing is no reason to report finished work as failed.
  }
}

Error Migrator::Impl::interrupted(const std::string& what) const {
  return Error{ErrorKind::kInterrupted,
               fmt::format("interrupted by signal {}: {}", options.stop ? options.stop->load() : 0, what)};
}

std::optional<Error> Migrator::Impl::stop_after(const StepReport& step) const {
  if (!stop_requested()) return std::nullopt;
  return interrupted(step.outcome == StepOutcome::kFailed ? step.name + " was stopped and recorded as failed"
                                                          : "stopped after " + step.name);
}

HistoryEvent Migrator::Impl::make_event(const std::string& name, const char* action, const std::string& by,
                                        const std::string& reason, const std::string& checksum,
                                        const std::string& error) const {
  runner::RunnerIdentity me = runner::RunnerIdentity::current(by);
  return HistoryEvent{.name = name, .action = action, .at = core::now_ms(), .by = me.actor,
                      .duration_ms = std::nullopt, .error = error, .checksum = checksum, .host = me.host,
                      .pid = me.pid, .reason = reason};
}

Result<void> Migrator::Impl::record_event(const std::string& name, const char* action, const std::string& by,
                                          const std::string& reason, const std::string& checksum,
                                          const std::string& error) {
  return log().append_event(make_event(name, action, by, reason, checksum, error));
}

Result<void> Migrator::Impl::check_commands(const std::vector<const core::Migration*>& migrations, bool down) {
  // Every command of a JSON migration is known before it is claimed: one
  // that would act on another database (a `renameCollection` or `$merge`
  // there) fails it here, not half-way.
  for (const core::Migration* m : migrations) {
    const std::vector<core::Command>* commands = down ? (m->down ? &*m->down : nullptr) : &m->up;
    for (std::size_t i = 0; commands && i < commands->size(); ++i) {
      if (std::string problem = mongo::other_database_problem((*commands)[i].bson, database); !problem.empty()) {
        return std::unexpected(bad_input(fmt::format("{}: {}[{}]: {}; nothing was run", core::printable(m->path),
                                                     down ? "down" : "up", i, problem)));
      }
    }
  }
  if (!seams.max_command_bytes || migrations.empty()) return {};
  auto limit = seams.max_command_bytes();
  if (!limit) return std::unexpected(limit.error());
  for (const core::Migration* m : migrations) {
    if (std::string problem = source::oversized_command(*m, down, *limit); !problem.empty()) {
      return std::unexpected(bad_input(std::move(problem)));
    }
  }
  return {};
}

std::string Migrator::Impl::describe_record(const std::string& name) {
  auto record = log().find(name);
  if (!record) return fmt::format("unknown ({})", record.error().message);
  if (!*record) return fmt::format("{} has no record (pending)", name);
  const core::LogRecord& r = **record;
  if (r.status == core::kStatusRunning) {
    return fmt::format("{} is running{}, {}", name, r.reverting ? " (being reverted)" : "",
                       r.lock_owner.empty() ? "with no runner (interrupted)" : "claimed by runner " + r.lock_owner);
  }
  std::string by = r.status == core::kStatusReverted ? r.reverted_by : r.applied_by;
  return fmt::format("{} is {}{}", name, r.status, by.empty() ? "" : " (by " + by + ")");
}

Result<std::vector<core::LogRecord>> Migrator::Impl::load_unique_log() {
  auto records = log().load();
  if (!records) return records;
  if (auto duplicates = core::find_duplicates(*records); !duplicates.empty()) {
    return std::unexpected(refused(core::duplicates_problem(duplicates, options.collection)));
  }
  return records;
}

Migrator::Migrator(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Migrator::Migrator(Migrator&&) noexcept = default;
Migrator& Migrator::operator=(Migrator&&) noexcept = default;
Migrator::~Migrator() = default;

Result<void> check_lock_options(const LockOptions& lock) {
  // The CLI names the setting and where it came from (core::resolve_settings);
  // a program using the library gets the rule it broke.
  auto refuse = [](std::string why) { return std::unexpected(Error{ErrorKind::kUsage, "lock settings: " + why}); };
  if (lock.lease.count() <= 0) return refuse("the lease must be longer than 0");
  if (lock.lease > core::kMaxLockLease) return refuse("the lease must be at most 24 hours");
  if (lock.renew_every.count() <= 0) return refuse("the renewal interval must be longer than 0");
  if (lock.renew_every >= lock.lease) return refuse("the renewal interval must be shorter than the lease");
  if (lock.timeout.count() < 0) return refuse("the lock timeout must not be negative");
  if (lock.timeout > core::kMaxLockTimeout) return refuse("the lock timeout must be at most 7 days");
  // 0 would ask the server for the lock in a tight loop while waiting.
  if (lock.poll.count() <= 0) return refuse("the polling interval must be longer than 0");
  return {};
}

Result<Migrator> Migrator::open(MigratorOptions options) {
  if (auto lock = check_lock_options(options.lock); !lock) return std::unexpected(lock.error());
  auto client = mongo::Client::open(options.uri, options.database);
  if (!client) return std::unexpected(client.error());
  client->on_server_wait(options.on_server_wait);
  // Before connecting: names the server cannot hold (issue 15, item 7).
  if (std::string problem = core::tracking_namespace_problem(client->database(), options.collection);
      !problem.empty()) {
    return std::unexpected(Error{ErrorKind::kUsage, std::move(problem)});
  }
  // Fail early on a missing directory, before any server round trip.
  if (auto dir = source::check_directory(options.directory); !dir) return std::unexpected(dir.error());
  return Migrator(std::make_unique<Impl>(std::move(options), std::move(*client)));
}

const std::string& Migrator::redacted_uri() const { return impl_->redacted_uri; }
const std::string& Migrator::database() const { return impl_->database; }

}  // namespace mongomigrate
