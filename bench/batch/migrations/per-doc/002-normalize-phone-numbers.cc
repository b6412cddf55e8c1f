// The seed's loop, in C++ through the Context, so that only the strategy
// differs from the batch helper:
//
//   const clients = await Client.find({phoneNumber: {$exists: true}});
//   for (const client of clients) {
//     const normalized = client.phoneNumber.replace(/[\s-]/g, '');
//     await Client.updateOne({_id: client._id}, {$set: {phoneNumber: normalized}});
//   }
//
// As there: every client with a phone number gets its own update command,
// sent and awaited one at a time, changed or not. Unlike Mongoose's
// Client.find(), which holds every client in memory first, the cursor is
// streamed (find + getMore, 1,000 at a time), so memory stays bounded.
#include <mongomigrate/migration.h>

#include <stdexcept>

using namespace mongomigrate;

namespace {

const Value* field(const Doc& doc, std::string_view name) {
  for (const auto& [key, value] : doc) {
    if (key == name) return &value;
  }
  return nullptr;
}

// The documents of a find/getMore reply's cursor.firstBatch / nextBatch.
Array batch_of(const Document& reply, const char* path) {
  std::optional<Value> batch = reply.get(path);
  if (!batch || !std::holds_alternative<Array>(batch->variant())) throw std::runtime_error("no cursor in reply");
  return std::get<Array>(batch->variant());
}

}  // namespace

static void up(Context& ctx) {
  Document reply = ctx.command(Doc{{"find", "clients"},
                                   {"filter", json(R"({"phoneNumber": {"$exists": true}})")},
                                   {"batchSize", 1000}});
  std::int64_t cursor_id = reply.integer("cursor.id").value_or(0);
  Array clients = batch_of(reply, "cursor.firstBatch");
  while (true) {
    for (const Value& v : clients) {
      const Doc& client = std::get<Doc>(v.variant());
      const Value* phone = field(client, "phoneNumber");
      // .replace(/[\s-]/g, ''): \s is any whitespace.
      std::string normalized = std::get<std::string>(phone->variant());
      std::erase_if(normalized, [](char c) { return c == '-' || c == ' ' || (c >= '\t' && c <= '\r'); });
      ctx.command(Doc{{"update", "clients"},
                      {"updates", Array{Doc{{"q", Doc{{"_id", *field(client, "_id")}}},
                                            {"u", Doc{{"$set", Doc{{"phoneNumber", normalized}}}}}}}}});
    }
    if (cursor_id == 0) break;
    reply = ctx.command(Doc{{"getMore", static_cast<long long>(cursor_id)}, {"collection", "clients"},
                            {"batchSize", 1000}});
    cursor_id = reply.integer("cursor.id").value_or(0);
    clients = batch_of(reply, "cursor.nextBatch");
  }
}

MONGOMIGRATE_IRREVERSIBLE("Normalise clients' phone numbers: the seed's one-updateOne-per-document loop", up);
