// The seed's Example 3: a compound index for a firm's cases by status, newest first.
#include <mongomigrate/migration.h>

using namespace mongomigrate;

static void up(Context& ctx) {
  ctx.create_index("cases", Doc{{"firmId", 1}, {"status", 1}, {"createdAt", -1}}, "idx_firm_status_created");
}

static void down(Context& ctx) { ctx.drop_index("cases", "idx_firm_status_created"); }

MONGOMIGRATE_MIGRATION("Index cases by firm, status and creation date", up, down);
