// The target database on MongoDB (store/target.h): JSON commands go to the
// Client, and a C++ migration's body gets a MigrationContext, the helpers of
// mongomigrate/migration.h over mongo/data_ops.h, with progress, stop
// requests and resumable batch checkpoints.
//
// Contract (beyond store/target.h's): batch checkpoints are saved in the
// record's metadata.checkpoint after every batch (mongo/batch_checkpoint.h),
// by a write fenced by the runner's claim; a Context created with a
// checkpoint resumes the same for_each_batch call (by its position in the
// body) after the last completed batch, or, for a parallel call, every
// partition recorded after its own last completed batch. A parallel call's
// workers open their own connections with the ClientOpener; while they run,
// the Context refuses calls from any thread but the body's.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <thread>

#include "core/migration.h"
#include "mongo/batch_checkpoint.h"
#include "mongo/client.h"
#include "mongomigrate/migration.h"
#include "mongomigrate/report.h"
#include "store/target.h"

namespace mongomigrate::mongo {

// Opens another connection to the target database (a parallel batch call's
// workers: a libmongoc client is single-threaded).
using ClientOpener = std::function<Result<Client>()>;

class MongoTarget final : public store::Target {
 public:
  MongoTarget(Client& client, ClientOpener open_client) : client_(client), open_client_(std::move(open_client)) {}
  Result<void> run_migration_command(const core::Command& command) override {
    return client_.run_migration_command(command);
  }
  Result<std::unique_ptr<store::BodyContext>> open_context(store::ContextRequest request) override;

 private:
  Client& client_;
  ClientOpener open_client_;
};

class MigrationContext final : public store::BodyContext {
 public:
  // Each worker holds a connection: more than this is refused.
  static constexpr int kMaxParallel = 64;

  MigrationContext(Client& client, ClientOpener open_client, store::ContextRequest request);

  const std::string& database() const override;
  Document command(const Value& command) override;
  void create_index(std::string_view collection, const Value& keys, std::string_view name,
                    const Value& options) override;
  void drop_index(std::string_view collection, std::string_view name) override;
  UpdateResult update_many(std::string_view collection, const Value& filter, const Value& update) override;
  std::int64_t insert_many(std::string_view collection, const std::vector<Value>& documents) override;
  BatchResult for_each_batch(const BatchQuery& query, const BatchFunction& fn) override;
  void log(std::string_view message) override;

  const std::optional<Error>& transport_error() const override { return transport_error_; }

 private:
  // The value, or throws MigrationError (remembering a transport error).
  template <class T>
  T value_or_throw(Result<T> result) {
    if (result) return std::move(*result);
    if (result.error().kind == ErrorKind::kDatabase) transport_error_ = result.error();
    throw MigrationError(result.error().message);
  }
  void check_or_throw(Result<void> result);
  // Throws while a parallel call's workers run, unless on the body's thread.
  void require_body_thread() const;
  // `recorded`: the checkpoint this call resumes (for its number and query).
  BatchResult run_sequential(const BatchQuery& query, const BatchFunction& fn, int call, const std::string& fingerprint,
                             const std::optional<Document>& recorded);
  // `recorded`: the partitions of an interrupted run (nullopt: split afresh).
  BatchResult run_parallel(const BatchQuery& query, const BatchFunction& fn, int call, const std::string& fingerprint,
                           std::optional<std::vector<PartitionProgress>> recorded);
  std::vector<PartitionProgress> split(const BatchQuery& query);
  void save_totals(int call, const BatchResult& totals, const Value& partitions = Value());
  // What a run stopped by a signal does when run again, for its message.
  std::string when_run_again() const;
  void report_progress(const BatchResult& totals, std::int64_t total, std::chrono::steady_clock::time_point start,
                       bool resumed);

  Client& client_;
  ClientOpener open_client_;
  store::LogStore& store_;
  store::Claim claim_;
  const core::Migration& migration_;
  store::ContextHooks hooks_;
  std::optional<Document> checkpoint_;
  bool save_checkpoints_;
  int batch_calls_ = 0;
  std::optional<Error> transport_error_;
  std::optional<std::thread::id> workers_running_;  // the body's thread, while they run
};

}  // namespace mongomigrate::mongo
