// Pure decisions of the recovery commands and of every reader of the log:
// what `baseline` may record, and which names a legacy log holds twice.
// No I/O; unit-tested without a server.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/log_record.h"
#include "core/planner.h"

namespace mongomigrate::core {

// One migration `baseline` records applied: `seen` is its record as read
// (nullopt: it has none, and a new record is inserted).
struct BaselineStep {
  const Migration* migration = nullptr;
  std::optional<LogRecord> seen;
};

// What `baseline <target>` would do. A record up to the target that is not
// applied (failed, interrupted, reverted, pending, or a status word this tool
// does not know) is evidence of something else than "already in the
// database": it is only recorded applied with `include_unfinished` (the
// operator has checked). An interrupted revert (running, reverting) may be
// half reverted and is never recorded applied: `down` or `run` finishes it.
struct BaselinePlan {
  std::vector<BaselineStep> steps;       // in run order; applied ones are left out
  std::vector<std::string> unfinished;   // "name (status)", when not included
  std::vector<std::string> reverting;    // interrupted reverts (always refused)
  // `running` under a live lease not the caller's: another runner's, whose
  // outcome is not known yet; judged under the lock, once it is.
  std::vector<std::string> running_elsewhere;
  // Why the plan may not be carried out ("" if it may): one sentence
  // naming every blocking record and what to do.
  std::string refusal;
};

// `target` must be in `catalog`. `runners` says whose lease is live: a
// `running` record of the live lease's owner is running elsewhere (before
// the lock is taken); any other is interrupted (under the caller's own
// lease, every other runner's).
BaselinePlan plan_baseline(const Catalog& catalog, const std::vector<LogRecord>& records, std::string_view target,
                           bool include_unfinished, const RunnerState& runners = {});

// A name the log holds more than once (the original system's old schema had
// no unique index on `name`): its records, in the log's order.
struct DuplicateName {
  std::string name;
  std::vector<const LogRecord*> records;
};
std::vector<DuplicateName> find_duplicates(const std::vector<LogRecord>& records);

// One sentence for `collection`: each duplicated name with its records'
// _ids and statuses, the one to keep (the applied one applied last, else
// the newest) and that the others are the stale ones to delete.
std::string duplicates_problem(const std::vector<DuplicateName>& duplicates, std::string_view collection);

}  // namespace mongomigrate::core
