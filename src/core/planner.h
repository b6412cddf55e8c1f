// Pure decisions: given the migrations on disk and the tracking log, what
// state is each one in, what should `up` do, what does validation find.
// No I/O; everything here is unit-tested without a server.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/log_record.h"
#include "core/migration.h"
#include "mongomigrate/error.h"
#include "mongomigrate/report.h"

namespace mongomigrate::core {

// Migrations sorted in run order, names unique (the source guarantees both).
using Catalog = std::vector<Migration>;

// What the planner knows about runners: whether a live lease exists. Without
// one, a record left `running` is the evidence of a crash (interrupted).
struct RunnerState {
  bool live_lease = false;
  std::string lease_owner;  // of the live lease
};

// The reported status of a log record (none: never run -> pending). A
// `running` record is kRunning only while the lease of the runner that wrote
// it is live; otherwise that runner is gone: kInterrupted.
MigrationStatus status_of(const LogRecord* record, const RunnerState& runners);

// Why a record whose status is `word`, none this tool knows
// (MigrationStatus::kUnknown), blocks `up` and `run`, and how to settle it.
std::string unknown_status_reason(std::string_view name, std::string_view word);

// Whether `up` applies a migration in this status (pending, reverted).
bool is_runnable_by_up(MigrationStatus status);

struct UpPlan {
  std::vector<const Migration*> to_apply;  // in order
  // The first failed/interrupted migration; nothing after it is planned.
  std::optional<std::string> blocked_by;
  std::string blocked_reason;
  MigrationStatus blocked_status = MigrationStatus::kPending;  // when blocked_by is set
  // The planned ones that sort before the newest applied migration: `up`
  // applies them out of order (with a warning; refused in strict order).
  std::vector<const Migration*> out_of_order;
};

// `records` may be in any order and may name migrations that have no file.
// `last` (`up --to`): nothing after that name is planned (nor blocks).
UpPlan plan_up(const Catalog& catalog, const std::vector<LogRecord>& records,
               const RunnerState& runners, std::string_view last = {});

StatusReport build_status(const Catalog& catalog, const std::vector<LogRecord>& records,
                          const RunnerState& runners);

// Modified, missing, failed and interrupted migrations are issues.
ValidateReport build_validation(const StatusReport& status);

// `status --exit-code`: 0 when every migration is applied and valid; 1 when
// any is failed, interrupted, modified, missing or invalid (a problem); else 5 when
// work is left that `up` would do (pending, reverted) or a live runner is
// doing now (running).
int status_exit_code(const StatusReport& status);

// What `down` is asked to revert. Names are exact (resolved) names.
struct DownRequest {
  enum class Kind {
    kOne,    // `name` alone; refused under later applied ones unless `force`
    kLast,   // the newest `count` applied ones
    kAfter,  // every applied one after `name` (which is kept, applied or not)
  } kind = Kind::kLast;
  std::string name;
  int count = 1;
  bool force = false;
  std::string directory;  // for messages
};

// What `down` reverts, newest first, or why it reverts nothing at all: a
// missing file (kBadInput), an irreversible or not applied migration, later
// applied ones (kOne), an interrupted one in the way (kRefused), a count
// below 1 (kUsage). kLast reverts fewer than `count` when fewer are applied.
struct DownPlan {
  std::vector<const Migration*> to_revert;
  std::optional<Error> refusal;
};
DownPlan plan_down(const Catalog& catalog, const std::vector<LogRecord>& records, const RunnerState& runners,
                   const DownRequest& request);
// Adds one migration in `status` to the summary's total and its status's count.
void count_status(StatusSummary& summary, MigrationStatus status);

// The migration with this name, or nullptr.
const Migration* find_migration(const Catalog& catalog, std::string_view name);

}  // namespace mongomigrate::core
