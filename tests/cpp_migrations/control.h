// Shared by the test-only C++ migrations (tests/integration/
// cpp_migrations_test.cc). Every compiled migration is always in its
// migrator's catalog, so each one does something harmless by default and its
// test scenario is chosen by a document in the `control` collection whose
// _id is the migration's stem.
#pragma once

#include <mongomigrate/migration.h>

#include <optional>
#include <string>
#include <string_view>

namespace test_migrations {

// The control document {_id: key}, if the test wrote one.
inline std::optional<mongomigrate::Document> control(mongomigrate::Context& ctx, std::string_view key) {
  using mongomigrate::Doc;
  mongomigrate::Document reply =
      ctx.command(Doc{{"find", "control"}, {"filter", Doc{{"_id", std::string(key)}}}, {"limit", 1}});
  return reply.document("cursor.firstBatch.0");
}

// Appends `name` to trail.order.names: the order in which bodies ran.
inline void trail(mongomigrate::Context& ctx, std::string_view name) {
  using mongomigrate::Array;
  using mongomigrate::Doc;
  ctx.command(Doc{{"update", "trail"},
                  {"updates", Array{Doc{{"q", Doc{{"_id", "order"}}},
                                        {"u", Doc{{"$push", Doc{{"names", std::string(name)}}}}},
                                        {"upsert", true}}}}});
}

// Removes `name` from the trail (what a `down` does).
inline void untrail(mongomigrate::Context& ctx, std::string_view name) {
  using mongomigrate::Doc;
  ctx.update_many("trail", Doc{{"_id", "order"}}, Doc{{"$pull", Doc{{"names", std::string(name)}}}});
}

}  // namespace test_migrations
