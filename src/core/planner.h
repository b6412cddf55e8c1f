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

// Whether `up` applies a migration in this status (pending, reverted).
bool is_runnable_by_up(MigrationStatus status);

struct UpPlan {
  std::vector<const Migration*> to_apply;  // in order
  // The first failed/interrupted migration; nothing after it is planned.
  std::optional<std::string> blocked_by;
  std::string blocked_reason;
  MigrationStatus blocked_status = MigrationStatus::kPending;  // when blocked_by is set
};

// `records` may be in any order and may name migrations that have no file.
UpPlan plan_up(const Catalog& catalog, const std::vector<LogRecord>& records,
               const RunnerState& runners);

StatusReport build_status(const Catalog& catalog, const std::vector<LogRecord>& records,
                          const RunnerState& runners);

ValidateReport build_validation(const StatusReport& status);

// Adds one migration in `status` to the summary's total and its status's count.
void count_status(StatusSummary& summary, MigrationStatus status);

// The migration with this name, or nullptr.
const Migration* find_migration(const Catalog& catalog, std::string_view name);

}  // namespace mongomigrate::core
