// Test migration for parallel batches (parallel_batches_test.cc): increments
// `seen` on every `records` document with for_each_batch{.parallel = N}, so
// a document handled twice shows seen: 2. Its scenario comes from the control
// document {_id: "001-parallel-batches"}, read before the batches start (the
// batch function runs on worker threads and must not use the Context):
//   parallel (default 4), batchSize (default 50), projection (default none);
//   throwAtId: the batch holding that _id throws;
//   useContext: true: the batch function calls ctx.log (which must refuse);
//   sleepMs: each batch takes at least that long;
//   holdAtId + dir: the batch holding that _id creates <dir>/reached, then
//   waits until <dir>/release exists.
// It logs "peak resident set: N kB" at the end (Linux's VmHWM).
#include <chrono>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "../cpp_migrations/control.h"

using namespace mongomigrate;

static void hold(const std::string& dir) {
  std::ofstream(dir + "/reached") << "reached\n";
  auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(2);
  while (!std::filesystem::exists(dir + "/release")) {
    if (std::chrono::steady_clock::now() > deadline) throw std::runtime_error("never released");
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

static void up(Context& ctx) {
  Document c = test_migrations::control(ctx, "001-parallel-batches").value_or(Document());
  int parallel = static_cast<int>(c.integer("parallel").value_or(4));
  int batch_size = static_cast<int>(c.integer("batchSize").value_or(50));
  std::optional<std::int64_t> throw_at = c.integer("throwAtId");
  std::optional<std::int64_t> hold_at = c.integer("holdAtId");
  std::string dir(c.string("dir").value_or(""));
  bool use_context = c.boolean("useContext").value_or(false);
  auto sleep = std::chrono::milliseconds(c.integer("sleepMs").value_or(0));
  BatchQuery query{.collection = "records", .batch_size = batch_size, .parallel = parallel};
  if (std::optional<Value> projection = c.get("projection")) query.projection = *projection;
  BatchResult result = ctx.for_each_batch(query, [&](std::span<const Document> batch) {
    if (use_context) ctx.log("from a worker");
    std::vector<WriteOp> writes;
    bool held = false;
    for (const Document& record : batch) {
      std::optional<std::int64_t> id = record.integer("_id");
      if (id && id == throw_at) throw std::runtime_error("thrown at record " + std::to_string(*id));
      held = held || (id && id == hold_at);
      writes.push_back(WriteOp::update_by_id(record, Doc{{"$inc", Doc{{"seen", 1}}}}));
    }
    std::this_thread::sleep_for(sleep);
    if (held) hold(dir);
    return writes;
  });
  ctx.log("scanned " + std::to_string(result.scanned) + " in " + std::to_string(result.batches) + " batches");
  // The process's peak resident set so far, for the memory test. Read here,
  // not from the parent's wait4(): a child started by posix_spawn inherits its
  // parent's peak as its own ru_maxrss.
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);) {
    if (line.starts_with("VmHWM:")) ctx.log("peak resident set:" + line.substr(6));
  }
}

static void down(Context& ctx) { ctx.update_many("records", Doc{}, Doc{{"$unset", Doc{{"seen", ""}}}}); }

MONGOMIGRATE_MIGRATION("Test: parallel batches", up, down);
