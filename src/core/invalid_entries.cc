#include "core/invalid_entries.h"

#include <algorithm>

#include "core/names.h"
#include "core/planner.h"

namespace mongomigrate::core {

void add_invalid_entries(StatusReport& status, const std::vector<InvalidMigration>& invalid) {
  if (invalid.empty()) return;
  auto by_name = [](const MigrationState& a, const MigrationState& b) { return runs_before(a.name, b.name); };
  for (const InvalidMigration& entry : invalid) {
    MigrationState probe;
    probe.name = entry.name;
    auto it = std::lower_bound(status.migrations.begin(), status.migrations.end(), probe, by_name);
    if (it == status.migrations.end() || it->name != entry.name) it = status.migrations.insert(it, probe);
    // A record without a file was "missing"; the file is there, only broken.
    std::erase(status.missing, entry.name);
    it->has_file = true;
    it->modified = false;
    it->status = MigrationStatus::kInvalid;
    it->error = entry.error;
  }
  status.summary = {};
  for (const MigrationState& m : status.migrations) count_status(status.summary, m.status);
}

void add_invalid_issues(ValidateReport& validation, const StatusReport& status) {
  for (const MigrationState& m : status.migrations) {
    if (m.status == MigrationStatus::kInvalid) validation.issues.invalid.push_back({m.name, m.error});
  }
  if (!validation.issues.invalid.empty()) validation.valid = false;
}

}  // namespace mongomigrate::core
