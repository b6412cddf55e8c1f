// Test migration: records that it ran (trail) and undoes that on `down`.
#include "control.h"

static void up(mongomigrate::Context& ctx) { test_migrations::trail(ctx, "002-second.cc"); }
static void down(mongomigrate::Context& ctx) { test_migrations::untrail(ctx, "002-second.cc"); }

MONGOMIGRATE_MIGRATION("Test: second compiled migration", up, down);
