// A Migrator on in-memory stores, for unit tests of the orchestrator (up,
// run, down, lock waits, recovery) without a server, as golang-migrate tests
// its orchestrator on a stub driver. The stores keep the contracts of
// store/lock_store.h and store/log_store.h (the lock store passes the same
// conformance suite as the MongoDB one); the target records the commands it
// is sent.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/import_plan.h"
#include "mongomigrate/migrator.h"
#include "store/log_store.h"
#include "store/target.h"
#include "support/memory_lock_store.h"

namespace mongomigrate::testing {

// The log in memory: records and events, claims and fenced writes as the
// MongoDB store makes them.
class MemoryLogStore : public store::LogStore {
 public:
  Result<std::vector<core::LogRecord>> load() override;
  Result<std::optional<core::LogRecord>> find(const std::string& name) override;
  // As the MongoDB store: kRefused while a name has two records.
  Result<void> ensure_indexes() override;
  Result<store::Claim> claim_run(const core::Migration& migration, const store::ClaimRequest& request) override;
  Result<void> finish_applied(const core::Migration& migration, const store::Claim& claim, const std::string& by,
                              TimestampMs applied_at, std::int64_t duration_ms) override;
  Result<void> finish_failed(const core::Migration& migration, const store::Claim& claim, const std::string& error,
                             std::int64_t duration_ms) override;
  Result<store::Claim> claim_revert(const core::Migration& migration, const store::ClaimRequest& request) override;
  Result<void> finish_reverted(const core::Migration& migration, const store::Claim& claim, const std::string& by,
                               TimestampMs reverted_at) override;
  Result<void> note_revert_failed(const core::Migration& migration, const store::Claim& claim,
                                  const std::string& error) override;
  Result<void> release_claim(const store::Claim& claim, const store::ClaimRequest& request) override;
  Result<void> set_status(const std::string& name, const core::Migration* migration, const std::string& status,
                          TimestampMs at, const store::ClaimRequest& request) override;
  InsertedApplied insert_applied(std::span<const core::Migration* const> migrations, TimestampMs at,
                                 const std::string& by) override;
  Result<void> set_metadata(const store::Claim& claim, const std::string& key, const Value& value) override;
  Result<std::optional<Document>> load_checkpoint(const std::string& name) override;
  Result<void> append_event(const HistoryEvent& event) override;
  Result<void> append_events(std::span<const HistoryEvent> events) override;
  Result<std::vector<HistoryEvent>> history(int limit) override;

  // For tests: the record of `name` (status "" if none), all events, and a
  // record put in place as another runner or an operator would leave it.
  core::LogRecord record(const std::string& name) const;
  std::vector<HistoryEvent> events() const;
  void put(core::LogRecord record);
  // How many writes of records were made (claims and fenced writes).
  int record_writes() const;
  // The names of every record claimed (claims that landed, in order, the
  // chained ones included).
  std::vector<std::string> claimed() const;
  // Called after each insert_applied() (to act between baseline's batches).
  std::function<void()> after_insert_applied;
  // Asked before each record insert_applied() inserts: an error stops the
  // write there with it, as a server's write error on that record would
  // (FerretDB 2 has no way to fail one record of many on demand).
  std::function<std::optional<Error>(const std::string& name)> insert_applied_error;
  // Called at the start of each set_status(), with the name (to act between
  // mark's lease check and its write).
  std::function<void(const std::string&)> before_set_status;
  // Called after each set_status() that landed, with the name (to act
  // between mark's or import's writes).
  std::function<void(const std::string&)> after_set_status;

 private:
  using Change = std::function<void(core::LogRecord&)>;
  Result<store::Claim> claim(const std::string& name, const store::ClaimRequest& request, const Change& change,
                             const std::string& context);
  Result<void> fenced(const store::Claim& claim, const Change& change, const std::string& context);
  core::LogRecord* by_id(const std::string& id);

  mutable std::mutex mutex_;
  std::vector<core::LogRecord> records_;
  std::vector<HistoryEvent> events_;
  int next_id_ = 1;
  int record_writes_ = 0;
  std::vector<std::string> claimed_;
  std::map<std::string, Document> checkpoints_;  // metadata.checkpoint, by record name
};

// The target database: records each command it is sent (as JSON); a command
// whose JSON contains "\"fail\"" fails as a migration's command does.
class RecordingTarget final : public store::Target {
 public:
  Result<void> run_migration_command(const core::Command& command) override;
  // C++ migrations need a real database: kDatabase.
  Result<std::unique_ptr<store::BodyContext>> open_context(store::ContextRequest request) override;
  std::vector<std::string> commands() const;
  // Called with each command's JSON before it runs (to act mid-run).
  std::function<void(const std::string&)> on_command;

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> commands_;
};

struct MemoryDatabase {
  // Other tools' collections for `import`, by name (none: no such collection).
  std::map<std::string, std::vector<core::MigrateMongoRecord>> migrate_mongo;
  std::map<std::string, std::vector<core::GolangMigrateRecord>> golang_migrate;
  // Their own locks: lock collection -> who holds it (absent: not held).
  std::map<std::string, std::string> foreign_locks;
  // Called before each look at foreign_locks (a test takes their lock between two).
  std::function<void()> before_foreign_lock_check;
  std::shared_ptr<MemoryLock> lock = std::make_shared<MemoryLock>();
  // Shared by every Migrator made on this database.
  std::shared_ptr<MemoryLogStore> log = std::make_shared<MemoryLogStore>();
  std::shared_ptr<RecordingTarget> target = std::make_shared<RecordingTarget>();
  // The server's maxBsonObjectSize, if the test gives one.
  std::optional<std::size_t> max_command_bytes;
  // Where `up` and `down` write events while the next migration runs
  // (Seams::open_events); empty: in line, to `log`.
  std::function<Result<std::unique_ptr<store::LogStore>>()> open_events;
};

}  // namespace mongomigrate::testing

namespace mongomigrate {

struct MigratorTesting {
  // A Migrator on `db`'s stores and target (which must outlive it), reading
  // migrations from options.directory.
  static Migrator make(MigratorOptions options, testing::MemoryDatabase& db);
};

}  // namespace mongomigrate
