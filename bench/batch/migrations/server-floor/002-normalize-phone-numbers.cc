// NOT the migration: one updateMany that rewrites every client with a phone
// number by a constant $set (a new field, phoneChecked: true), which any
// server can express. It measures the server's own cost of rewriting the
// same documents in one command: the floor under any strategy, beside the
// real server-side update (../server-side).
#include <mongomigrate/migration.h>

using namespace mongomigrate;

static void up(Context& ctx) {
  UpdateResult r = ctx.update_many("clients", json(R"({"phoneNumber": {"$type": "string"}})"),
                                   Doc{{"$set", Doc{{"phoneChecked", true}}}});
  ctx.log("matched " + std::to_string(r.matched) + ", modified " + std::to_string(r.modified));
}

MONGOMIGRATE_IRREVERSIBLE("Benchmark floor: one constant $set updateMany over the same clients", up);
