// The same change as one server-side updateMany: an aggregation-pipeline
// update (MongoDB 4.2+, FerretDB 2) with $replaceAll (4.4+); no document
// leaves the server.
#include <mongomigrate/migration.h>

using namespace mongomigrate;

static Value remove_all(Value input, const char* what) {
  return Doc{{"$replaceAll", Doc{{"input", std::move(input)}, {"find", what}, {"replacement", ""}}}};
}

static void up(Context& ctx) {
  Array pipeline{Doc{{"$set", Doc{{"phoneNumber", remove_all(remove_all("$phoneNumber", " "), "-")}}}}};
  UpdateResult r = ctx.update_many("clients", json(R"({"phoneNumber": {"$type": "string"}})"), pipeline);
  ctx.log("matched " + std::to_string(r.matched) + ", modified " + std::to_string(r.modified));
}

MONGOMIGRATE_IRREVERSIBLE("Normalise clients' phone numbers: one pipeline updateMany on the server", up);
