// Microbenchmarks of the pure parts that `status` and `up` pay per migration:
// the planner (plan_up, build_status) over 100,000 migrations and their log,
// SHA-256 (the checksum of every migration file) on 4 KiB and 1 MiB, and
// parsing a JSON migration file (what loading a directory pays per file).
// No server, no disk. Run by bench/run.sh; on its own:
//   micro_bench --benchmark_filter=Sha256
#include <benchmark/benchmark.h>

#include <cstddef>
#include <string>
#include <vector>

#include "core/log_record.h"
#include "core/migration.h"
#include "core/planner.h"
#include "source/json_migration.h"
#include "source/sha256.h"

namespace {

using mongomigrate::core::Catalog;
using mongomigrate::core::LogRecord;
using mongomigrate::core::Migration;
using mongomigrate::core::RunnerState;

constexpr int kMigrations = 100'000;

std::string name_of(int i) {
  std::string digits = std::to_string(i);
  return std::string(6 - digits.size(), '0') + digits + "-migration.json";
}

std::string fake_checksum(int i) {
  // 64 hex characters, distinct per migration, like a real SHA-256 hex.
  std::string hex = std::to_string(i);
  return std::string(64 - hex.size(), 'a') + hex;
}

// A catalog of `n` migrations in run order, each with one small command.
Catalog make_catalog(int n) {
  Catalog catalog;
  catalog.reserve(n);
  for (int i = 1; i <= n; ++i) {
    Migration m;
    m.name = name_of(i);
    m.version = std::to_string(i);
    m.description = "insert document " + std::to_string(i);
    m.checksum = fake_checksum(i);
    m.path = "migrations/" + m.name;
    m.up.push_back(mongomigrate::core::Command{});  // the planner never looks inside a command
    catalog.push_back(std::move(m));
  }
  return catalog;
}

// Log records for the first `applied` migrations, in reverse order (the
// planner must not rely on the log's order).
std::vector<LogRecord> make_records(int applied) {
  std::vector<LogRecord> records;
  records.reserve(applied);
  for (int i = applied; i >= 1; --i) {
    LogRecord r;
    r.name = name_of(i);
    r.version = std::to_string(i);
    r.status = mongomigrate::core::kStatusApplied;
    r.applied_at = 1'700'000'000'000 + i;
    r.duration_ms = 3;
    r.checksum = fake_checksum(i);
    r.applied_by = "bench@host";
    records.push_back(std::move(r));
  }
  return records;
}

// plan_up with every migration applied (the no-op deploy) and with the last
// 1% pending (a typical deploy).
void BM_PlanUp(benchmark::State& state) {
  const int applied = static_cast<int>(state.range(0));
  const Catalog catalog = make_catalog(kMigrations);
  const std::vector<LogRecord> records = make_records(applied);
  for (auto _ : state) {
    auto plan = mongomigrate::core::plan_up(catalog, records, RunnerState{});
    benchmark::DoNotOptimize(plan);
  }
  state.SetItemsProcessed(state.iterations() * kMigrations);
  state.counters["migrations"] = kMigrations;
  state.counters["applied"] = applied;
}
BENCHMARK(BM_PlanUp)->Arg(kMigrations)->Arg(kMigrations - kMigrations / 100)->Unit(benchmark::kMillisecond);

// build_status over 100,000 applied migrations (what `status` and `validate` compute).
void BM_BuildStatus(benchmark::State& state) {
  const Catalog catalog = make_catalog(kMigrations);
  const std::vector<LogRecord> records = make_records(kMigrations);
  for (auto _ : state) {
    auto report = mongomigrate::core::build_status(catalog, records, RunnerState{});
    benchmark::DoNotOptimize(report);
  }
  state.SetItemsProcessed(state.iterations() * kMigrations);
  state.counters["migrations"] = kMigrations;
}
BENCHMARK(BM_BuildStatus)->Unit(benchmark::kMillisecond);

// SHA-256 hex of one input of state.range(0) bytes.
void BM_Sha256(benchmark::State& state) {
  const std::size_t size = static_cast<std::size_t>(state.range(0));
  std::string input(size, '\0');
  for (std::size_t i = 0; i < size; ++i) input[i] = static_cast<char>((i * 131 + 7) & 0xff);
  for (auto _ : state) {
    std::string hex = mongomigrate::source::sha256_hex(input);
    benchmark::DoNotOptimize(hex);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(size));
}
BENCHMARK(BM_Sha256)->Arg(4 << 10)->Arg(1 << 20);

// Parsing one JSON migration of the usual size (an index and an update up, a
// drop down; 0.5 KiB): the Extended JSON, the shape checks, the checksum.
void BM_ParseJsonMigration(benchmark::State& state) {
  const std::string file = R"({
  "description": "Index users by email and give every user default preferences",
  "up": [
    {"createIndexes": "users", "indexes": [{"key": {"email": 1}, "name": "email_1", "unique": true}]},
    {"update": "users", "updates": [{"q": {"preferences": {"$exists": false}},
      "u": {"$set": {"preferences": {"theme": "light", "language": "en"}}}, "multi": true}]}
  ],
  "down": [
    {"dropIndexes": "users", "index": "email_1"},
    {"update": "users", "updates": [{"q": {}, "u": {"$unset": {"preferences": ""}}, "multi": true}]}
  ]
})";
  for (auto _ : state) {
    auto migration = mongomigrate::source::parse_json_migration("001-users.json", "migrations/001-users.json", file);
    if (!migration) state.SkipWithError(migration.error().message.c_str());
    benchmark::DoNotOptimize(migration);
  }
}
BENCHMARK(BM_ParseJsonMigration);

}  // namespace

BENCHMARK_MAIN();
