// The compiled-in source: C++ migrations registered in this program, and
// merging them with the directory's JSON migrations into one catalog.
#pragma once

#include <vector>

#include "core/planner.h"
#include "mongomigrate/error.h"
#include "mongomigrate/migration.h"

namespace mongomigrate::source {

// The registered migrations as catalog entries, sorted; kBadInput for an
// invalid or repeated name.
Result<core::Catalog> load_compiled(const std::vector<CompiledMigration>& registered);

// One catalog in run order. Two migrations whose names differ only in their
// extension (004-x.json and 004-x.cc) are the same migration twice: refused
// with both sources named.
Result<core::Catalog> merge_catalogs(core::Catalog files, core::Catalog compiled);

}  // namespace mongomigrate::source
