// The seed's Example 2 split across 4 workers: the same migration as
// examples/cpp-app/migrations/002-normalize-phone-numbers.cc, with
// `.parallel = 4`. The clients are split into up to 4 `_id` ranges (from a
// sample of their `_id`s), each streamed by a worker with its own connection
// and its own bulk writes; each range keeps its own checkpoint, so a stopped
// run resumes every range after its last completed batch.
//
// The batch function runs on the workers' threads, several at once: it only
// reads its batch and returns the writes (it must not use `ctx`).
#include <mongomigrate/migration.h>

#include <algorithm>

using namespace mongomigrate;

static void up(Context& ctx) {
  BatchQuery clients{.collection = "clients",
                     .filter = json(R"({"phoneNumber": {"$type": "string"}})"),
                     .projection = Doc{{"phoneNumber", 1}},
                     .batch_size = 1000,
                     .parallel = 4};
  BatchResult result = ctx.for_each_batch(clients, [](std::span<const Document> batch) {
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
  ctx.log("normalised " + std::to_string(result.modified) + " of " + std::to_string(result.scanned) +
          " phone numbers");
}

MONGOMIGRATE_IRREVERSIBLE("Normalise clients' phone numbers (no spaces or dashes), 4 workers", up);
