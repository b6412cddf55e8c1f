// The seed's Example 2: remove spaces and dashes from clients' phone numbers.
// Irreversible: the original formatting is not kept. Runs in batches (one
// bulk write per 1,000 clients, not one update per client) and resumes after
// its last completed batch if it is stopped.
#include <mongomigrate/migration.h>

#include <algorithm>

using namespace mongomigrate;

static void up(Context& ctx) {
  BatchQuery clients{.collection = "clients",
                     .filter = json(R"({"phoneNumber": {"$type": "string"}})"),
                     .projection = Doc{{"phoneNumber", 1}},
                     .batch_size = 1000};
  ctx.for_each_batch(clients, [](std::span<const Document> batch) {
    std::vector<WriteOp> writes;
    for (const Document& client : batch) {
      std::string_view phone = *client.string("phoneNumber");
      std::string normalized;
      std::copy_if(phone.begin(), phone.end(), std::back_inserter(normalized),
                   [](char c) { return c != ' ' && c != '-'; });
      if (normalized != phone) {
        writes.push_back(WriteOp::update_by_id(client, Doc{{"$set", Doc{{"phoneNumber", normalized}}}}));
      }
    }
    return writes;
  });
}

MONGOMIGRATE_IRREVERSIBLE("Normalise clients' phone numbers (no spaces or dashes)", up);
