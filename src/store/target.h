// The seam to the target database as a JSON migration's commands reach it.
// The MongoDB implementation is mongo::Client; tests/support has a recording
// fake.
//
// Contract: run_migration_command() sends one command and reports it as
// MongoDB counts it: success only if the reply has ok:1 and no writeErrors or
// writeConcernError (such a failure is kMigrationFailed, the migration's own
// failure, recorded); a server that cannot be reached is kDatabase (the run
// stops, the migration stays `running` as evidence).
#pragma once

#include "core/migration.h"
#include "mongomigrate/error.h"

namespace mongomigrate::store {

class Target {
 public:
  virtual ~Target() = default;
  virtual Result<void> run_migration_command(const core::Command& command) = 0;
};

}  // namespace mongomigrate::store
