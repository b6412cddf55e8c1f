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
#pragma once

#include <atomic>
#include <functional>
#include <optional>

#include "core/migration.h"
#include "mongo/client.h"
#include "mongomigrate/migration.h"
#include "mongomigrate/report.h"
#include "store/log_store.h"

namespace mongomigrate::runner {

struct ContextHooks {
  std::function<void(const BatchProgress&)> on_batch;
  std::function<void(std::string_view)> on_log;
  const std::atomic<int>* stop = nullptr;
};

class MigrationContext final : public Context {
 public:
  // `checkpoint`: metadata.checkpoint of an earlier, unfinished run (resume),
  // or nullopt to start from the beginning. `save_checkpoints`: false for a
  // `down`, which always runs whole.
  // `claim`: the record the runner claimed, where progress is written.
  MigrationContext(mongo::Client& client, store::LogStore& store, store::Claim claim,
                   const core::Migration& migration, ContextHooks hooks, std::optional<Document> checkpoint,
                   bool save_checkpoints);

  const std::string& database() const override;
  Document command(const Value& command) override;
  void create_index(std::string_view collection, const Value& keys, std::string_view name,
                    const Value& options) override;
  void drop_index(std::string_view collection, std::string_view name) override;
  UpdateResult update_many(std::string_view collection, const Value& filter, const Value& update) override;
  std::int64_t insert_many(std::string_view collection, const std::vector<Value>& documents) override;
  BatchResult for_each_batch(const BatchQuery& query, const BatchFunction& fn) override;
  void log(std::string_view message) override;

  const std::optional<Error>& transport_error() const { return transport_error_; }

 private:
  // The value, or throws MigrationError (remembering a transport error).
  template <class T>
  T value_or_throw(Result<T> result);
  void check_or_throw(Result<void> result);

  mongo::Client& client_;
  store::LogStore& store_;
  store::Claim claim_;
  const core::Migration& migration_;
  ContextHooks hooks_;
  std::optional<Document> checkpoint_;
  bool save_checkpoints_;
  int batch_calls_ = 0;
  std::optional<Error> transport_error_;
};

}  // namespace mongomigrate::runner
