// The seed's Example 1: give every user default preferences; down removes them.
// Unlike the seed's down (every user's preferences), ours removes only
// preferences exactly as `up` wrote them, so users' own preferences survive
// a round trip.
#include <mongomigrate/migration.h>

using namespace mongomigrate;

static Value defaults() { return Doc{{"theme", "light"}, {"language", "en"}}; }

static void up(Context& ctx) {
  UpdateResult r = ctx.update_many("users", json(R"({"preferences": {"$exists": false}})"),
                                   Doc{{"$set", Doc{{"preferences", defaults()}}}});
  ctx.log("gave " + std::to_string(r.modified) + " users default preferences");
}

static void down(Context& ctx) {
  ctx.update_many("users", Doc{{"preferences", defaults()}}, Doc{{"$unset", Doc{{"preferences", ""}}}});
}

MONGOMIGRATE_MIGRATION("Give every user default preferences", up, down);
