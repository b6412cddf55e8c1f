// Test migration: with control {_id: "003-throws", message: M} it writes a
// document to `side` and throws std::runtime_error(M); with
// {_id: "003-throws", throwInt: true} it throws an int.
#include <stdexcept>

#include "control.h"

using namespace mongomigrate;

static void up(Context& ctx) {
  test_migrations::trail(ctx, "003-throws.cc");
  std::optional<Document> c = test_migrations::control(ctx, "003-throws");
  if (!c) return;
  ctx.insert_many("side", {Doc{{"_id", "written before the throw"}}});
  if (c->boolean("throwInt") == true) throw 42;
  throw std::runtime_error(std::string(c->string("message").value_or("boom")));
}

static void down(Context& ctx) { test_migrations::untrail(ctx, "003-throws.cc"); }

MONGOMIGRATE_MIGRATION("Test: throws when told to", up, down);
