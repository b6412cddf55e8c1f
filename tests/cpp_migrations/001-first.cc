// Test migration: records that it ran (trail) and undoes that on `down`.
#include "control.h"

static void up(mongomigrate::Context& ctx) { test_migrations::trail(ctx, "001-first.cc"); }
static void down(mongomigrate::Context& ctx) { test_migrations::untrail(ctx, "001-first.cc"); }

MONGOMIGRATE_MIGRATION("Test: first compiled migration", up, down);
