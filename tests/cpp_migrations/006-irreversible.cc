// Test migration: irreversible; records that it ran.
#include "control.h"

static void up(mongomigrate::Context& ctx) { test_migrations::trail(ctx, "006-irreversible.cc"); }

MONGOMIGRATE_IRREVERSIBLE("Test: cannot be undone", up);
