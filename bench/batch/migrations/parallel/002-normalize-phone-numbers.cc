// The batch helper split across BENCH_PARALLEL workers (BatchQuery::parallel,
// set per migrator by bench/batch/CMakeLists.txt): otherwise exactly
// examples/cpp-parallel/migrations/002-normalize-phone-numbers.cc.
#include <mongomigrate/migration.h>

#include <algorithm>

#ifndef BENCH_PARALLEL
#error "build with -DBENCH_PARALLEL=N"
#endif

using namespace mongomigrate;

static void up(Context& ctx) {
  BatchQuery clients{.collection = "clients",
                     .filter = json(R"({"phoneNumber": {"$type": "string"}})"),
                     .projection = Doc{{"phoneNumber", 1}},
                     .batch_size = 1000,
                     .parallel = BENCH_PARALLEL};
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

MONGOMIGRATE_IRREVERSIBLE("Normalise clients' phone numbers (no spaces or dashes), in parallel", up);
