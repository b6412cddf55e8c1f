// The program's compiled-in migrations, filled by MONGOMIGRATE_MIGRATION at
// static-initialisation time and read-only after main() starts (the catalog
// keeps pointers into it).
#include "mongomigrate/migration.h"

namespace mongomigrate {
namespace {

std::vector<CompiledMigration>& registry() {
  static std::vector<CompiledMigration> migrations;
  return migrations;
}

}  // namespace

bool register_migration(CompiledMigration migration) {
  registry().push_back(std::move(migration));
  return true;
}

const std::vector<CompiledMigration>& compiled_migrations() { return registry(); }

}  // namespace mongomigrate
