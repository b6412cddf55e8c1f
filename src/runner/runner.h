// Executes migrations and records what happened: the only code that writes
// a migration's record while running it. Three tracking writes per migration
// besides its own commands (store/log_store.h): the claim that marks it
// `running` under this runner's lease owner id, the outcome (fenced by that
// owner id), the event. The log is never behind: a reader sees `running`
// before the first command and the outcome as soon as it is known. In a
// sequence (`up`), one migration's outcome and the next one's claim go in
// one command, and the event on a connection of its own.
#pragma once

#include <atomic>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/migration.h"
#include "mongomigrate/options.h"
#include "runner/event_sender.h"
#include "store/log_store.h"
#include "store/target.h"

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
  // Whether the lease is already known lost (no I/O; may be empty): then
  // an outcome is written alone, without the next migration's claim.
  std::function<bool()> lease_lost;
};

// Starts a check that the lease is still this runner's, made on another
// connection; the future waits for it: kLockLost (saying why) unless it is.
using LeaseCheck = std::function<std::future<Result<void>>()>;

class Runner {
 public:
  // Migrations run on `target` and are recorded in `store`. `lock_owner` is
  // the owner id of the lease this runner holds; `check_lease` is started
  // with each claim and waited for before the first command. With `open_events`, events
  // are written by an EventSender on a connection of its own while the next
  // migration runs (finish_events() waits for them); without, in line.
  Runner(store::Target& target, store::LogStore& store, RunnerIdentity identity, std::string lock_owner,
         RunnerHooks hooks, LeaseCheck check_lease, EventSender::StoreOpener open_events = {});
  ~Runner();
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;

  // Waits until every event of this runner is written; the first failure
  // not reported yet (each is reported once). The destructor waits too, and
  // ignores failures: a caller that ends a run early calls this first.
  Result<void> finish_events();

  // Claims the migration (`seen`: its record as read under the lease, if
  // any; refused if its status is in `refuse_statuses`), checks the lease is
  // still ours, runs `up`, records the outcome and the event. A failing
  // command yields a kFailed step (recorded); losing the server yields an
  // Error and leaves the record `running` as evidence; a lease lost before
  // the first command yields kLockLost, runs nothing and gives the claim
  // back (store::LogStore::release_claim).
  // `next`: the migration the caller applies right after this one, which
  // has no record. If this one is applied and no stop was asked for, next's
  // claim is written with this one's outcome (one round trip), the runner
  // holds it, and apply(next) starts from it instead of claiming.
  Result<StepReport> apply(const core::Migration& migration, const std::vector<std::string>& refuse_statuses,
                           const std::optional<core::LogRecord>& seen, const core::Migration* next = nullptr);

  // Gives back a claim apply() made for a next migration the caller did not
  // apply (it stopped first): its record is deleted, as if never claimed.
  // Nothing to do without one. The destructor does it too, ignoring failure.
  Result<void> give_back_held_claim();

  // Claims an applied migration (or one whose revert was interrupted),
  // `seen` as read under the lease, as running, reverting; checks the lease
  // is still ours (if not, gives the claim back and runs nothing, kLockLost);
  // runs its `down` and records it reverted. A failed or
  // stopped `down`, or a lost server, leaves it `running` (a failure also
  // records its error): it may have half run. With background events, the
  // event goes while the caller's next revert runs, as for apply().
  Result<StepReport> revert(const core::Migration& migration, const core::LogRecord& seen);

 private:
  // Runs `commands` in order; the first failure's message, or "". A stop
  // request between two commands is a failure ("interrupted by signal N").
  Result<std::string> run_commands(const std::vector<core::Command>& commands);
  // A compiled migration's Context, its checkpoint loaded (`fresh`: its
  // record was just created, so it has none) or cleared (--restart);
  // nullptr for JSON commands. Nothing of the migration has run yet, so a
  // failure here leaves nothing to keep as evidence.
  Result<std::unique_ptr<store::BodyContext>> open_body(const core::Migration& m, const store::Claim& claim,
                                                        bool down, bool fresh);
  // Runs the JSON commands, or the compiled body in `body`: the failure's
  // message (an exception's), or "".
  Result<std::string> execute(const core::Migration& m, store::BodyContext* body, bool down);
  // `why`, after the claim of a migration that did not start was given back
  // (or, failing that, saying the record `stays` as it is).
  Error give_back(Error why, const store::Claim& claim, const store::ClaimRequest& request, std::string_view stays);
  // The outcome of an applied migration; with `next`, and no stop asked
  // for, together with next's claim, which held_ then keeps.
  Result<void> record_applied(const core::Migration& m, const store::Claim& claim, std::int64_t duration_ms,
                              const core::Migration* next);
  // A check of the lease, started before a claim (none: always ours).
  std::future<Result<void>> start_lease_check();
  // After the claim: kLockLost unless `check` found the lease still ours,
  // saying what stays recorded.
  static Result<void> lease_held(std::future<Result<void>>& check, const std::string& what_stays);
  // A claim's failure: kLockLost (from `check`) when it was refused because
  // the lease was lost, else `failed` as it is.
  static Error claim_failed(Error failed, std::future<Result<void>>& check, const std::string& what_stays);
  // The error of a run whose previous event failed, once `m` is recorded
  // `recorded_as`: `own_event` is written here and now (not queued behind
  // the one that failed) and the message says what is missing.
  Error recorded_but(const core::Migration& m, const char* recorded_as, Error events_failed,
                     const HistoryEvent& own_event);
  HistoryEvent event_of(const core::Migration& m, const char* action, std::int64_t duration_ms,
                        const std::string& error) const;
  Result<void> record_event(const core::Migration& m, const char* action, std::int64_t duration_ms,
                            const std::string& error);
  void notify(ProgressEvent::Kind kind, const StepReport& step) const;

  // A claim written with the previous migration's outcome, and its lease check.
  struct HeldClaim {
    store::Claim claim;
    store::ClaimRequest request;
    std::future<Result<void>> lease_check;
  };

  store::Target& target_;
  store::LogStore& store_;
  RunnerIdentity identity_;
  std::string lock_owner_;
  RunnerHooks hooks_;
  LeaseCheck check_lease_;
  std::unique_ptr<EventSender> events_;  // null: events are written in line
  std::optional<HeldClaim> held_;
};

}  // namespace mongomigrate::runner
