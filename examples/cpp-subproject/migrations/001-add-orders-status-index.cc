// The subproject's one migration: an index on orders by status.
#include <mongomigrate/migration.h>

using namespace mongomigrate;

static void up(Context& ctx) { ctx.create_index("orders", Doc{{"status", 1}}, "status_1"); }

static void down(Context& ctx) { ctx.drop_index("orders", "status_1"); }

MONGOMIGRATE_MIGRATION("Index orders by status", up, down);
