// Test migration: marks every `items` document {done: true}, in batches
// (control batchSize, default 50, so that a few hundred items make many batches). With control {_id: "004-invalid-write",
// atId: N, kind: K} the write for item N is invalid: K "no-operators" (an
// update document without $-operators) or "filter-not-document".
#include "control.h"

using namespace mongomigrate;

static void up(Context& ctx) {
  test_migrations::trail(ctx, "004-invalid-write.cc");
  std::optional<Document> c = test_migrations::control(ctx, "004-invalid-write");
  std::int64_t at = c ? c->integer("atId").value_or(-1) : -1;
  std::string kind = c ? std::string(c->string("kind").value_or("")) : "";
  int batch_size = static_cast<int>(c ? c->integer("batchSize").value_or(50) : 50);
  ctx.for_each_batch({.collection = "items", .batch_size = batch_size}, [&](std::span<const Document> batch) {
    std::vector<WriteOp> writes;
    for (const Document& item : batch) {
      if (item.integer("_id") != at) {
        writes.push_back(WriteOp::update_by_id(item, Doc{{"$set", Doc{{"done", true}}}}));
      } else if (kind == "no-operators") {
        writes.push_back(WriteOp::update_by_id(item, Doc{{"done", true}}));
      } else if (kind == "filter-not-document") {
        writes.push_back(WriteOp::update_one(Value("not a filter"), Doc{{"$set", Doc{{"done", true}}}}));
      }
    }
    return writes;
  });
}

static void down(Context& ctx) {
  ctx.update_many("items", Doc{}, Doc{{"$unset", Doc{{"done", ""}}}});
  test_migrations::untrail(ctx, "004-invalid-write.cc");
}

MONGOMIGRATE_MIGRATION("Test: a batch with an invalid write when told to", up, down);
