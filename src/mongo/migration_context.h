// The Context a C++ migration's body runs with: the helpers of
// mongomigrate/migration.h over mongo/data_ops.h, with progress, stop
// requests and resumable batch checkpoints.
//
// Contract: every helper throws MigrationError on failure. A lost
// connection is remembered (transport_error()) so the runner reports it as a
// database error, not as the migration's failure. Batch checkpoints are
// saved in the log record's metadata.checkpoint after every batch; a
// Context created with a checkpoint resumes the same for_each_batch call
// (by its position in the body) after the last completed batch.
// The target database on MongoDB (store/target.h): JSON commands go to the
// Client, and a C++ migration's body gets a MigrationContext, the helpers of
// mongomigrate/migration.h over mongo/data_ops.h, with progress, stop
// requests and resumable batch checkpoints.
//
// Contract (beyond store/target.h's): batch checkpoints are saved in the
// record's metadata.checkpoint after every batch, by a write fenced by the
// runner's claim; a Context created with a checkpoint resumes the same
// for_each_batch call (by its position in the body) after the last
// completed batch.
#pragma once

#include <optional>

#include "core/migration.h"
#include "mongo/client.h"
#include "mongomigrate/migration.h"
#include "mongomigrate/report.h"
#include "store/target.h"

namespace mongomigrate::mongo {

class MongoTarget final : public store::Target {
 public:
  explicit MongoTarget(Client& client) : client_(client) {}
  Result<void> run_migration_command(const core::Command& command) override {
    return client_.run_migration_command(command);
  }
  Result<std::unique_ptr<store::BodyContext>> open_context(store::ContextRequest request) override;

 private:
  Client& client_;
};

class MigrationContext final : public store::BodyContext {
 public:
  MigrationContext(Client& client, store::ContextRequest request);

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
  T value_or_throw(Result<T> result);
  void check_or_throw(Result<void> result);

  Client& client_;
  store::LogStore& store_;
  store::Claim claim_;
  const core::Migration& migration_;
  store::ContextHooks hooks_;
  std::optional<Document> checkpoint_;
  bool save_checkpoints_;
  int batch_calls_ = 0;
  std::optional<Error> transport_error_;
};

}  // namespace mongomigrate::mongo
