// The seed's Example 1: give every user default preferences; down removes them.
#include <mongomigrate/migration.h>

using namespace mongomigrate;

static void up(Context& ctx) {
  UpdateResult r = ctx.update_many("users", json(R"({"preferences": {"$exists": false}})"),
                                   Doc{{"$set", Doc{{"preferences", Doc{{"theme", "light"}, {"language", "en"}}}}}});
  ctx.log("gave " + std::to_string(r.modified) + " users default preferences");
}

static void down(Context& ctx) {
  ctx.update_many("users", json(R"({"preferences": {"$exists": true}})"), Doc{{"$unset", Doc{{"preferences", ""}}}});
}

MONGOMIGRATE_MIGRATION("Give every user default preferences", up, down);
