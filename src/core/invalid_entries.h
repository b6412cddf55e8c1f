// Invalid directory entries (core::InvalidMigration) in what the reading
// operations report: they are listed, never a reason to refuse the read.
// Kept apart from the planner, which plans only valid migrations.
#pragma once

#include <vector>

#include "core/migration.h"
#include "mongomigrate/report.h"

namespace mongomigrate::core {

// Each entry becomes a `kInvalid` migration in run order, with its error. An
// entry the log has a record for (a file applied, then broken) keeps the
// record's times and actors but is shown invalid, not missing. The summary
// is counted again.
void add_invalid_entries(StatusReport& status, const std::vector<InvalidMigration>& invalid);

// Every `kInvalid` migration of `status` as a validation issue (not valid).
void add_invalid_issues(ValidateReport& validation, const StatusReport& status);

}  // namespace mongomigrate::core
