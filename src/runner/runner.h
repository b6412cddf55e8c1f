// Executes migrations and records what happened: the only code that writes
// the tracking log. With a journal (JournalWriter), a JSON migration that has
// no record yet costs one tracking write besides its own commands: the
// journal's claim, inserted into the lock collection, that marks it starting
// (and carries the outcome before it); outcomes and events reach the log in batched
// inserts. Otherwise three: mark running, record the outcome, append the event.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "core/migration.h"
#include "mongo/client.h"
#include "mongo/tracking_store.h"
#include "mongomigrate/migrator.h"
#include "runner/journal_writer.h"

namespace mongomigrate::runner {

// Who is running: recorded with every event.
struct RunnerIdentity {
  std::string actor;  // --by
  std::string host;
  std::int64_t pid = 0;

  static RunnerIdentity current(std::string actor);
};

// What a run reports to and takes from its caller.
struct RunnerHooks {
  ProgressCallback on_progress;
  std::function<void(const BatchProgress&)> on_batch;
  std::function<void(std::string_view)> on_log;
  // May be null; asks the runner to stop between commands or batches (see
  // MigratorOptions::stop).
  const std::atomic<int>* stop = nullptr;
  // C++ migrations: ignore a batch checkpoint and start over.
  bool restart = false;
};

class Runner {
 public:
  // `lock_owner` is the lease this runner holds; `journal` (may be null) the
  // journal kept on it.
  Runner(mongo::Client& client, mongo::TrackingStore& store, RunnerIdentity identity, std::string lock_owner,
         RunnerHooks hooks, JournalWriter* journal = nullptr);

  // Marks running (refused if the record's status is in `refuse_statuses`),
  // runs `up`, records the outcome and the event. A failing command yields a
  // kFailed step (recorded); losing the server yields an Error and leaves the
  // record `running` as evidence. `has_record`: whether the caller's last
  // read of the log (under the lease) found a record for it.
  Result<StepReport> apply(const core::Migration& migration,
                           const std::vector<std::string>& refuse_statuses, bool has_record);

  // Marks an applied migration (or one whose revert was interrupted)
  // running, reverting; with a journal, checks the lease is still ours; runs
  // its `down` and records it reverted. A failed or stopped `down`, or a lost
  // server, leaves it `running` (a failure also records its error): it may
  // have half run.
  Result<StepReport> revert(const core::Migration& migration);

 private:
  // Runs `commands` in order; the first failure's message, or "". A stop
  // request between two commands is a failure ("interrupted by signal N").
  Result<std::string> run_commands(const std::vector<core::Command>& commands);
  // Runs a compiled migration's `up` or `down`; its exception's message, or "".
  // `fresh`: its record was just created, so it has no checkpoint to resume.
  Result<std::string> run_body(const core::Migration& m, bool down, bool fresh);
  // JSON commands or compiled body, whichever `m` has.
  Result<std::string> execute(const core::Migration& m, bool down, bool fresh = false);
  // apply() through the journal: a JSON migration with no record.
  Result<StepReport> apply_journaled(const core::Migration& m);
  HistoryEvent event_of(const core::Migration& m, const char* action, std::int64_t duration_ms,
                        const std::string& error) const;
  Result<void> record_event(const core::Migration& m, const char* action, std::int64_t duration_ms,
                            const std::string& error);
  void notify(ProgressEvent::Kind kind, const StepReport& step) const;

  mongo::Client& client_;
  mongo::TrackingStore& store_;
  RunnerIdentity identity_;
  std::string lock_owner_;
  RunnerHooks hooks_;
  JournalWriter* journal_;
};

}  // namespace mongomigrate::runner
