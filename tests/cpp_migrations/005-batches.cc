// Test migration: increments `seen` on every `records` document, in batches
// (control batchSize, default 50, so that a few hundred records make many
// batches). Each call of the batch function is logged in `calls` {pid,
// first, last, size} before anything else, so tests can tell which documents
// were handed to it by which run. It throws when a batch holds a document
// with `marker: true`; with control holdAtCall: N the N-th call waits until a
// control document {_id: "release"} exists.
#include <unistd.h>

#include <chrono>
#include <stdexcept>
#include <thread>

#include "control.h"

using namespace mongomigrate;

static void wait_for_release(Context& ctx) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
  while (!test_migrations::control(ctx, "release")) {
    if (std::chrono::steady_clock::now() > deadline) throw std::runtime_error("never released");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

static void up(Context& ctx) {
  test_migrations::trail(ctx, "005-batches.cc");
  std::optional<Document> c = test_migrations::control(ctx, "005-batches");
  int batch_size = static_cast<int>(c ? c->integer("batchSize").value_or(50) : 50);
  std::int64_t hold_at = c ? c->integer("holdAtCall").value_or(0) : 0;
  std::int64_t calls = 0;
  ctx.for_each_batch({.collection = "records", .batch_size = batch_size}, [&](std::span<const Document> batch) {
    ++calls;
    ctx.insert_many("calls", {Doc{{"pid", static_cast<long long>(getpid())},
                                  {"first", batch.front().id()},
                                  {"last", batch.back().id()},
                                  {"size", static_cast<long long>(batch.size())}}});
    std::vector<WriteOp> writes;
    for (const Document& record : batch) {
      if (record.boolean("marker") == true) throw std::runtime_error("marker found in record " + record.json());
      writes.push_back(WriteOp::update_by_id(record, Doc{{"$inc", Doc{{"seen", 1}}}}));
    }
    if (calls == hold_at) wait_for_release(ctx);
    return writes;
  });
}

static void down(Context& ctx) {
  ctx.update_many("records", Doc{}, Doc{{"$unset", Doc{{"seen", ""}}}});
  test_migrations::untrail(ctx, "005-batches.cc");
}

MONGOMIGRATE_MIGRATION("Test: resumable batches", up, down);
