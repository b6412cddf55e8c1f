// The seam to the target database, where a migration's `up` and `down` run.
// The MongoDB implementation is mongo/migration_context.h (MongoTarget);
// tests/support has a recording fake.
//
// Contract:
// - run_migration_command() sends one JSON migration command and reports it
//   as MongoDB counts it: success only if the reply has ok:1 and no
//   writeErrors or writeConcernError (such a failure is kMigrationFailed, the
//   migration's own failure, recorded); a server that cannot be reached is
//   kDatabase (the run stops, the migration stays `running` as evidence).
// - open_context() gives a C++ migration's body its Context. Every helper of
//   the Context throws MigrationError on failure; a lost connection is also
//   kept as transport_error(), so the runner reports it as a database error
//   rather than as the migration's failure. Batch progress and checkpoints
//   are written to the claimed record through `log` (fenced by the claim).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>

#include "core/migration.h"
#include "mongomigrate/error.h"
#include "mongomigrate/migration.h"
#include "mongomigrate/report.h"
#include "store/log_store.h"

namespace mongomigrate::store {

struct ContextHooks {
  std::function<void(const BatchProgress&)> on_batch;
  std::function<void(std::string_view)> on_log;
  const std::atomic<int>* stop = nullptr;
};

// What a C++ migration's body runs with.
class BodyContext : public Context {
 public:
  // The connection was lost while the body ran (then its failure is not its own).
  virtual const std::optional<Error>& transport_error() const = 0;
};

struct ContextRequest {
  const core::Migration& migration;
  Claim claim;       // the record the runner claimed, where progress goes
  LogStore& log;
  ContextHooks hooks;
  // metadata.checkpoint of an earlier, unfinished run (resume), or nullopt
  // to start from the beginning.
  std::optional<Document> checkpoint;
  bool save_checkpoints = true;  // false for a `down`, which always runs whole
};

class Target {
 public:
  virtual ~Target() = default;
  virtual Result<void> run_migration_command(const core::Command& command) = 0;
  virtual Result<std::unique_ptr<BodyContext>> open_context(ContextRequest request) = 0;
};

}  // namespace mongomigrate::store
