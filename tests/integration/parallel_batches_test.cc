// Parallel batches end to end (BatchQuery::parallel): `parallel-test-migrate`
// holds one test migration (tests/parallel_migrations) that increments
// `seen` on every `records` document, so a document handled twice shows;
// its scenario comes from a `control` document. `example-parallel-migrate` is
// the phone-number example's parallel variant (examples/cpp-parallel),
// compared with the sequential one (`example-migrate`).
#include <signal.h>
#include <sys/wait.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <thread>

#include <fmt/format.h>

#include "mongomigrate/value.h"
#include "support/file_checks.h"
#include "support/integration.h"
#include "support/lock_docs.h"
#include "support/phone_clients.h"
#include "support/wire_proxy.h"

namespace mongomigrate::testing {
namespace {

const char* kMigration = "001-parallel-batches.cc";

class ParallelBatchesTest : public IntegrationTest {
 protected:
  ProcessResult migrate(std::vector<std::string> args) {
    return run_binary(MONGOMIGRATE_PARALLEL_TEST_MIGRATE_BIN, std::move(args));
  }

  void control(const std::string& fields) {
    probe().command(fmt::format(
        R"({{"update": "control", "updates": [{{"q": {{"_id": "001-parallel-batches"}}, "u": {}, "upsert": true}}]}})",
        fields));
  }

  void seed_records(int n) {
    std::vector<std::string> docs;
    for (int i = 1; i <= n; ++i) docs.push_back(fmt::format(R"({{"_id": {}}})", i));
    probe().insert_all("records", docs);
  }

  Document record() {
    std::vector<std::string> found = probe().find("migrationlogs", fmt::format(R"({{"name": "{}"}})", kMigration));
    if (found.size() != 1) throw std::runtime_error(fmt::format("{} log records of {}", found.size(), kMigration));
    return parse_document(found[0]);
  }

  // The partitions of the record's checkpoint, each checked: the documents of
  // its range handled are exactly those up to its lastId, each once, as many
  // as it counted. Returns the documents the checkpoint says are done.
  std::int64_t check_partitions(std::size_t expected_partitions) {
    Document r = record();
    std::int64_t done = 0;
    std::size_t n = 0;
    for (;; ++n) {
      std::optional<Document> p = r.document(fmt::format("metadata.checkpoint.partitions.{}", n));
      if (!p) break;
      std::string range = "{}";
      std::optional<std::int64_t> min = p->integer("min"), max = p->integer("max");
      std::int64_t lo = min.value_or(0), hi = max.value_or(1LL << 40);
      std::int64_t last = p->integer("lastId").value_or(lo - 1);
      std::int64_t scanned = p->integer("scanned").value_or(-1);
      std::string in_range = fmt::format(R"("_id": {{"$gte": {}, "$lt": {}}})", lo, hi);
      EXPECT_EQ(probe().count("records", fmt::format(R"({{{}, "seen": {{"$exists": true}}}})", in_range)), scanned)
          << "partition " << n << ": " << p->json();
      EXPECT_EQ(probe().count("records", fmt::format(R"({{"_id": {{"$gte": {}, "$lte": {}}}, "seen": 1}})", lo, last)),
                scanned)
          << "partition " << n << ": " << p->json();
      EXPECT_EQ(probe().count("records", fmt::format(R"({{"_id": {{"$gt": {}, "$lt": {}}}, "seen": {{"$exists": true}}}})",
                                                     last, hi)),
                0)
          << "partition " << n << ": " << p->json();
      done += scanned;
    }
    EXPECT_EQ(n, expected_partitions) << r.json();
    EXPECT_EQ(probe().count("records", R"({"seen": {"$exists": true}})"), done);
    EXPECT_EQ(probe().count("records", R"({"seen": {"$gt": 1}})"), 0);
    return done;
  }

  // After a complete run: every record handled once, the totals and one
  // entry per partition in the record, no checkpoint left.
  void expect_all_once(int n, std::size_t partitions) {
    Document r = record();
    EXPECT_EQ(r.string("status"), "applied") << r.json();
    EXPECT_FALSE(r.has("metadata.checkpoint")) << r.json();
    EXPECT_EQ(r.integer("metadata.up.batch0.scanned"), n) << r.json();
    EXPECT_EQ(r.integer("metadata.up.batch0.modified"), n) << r.json();
    std::int64_t sum = 0;
    std::size_t count = 0;
    for (; r.has(fmt::format("metadata.up.batch0.partitions.{}", count)); ++count) {
      sum += r.integer(fmt::format("metadata.up.batch0.partitions.{}.scanned", count)).value_or(-1);
    }
    EXPECT_EQ(count, partitions) << r.json();
    EXPECT_EQ(sum, n) << r.json();
    EXPECT_EQ(probe().count("records", R"({"seen": 1})"), n);
    EXPECT_EQ(probe().count("records"), n);
    EXPECT_EQ(lock_leftovers(probe()), 0);
  }
};

TEST_F(ParallelBatchesTest, FourWorkersHandleEveryRecordOnce) {
  seed_records(2000);
  ProcessResult run = migrate({"up"});
  ASSERT_EQ(run.exit_code, 0) << describe(run);
  EXPECT_TRUE(contains(run.err, "scanned 2000 in ")) << run.err;
  expect_all_once(2000, 4);
  // Every partition did about a quarter of the work (a sample of 256 _ids:
  // below 200 of 2,000 is far outside its spread; a sample of a few
  // contiguous runs of _ids, as FerretDB's $sample after an empty $match,
  // makes partitions of 64).
  Document r = record();
  for (int i = 0; i < 4; ++i) {
    EXPECT_GT(r.integer(fmt::format("metadata.up.batch0.partitions.{}.scanned", i)).value_or(0), 200) << r.json();
  }
}

// A checkpoint (a write fenced on the claim, as an outcome is) whose reply
// is lost after the server applied it is sent again, and the run goes on.
TEST_F(ParallelBatchesTest, ACheckpointWhoseReplyIsLostIsSentAgain) {
  SKIP_UNLESS_PROXIABLE();
  seed_records(2000);
  std::atomic<int> lost = 0;
  WireProxy proxy(server().proxiable_address(nullptr).value(), [&](WireProxy::Exchange& e) {
    // The claim is an insert: the first update of the record is a checkpoint.
    if (e.name != "update" || e.collection != "migrationlogs") return WireProxy::Verdict::kPass;
    int none = 0;
    return lost.compare_exchange_strong(none, 1) ? WireProxy::Verdict::kHangUp : WireProxy::Verdict::kPass;
  });
  ProcessResult run = run_binary(MONGOMIGRATE_PARALLEL_TEST_MIGRATE_BIN,
                                 {"up", "--dir", dir(), "--uri",
                                  server().uri_via(proxy.port(), db(),
                                                   "serverSelectionTimeoutMS=2000&connectTimeoutMS=2000&"
                                                   "directConnection=true&retryWrites=false")},
                                 {}, /*with_defaults=*/false);
  ASSERT_EQ(lost.load(), 1) << describe(run);
  ASSERT_EQ(run.exit_code, 0) << describe(run);
  expect_all_once(2000, 4);
}

TEST_F(ParallelBatchesTest, AFailureInOnePartitionStopsTheOthersAndEachResumesAfterItsCheckpoint) {
  seed_records(2000);
  control(R"({"throwAtId": 1700, "sleepMs": 20})");
  ProcessResult first = migrate({"up"});
  ASSERT_EQ(first.exit_code, 1) << describe(first);
  Document r = record();
  EXPECT_EQ(r.string("status"), "failed");
  EXPECT_TRUE(contains(std::string(r.string("error").value_or("")), "thrown at record 1700")) << r.json();
  EXPECT_EQ(r.integer("metadata.checkpoint.call"), 0);
  EXPECT_EQ(r.integer("metadata.checkpoint.parallel"), 4);
  std::int64_t done = check_partitions(4);
  EXPECT_LT(done, 2000);
  EXPECT_EQ(probe().count("records", R"({"_id": 1700, "seen": {"$exists": true}})"), 0);
  EXPECT_EQ(lock_leftovers(probe()), 0);

  control(R"({"$unset": {"throwAtId": ""}})");
  ProcessResult second = migrate({"run", kMigration});
  ASSERT_EQ(second.exit_code, 0) << describe(second);
  EXPECT_TRUE(contains(second.err, fmt::format("resuming 4 partitions as recorded ({} documents done)", done)))
      << second.err;
  expect_all_once(2000, 4);  // no record handled twice: each partition went on after its lastId
}

TEST_F(ParallelBatchesTest, RestartSplitsAfreshAndStartsOver) {
  seed_records(2000);
  control(R"({"throwAtId": 1700, "sleepMs": 20})");
  ProcessResult first = migrate({"up"});
  ASSERT_EQ(first.exit_code, 1) << describe(first);
  std::int64_t done = check_partitions(4);

  control(R"({"$unset": {"throwAtId": ""}})");
  ProcessResult restart = migrate({"run", kMigration, "--restart"});
  ASSERT_EQ(restart.exit_code, 0) << describe(restart);
  EXPECT_FALSE(contains(restart.err, "resuming")) << restart.err;
  Document r = record();
  EXPECT_EQ(r.string("status"), "applied");
  EXPECT_FALSE(r.has("metadata.checkpoint"));
  EXPECT_EQ(r.integer("metadata.up.batch0.scanned"), 2000);  // this run's totals only
  // What the first run did was done again; the rest once.
  EXPECT_EQ(probe().count("records", R"({"seen": 2})"), done);
  EXPECT_EQ(probe().count("records", R"({"seen": 1})"), 2000 - done);
}

TEST_F(ParallelBatchesTest, SigintStopsEveryWorkerAfterItsBatchAndTheRunResumes) {
  seed_records(2000);
  TempDir files;
  control(fmt::format(R"({{"holdAtId": 1100, "dir": "{}", "sleepMs": 20}})", files.path()));
  std::string log_path = files.path() + "/run.log";
  pid_t pid = spawn_background(
      {MONGOMIGRATE_PARALLEL_TEST_MIGRATE_BIN, "up", "--uri", uri(), "--dir", dir()}, log_path);
  bool reached = false;
  for (int i = 0; i < 6000 && !reached; ++i) {  // a safety bound, not a timing assertion
    reached = std::filesystem::exists(files.path() + "/reached");
    if (!reached) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (!reached) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    FAIL() << "the batch holding record 1100 never started; log:\n" << read_file(log_path);
  }
  ASSERT_EQ(kill(pid, SIGINT), 0);
  std::ofstream(files.path() + "/release") << "go\n";
  int wait_status = 0;
  ASSERT_EQ(waitpid(pid, &wait_status, 0), pid);
  std::string log = read_file(log_path);
  ASSERT_TRUE(WIFEXITED(wait_status)) << log;
  EXPECT_EQ(WEXITSTATUS(wait_status), 130) << log;

  Document r = record();
  EXPECT_EQ(r.string("status"), "failed");
  EXPECT_TRUE(contains(std::string(r.string("error").value_or("")), "interrupted by signal 2 after")) << r.json();
  std::int64_t done = check_partitions(4);
  // The held batch was completed (its writes and checkpoint), nothing after it.
  EXPECT_EQ(probe().count("records", R"({"_id": 1100, "seen": 1})"), 1);
  EXPECT_LT(done, 2000);
  EXPECT_EQ(lock_leftovers(probe()), 0);

  control(R"({"$unset": {"holdAtId": ""}})");
  ProcessResult resumed = migrate({"run", kMigration});
  ASSERT_EQ(resumed.exit_code, 0) << describe(resumed);
  EXPECT_TRUE(contains(resumed.err, "resuming 4 partitions as recorded")) << resumed.err;
  expect_all_once(2000, 4);
}

// The fan-out's pool (mongo/client_pool.h) has room for every connection
// its databases can hold at once: here two databases at a time, each with
// the most batch workers a BatchQuery may ask (64), its own connection and
// its lease renewer's: 2 x 66 lent together, more than libmongoc's default
// pool of 100 (with a pool that small, the second database's workers would
// find none free, or before the pool refused to wait, wait for ever). Both
// databases hold a batch until each has reached it, so every worker of
// both holds its connection at once.
TEST_F(ParallelBatchesTest, AFanOutOfDatabasesEachWithTheMostWorkersNeverRunsOutOfConnections) {
  const int records = 64 * 20;
  std::vector<std::string> docs;
  for (int i = 1; i <= records; ++i) docs.push_back(fmt::format(R"({{"_id": {}}})", i));
  TempDir files;
  std::vector<std::string> names;
  std::vector<std::unique_ptr<DbProbe>> probes;
  for (int d = 1; d <= 2; ++d) {
    names.push_back(fmt::format("{}_p{}", db(), d));
    probes.push_back(std::make_unique<DbProbe>(server().uri(names.back()), names.back()));
    probes.back()->insert_all("records", docs);
    std::filesystem::create_directory(files.path() + "/" + names.back());
    probes.back()->insert("control", fmt::format(R"({{"_id": "001-parallel-batches", "parallel": 64, "batchSize": 10,
                                                   "holdAtId": 1, "dir": "{}/{}"}})",
                                                 files.path(), names.back()));
  }
  std::string log_path = files.path() + "/run.log";
  pid_t pid = spawn_background({MONGOMIGRATE_PARALLEL_TEST_MIGRATE_BIN, "up", "--dbs", names[0] + "," + names[1],
                                "--parallel", "2", "--uri", uri(), "--dir", dir()},
                               log_path);
  auto reached = [&](const std::string& name) { return std::filesystem::exists(files.path() + "/" + name + "/reached"); };
  auto failed = [&] {
    return probes[0]->count("migrationlogs", R"({"status": "failed"})") +
               probes[1]->count("migrationlogs", R"({"status": "failed"})") > 0;
  };
  bool both = false;
  for (int i = 0; i < 6000 && !both && !failed(); ++i) {  // a safety bound, not a timing assertion
    both = reached(names[0]) && reached(names[1]);
    if (!both) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  for (const std::string& name : names) std::ofstream(files.path() + "/" + name + "/release") << "go\n";
  int wait_status = 0;
  ASSERT_EQ(waitpid(pid, &wait_status, 0), pid);
  std::string log = read_file(log_path);
  EXPECT_TRUE(both) << "both databases' workers never ran at once; log:\n" << log;
  ASSERT_TRUE(WIFEXITED(wait_status)) << log;
  EXPECT_EQ(WEXITSTATUS(wait_status), 0) << log;
  EXPECT_FALSE(contains(log, "connections of the fan-out's pool are in use")) << log;
  for (std::size_t d = 0; d < names.size(); ++d) {
    EXPECT_EQ(probes[d]->count("records", R"({"seen": 1})"), records) << names[d];
    Document r = parse_document(probes[d]->find("migrationlogs")[0]);
    EXPECT_EQ(r.string("status"), "applied") << r.string("error").value_or("");
    EXPECT_TRUE(r.has("metadata.up.batch0.partitions.63")) << names[d] << ": fewer than 64 workers";
    EXPECT_EQ(lock_leftovers(*probes[d]), 0);
  }
}

// A run over `_id`s of several types (not split: one partition, or the
// sequential helper) resumes after its last `_id` in sort order: the rest of
// the numbers, then every string and ObjectId, which {$gt: <a number>}
// alone would never match.
TEST_F(ParallelBatchesTest, AResumeOverIdsOfSeveralTypesMissesNone) {
  std::vector<std::string> docs;
  for (int i = 1; i <= 300; ++i) docs.push_back(fmt::format(R"({{"_id": {}}})", i));
  for (int i = 1; i <= 50; ++i) docs.push_back(fmt::format(R"({{"_id": "s{:03}"}})", i));
  for (int i = 1; i <= 20; ++i) docs.push_back(fmt::format(R"({{"_id": {{"$oid": "65a0000000000000000000{:02x}"}}}})", i));
  probe().insert_all("records", docs);
  for (int parallel : {1, 4}) {
    control(fmt::format(R"({{"parallel": {}, "throwAtId": 125}})", parallel));
    ASSERT_EQ(migrate({"up"}).exit_code, 1);
    EXPECT_EQ(probe().count("records", R"({"seen": 1})"), 100) << "parallel " << parallel << ": two batches of 50";
    control(R"({"$unset": {"throwAtId": ""}})");
    ProcessResult resumed = migrate({"run", kMigration});
    ASSERT_EQ(resumed.exit_code, 0) << describe(resumed);
    EXPECT_TRUE(contains(resumed.err, "100 documents done")) << resumed.err;
    EXPECT_EQ(probe().count("records", R"({"seen": 1})"), 370) << "parallel " << parallel;
    EXPECT_EQ(probe().count("records", R"({"seen": {"$ne": 1}})"), 0) << "parallel " << parallel;
    ASSERT_EQ(migrate({"down", kMigration}).exit_code, 0);
  }
}

// A NaN `_id` sorts before every number, and no $lt, $gte or $gt matches
// it: a split run's first range takes it, and a run resumed just after it
// (batches of one) goes on with the numbers.
TEST_F(ParallelBatchesTest, ANaNIdIsMissedNeitherBySplitNorByResume) {
  std::vector<std::string> docs{R"({"_id": {"$numberDouble": "NaN"}})"};
  for (int i = 1; i <= 200; ++i) docs.push_back(fmt::format(R"({{"_id": {}}})", i));
  probe().insert_all("records", docs);
  control(R"({"parallel": 4})");
  ProcessResult split = migrate({"run", kMigration});
  ASSERT_EQ(split.exit_code, 0) << describe(split);
  EXPECT_FALSE(contains(split.err, "not split")) << split.err;
  EXPECT_EQ(probe().count("records", R"({"seen": 1})"), 201);
  EXPECT_EQ(probe().count("records", R"({"_id": {"$numberDouble": "NaN"}, "seen": 1})"), 1);
  ASSERT_EQ(migrate({"down", kMigration}).exit_code, 0);

  for (int parallel : {1, 4}) {
    control(fmt::format(R"({{"parallel": {}, "batchSize": 1, "throwAtId": 1}})", parallel));
    ASSERT_EQ(migrate({"run", kMigration}).exit_code, 1);
    EXPECT_EQ(probe().count("records", R"({"_id": {"$numberDouble": "NaN"}, "seen": 1})"), 1) << "parallel " << parallel;
    control(R"({"$unset": {"throwAtId": ""}})");
    ProcessResult resumed = migrate({"run", kMigration});
    ASSERT_EQ(resumed.exit_code, 0) << describe(resumed);
    EXPECT_TRUE(contains(resumed.err, "resuming")) << resumed.err;
    EXPECT_EQ(probe().count("records", R"({"seen": 1})"), 201) << "parallel " << parallel;
    EXPECT_EQ(probe().count("records", R"({"seen": {"$ne": 1}})"), 0) << "parallel " << parallel;
    ASSERT_EQ(migrate({"down", kMigration}).exit_code, 0);
  }
}

// A checkpoint after a null `_id` is a checkpoint (it read as none, and the
// resumed run started over: the first batch was handed over twice).
TEST_F(ParallelBatchesTest, AResumeAfterANullIdGoesOn) {
  std::vector<std::string> docs{R"({"_id": {"$minKey": 1}})", R"({"_id": null})"};
  for (int i = 1; i <= 20; ++i) docs.push_back(fmt::format(R"({{"_id": {}}})", i));
  probe().insert_all("records", docs);
  control(R"({"parallel": 1, "batchSize": 2, "throwAtId": 1})");
  ASSERT_EQ(migrate({"run", kMigration}).exit_code, 1);
  EXPECT_EQ(probe().count("records", R"({"seen": 1})"), 2) << "MinKey and null, the first batch";
  control(R"({"$unset": {"throwAtId": ""}})");
  ProcessResult resumed = migrate({"run", kMigration});
  ASSERT_EQ(resumed.exit_code, 0) << describe(resumed);
  EXPECT_TRUE(contains(resumed.err, "resuming after batch 1 (2 documents done)")) << resumed.err;
  EXPECT_EQ(probe().count("records", R"({"seen": 1})"), 22);
  EXPECT_EQ(probe().count("records", R"({"seen": {"$ne": 1}})"), 0) << "none handed over twice";
}

// The checkpoint is the last `_id` handled: a projection without it is
// refused before anything is read; one that keeps it works.
TEST_F(ParallelBatchesTest, AProjectionMustKeepTheId) {
  seed_records(200);
  for (const char* parallel : {"1", "4"}) {
    control(fmt::format(R"({{"parallel": {}, "projection": {{"_id": 0}}}})", parallel));
    ProcessResult refused = migrate({"run", kMigration});
    EXPECT_EQ(refused.exit_code, 1) << describe(refused);
    Document written = record();
    EXPECT_TRUE(contains(std::string(written.string("error").value_or("")), "BatchQuery.projection must keep _id"))
        << written.json();
    EXPECT_EQ(probe().count("records", R"({"seen": {"$exists": true}})"), 0);
  }
  control(R"({"parallel": 4, "projection": {"_id": 1}})");
  ProcessResult kept = migrate({"run", kMigration});
  ASSERT_EQ(kept.exit_code, 0) << describe(kept);
  EXPECT_EQ(probe().count("records", R"({"seen": 1})"), 200);
}

// --restart drops the old checkpoint before the body runs: a restart that
// fails before its first batch is saved leaves nothing to resume from, so
// the next run starts over too, as the restart meant.
TEST_F(ParallelBatchesTest, ARestartThatFailsEarlyLeavesNoCheckpointToResume) {
  seed_records(500);
  control(R"({"parallel": 1, "throwAtId": 125})");
  ASSERT_EQ(migrate({"up"}).exit_code, 1);
  ASSERT_EQ(record().integer("metadata.checkpoint.lastId"), 100);
  control(R"({"parallel": 1, "throwAtId": 10})");
  ProcessResult restart = migrate({"run", kMigration, "--restart"});
  ASSERT_EQ(restart.exit_code, 1) << describe(restart);
  EXPECT_FALSE(record().document("metadata.checkpoint").has_value()) << record().json();
  control(R"({"$unset": {"throwAtId": ""}})");
  ProcessResult next = migrate({"run", kMigration});
  ASSERT_EQ(next.exit_code, 0) << describe(next);
  EXPECT_FALSE(contains(next.err, "resuming")) << next.err;
  EXPECT_EQ(probe().count("records", R"({"seen": 2})"), 100) << "done by the first run, and again";
  EXPECT_EQ(probe().count("records", R"({"seen": 1})"), 400);
}

TEST_F(ParallelBatchesTest, AResumeKeepsTheRecordedPartitionsWhateverParallelSaysNow) {
  seed_records(2000);
  control(R"({"throwAtId": 1700, "sleepMs": 20})");
  ASSERT_EQ(migrate({"up"}).exit_code, 1);
  check_partitions(4);
  control(R"({"$unset": {"throwAtId": ""}, "$set": {"parallel": 2}})");
  ProcessResult second = migrate({"run", kMigration});
  ASSERT_EQ(second.exit_code, 0) << describe(second);
  EXPECT_TRUE(contains(second.err, "resuming 4 partitions as recorded, not the 2 asked")) << second.err;
  expect_all_once(2000, 4);
}

TEST_F(ParallelBatchesTest, ASequentialCheckpointIsResumedAsOnePartition) {
  seed_records(500);
  control(R"({"throwAtId": 125, "parallel": 1})");
  ASSERT_EQ(migrate({"up"}).exit_code, 1);
  ASSERT_EQ(record().integer("metadata.checkpoint.lastId"), 100);  // today's format: batches of 50
  control(R"({"$unset": {"throwAtId": ""}, "$set": {"parallel": 4}})");
  ProcessResult second = migrate({"run", kMigration});
  ASSERT_EQ(second.exit_code, 0) << describe(second);
  EXPECT_TRUE(contains(second.err, "resuming it as one partition")) << second.err;
  EXPECT_TRUE(contains(second.err, "resuming after batch 2 (100 documents done)")) << second.err;
  Document r = record();
  EXPECT_EQ(r.string("status"), "applied");
  EXPECT_EQ(r.integer("metadata.up.batch0.scanned"), 500);
  EXPECT_EQ(probe().count("records", R"({"seen": 1})"), 500);
}

TEST_F(ParallelBatchesTest, FewerDistinctIdsThanWorkersMakeFewerPartitions) {
  seed_records(3);
  control(R"({"parallel": 8})");
  ProcessResult run = migrate({"up"});
  ASSERT_EQ(run.exit_code, 0) << describe(run);
  EXPECT_TRUE(contains(run.err, "3 partitions (parallel 8 asked; fewer distinct _ids sampled)")) << run.err;
  expect_all_once(3, 3);
}

TEST_F(ParallelBatchesTest, AnEmptyCollectionIsNothingToDo) {
  ProcessResult run = migrate({"up"});
  ASSERT_EQ(run.exit_code, 0) << describe(run);
  EXPECT_TRUE(contains(run.err, "scanned 0 in 0 batches")) << run.err;
  Document r = record();
  EXPECT_EQ(r.string("status"), "applied");
  EXPECT_EQ(r.integer("metadata.up.batch0.scanned"), 0);
  EXPECT_FALSE(r.has("metadata.up.batch0.partitions.0"));
  EXPECT_FALSE(probe().has_collection("records"));
}

TEST_F(ParallelBatchesTest, IdsOfSeveralTypesAreNotSplit) {
  // {_id: {$lt: 5}} never matches a string: ranges would lose documents.
  std::vector<std::string> docs;
  for (int i = 1; i <= 300; ++i) docs.push_back(fmt::format(R"({{"_id": {}}})", i));
  docs.push_back(R"({"_id": "a-string"})");
  probe().insert_all("records", docs);
  ProcessResult run = migrate({"up"});
  ASSERT_EQ(run.exit_code, 0) << describe(run);
  EXPECT_TRUE(contains(run.err, "not split")) << run.err;
  expect_all_once(301, 1);
}

// {"$binary": ...} of `bytes` in Extended JSON, subtype `subtype` ("04").
std::string binary_json(const std::vector<unsigned char>& bytes, const char* subtype) {
  static constexpr char kDigits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string base64;
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    unsigned chunk = static_cast<unsigned>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) chunk |= static_cast<unsigned>(bytes[i + 1]) << 8;
    if (i + 2 < bytes.size()) chunk |= bytes[i + 2];
    for (std::size_t k = 0; k < 4; ++k) {
      base64 += i + k <= bytes.size() ? kDigits[(chunk >> (18 - 6 * k)) & 63] : '=';
    }
  }
  return fmt::format(R"({{"$binary": {{"base64": "{}", "subType": "{}"}}}})", base64, subtype);
}

// UUID `_id`s (binary, subtype 4) are split as numbers are: the server
// orders binary (by length, then subtype, then bytes) alike in the sorted
// sample the bounds come from and in $gte/$lt. A few binaries of other
// lengths and subtypes, which that order puts before and after the UUIDs,
// are each handled once too.
TEST_F(ParallelBatchesTest, UuidIdsAreSplitAndEachHandledOnce) {
  std::mt19937 random(18);  // the same `_id`s on every run
  auto random_bytes = [&](std::size_t n) {
    std::vector<unsigned char> bytes(n);
    for (unsigned char& b : bytes) b = static_cast<unsigned char>(random() & 0xFF);
    return bytes;
  };
  std::vector<std::string> docs;
  for (int i = 0; i < 2000; ++i) docs.push_back(fmt::format(R"({{"_id": {}}})", binary_json(random_bytes(16), "04")));
  for (std::size_t length : {1, 8, 15, 17, 32}) {
    for (const char* subtype : {"00", "04", "80"}) {
      docs.push_back(fmt::format(R"({{"_id": {}}})", binary_json(random_bytes(length), subtype)));
    }
  }
  probe().insert_all("records", docs);
  ProcessResult run = migrate({"up"});
  ASSERT_EQ(run.exit_code, 0) << describe(run);
  EXPECT_FALSE(contains(run.err, "not split")) << run.err;
  expect_all_once(2015, 4);
  Document r = record();
  for (int i = 0; i < 4; ++i) {
    EXPECT_GT(r.integer(fmt::format("metadata.up.batch0.partitions.{}.scanned", i)).value_or(0), 200) << r.json();
  }
}

// Decimal128 `_id`s are numbers: split together with the ints beside them.
TEST_F(ParallelBatchesTest, DecimalIdsAreSplitAsNumbers) {
  std::vector<std::string> docs;
  for (int i = 1; i <= 1500; ++i) docs.push_back(fmt::format(R"({{"_id": {{"$numberDecimal": "{}.5"}}}})", i));
  for (int i = 1; i <= 500; ++i) docs.push_back(fmt::format(R"({{"_id": {}}})", i));
  probe().insert_all("records", docs);
  ProcessResult run = migrate({"up"});
  ASSERT_EQ(run.exit_code, 0) << describe(run);
  EXPECT_FALSE(contains(run.err, "not split")) << run.err;
  expect_all_once(2000, 4);
}

TEST_F(ParallelBatchesTest, TheBatchFunctionCannotUseTheContext) {
  seed_records(200);
  control(R"({"useContext": true})");
  ProcessResult run = migrate({"up"});
  EXPECT_EQ(run.exit_code, 1) << describe(run);
  Document r = record();
  EXPECT_EQ(r.string("status"), "failed");
  EXPECT_TRUE(contains(std::string(r.string("error").value_or("")),
                       "the Context cannot be used from a parallel for_each_batch function"))
      << r.json();
  EXPECT_EQ(probe().count("records", R"({"seen": {"$exists": true}})"), 0);
}

TEST_F(ParallelBatchesTest, ParallelBelowOneIsRefusedBeforeAnythingIsRead) {
  seed_records(200);
  for (int bad : {0, -3, 65}) {
    control(fmt::format(R"({{"parallel": {}}})", bad));
    ProcessResult run = migrate({"run", kMigration});
    EXPECT_EQ(run.exit_code, 1) << describe(run);
    Document r = record();
    EXPECT_EQ(r.string("status"), "failed");
    EXPECT_TRUE(contains(std::string(r.string("error").value_or("")),
                         fmt::format("BatchQuery.parallel must be between 1 and 64 (got {})", bad)))
        << r.json();
    EXPECT_FALSE(r.has("metadata.checkpoint"));
    EXPECT_EQ(probe().count("records", R"({"seen": {"$exists": true}})"), 0);
  }
}

// Memory is bounded by the workers' batches, not by the collection
// (BatchQuery: at most N × batch_size documents held). The migration runs
// over 250 documents of 16 KiB, then, after `down`, over 5,000 (80 MiB), with
// 4 workers and then 1, in batches of 25: 4 × 25 documents are 1.6 MiB, so
// the child's peak resident set may grow by far less than a quarter of the
// collection; holding the collection, or a partition of it, would grow it by
// 20 MiB or more. ASan's quarantine, which keeps freed memory resident, is
// turned off in the child so that the sanitizer build measures the same.
TEST_F(ParallelBatchesTest, MemoryIsBoundedByTheWorkersBatchesNotTheCollection) {
  const std::string pad(16 * 1024 - 64, 'x');
  auto seed = [&](int from, int to) {
    std::vector<std::string> docs;
    for (int i = from; i <= to; ++i) docs.push_back(fmt::format(R"({{"_id": {}, "pad": "{}"}})", i, pad));
    probe().insert_all("records", docs);
  };
  const char* asan = std::getenv("ASAN_OPTIONS");
  ProcessOptions no_quarantine;
  no_quarantine.env["ASAN_OPTIONS"] =
      std::string(asan ? asan : "") + (asan && *asan ? ":" : "") + "quarantine_size_mb=0";
  auto up = [&](int parallel, int expected) {
    control(fmt::format(R"({{"parallel": {}, "batchSize": 25}})", parallel));
    ProcessResult run = run_binary(MONGOMIGRATE_PARALLEL_TEST_MIGRATE_BIN, {"up"}, no_quarantine);
    EXPECT_EQ(run.exit_code, 0) << describe(run);
    EXPECT_TRUE(contains(run.err, fmt::format("scanned {} in ", expected))) << run.err;
    EXPECT_EQ(probe().count("records", R"({"seen": 1})"), expected);
    std::smatch peak;
    static const std::regex kPeak(R"(peak resident set:\s*(\d+) kB)");
    EXPECT_TRUE(std::regex_search(run.err, peak, kPeak)) << run.err;
    return peak.empty() ? 0L : std::stol(peak[1].str());
  };
  auto down = [&] {
    ProcessResult run = migrate({"down", kMigration});
    ASSERT_EQ(run.exit_code, 0) << describe(run);
  };

  seed(1, 250);
  long small = up(4, 250);
  down();
  seed(251, 5000);
  long large = up(4, 5000);
  down();
  long large_sequential = up(1, 5000);

  const long collection_kib = 5000L * 16;
  EXPECT_LT(large - small, collection_kib / 4) << "peak RSS " << small << " KiB over 250 documents, " << large
                                                << " KiB over 5,000 with 4 workers";
  EXPECT_LT(large_sequential - small, collection_kib / 4)
      << "peak RSS " << small << " KiB over 250 documents, " << large_sequential << " KiB over 5,000 with 1 worker";
}

// ---- the phone-number example's parallel variant ----

class ParallelExampleTest : public IntegrationTest {
 protected:
  void SetUp() override {
#ifndef MONGOMIGRATE_EXAMPLE_PARALLEL_MIGRATE_BIN
    GTEST_SKIP() << "the examples are not built (MONGOMIGRATE_BUILD_EXAMPLES=OFF)";
#endif
    IntegrationTest::SetUp();
  }
};

TEST_F(ParallelExampleTest, PhoneNumbersComeOutAsWithTheSequentialExample) {
#ifdef MONGOMIGRATE_EXAMPLE_PARALLEL_MIGRATE_BIN
  PhoneClients clients = phone_clients(5000);
  probe().insert_all("clients", clients.original);
  std::string sequential_db = unique_database_name();
  DbProbe sequential(server().uri(sequential_db), sequential_db);
  sequential.insert_all("clients", clients.original);

  ProcessResult parallel = run_binary(MONGOMIGRATE_EXAMPLE_PARALLEL_MIGRATE_BIN, {"up"});
  ASSERT_EQ(parallel.exit_code, 0) << describe(parallel);
  EXPECT_TRUE(contains(parallel.err, fmt::format("normalised {} of {} phone numbers", clients.changed,
                                                 clients.strings)))
      << parallel.err;
  ProcessResult one = run_binary(MONGOMIGRATE_EXAMPLE_MIGRATE_BIN,
                                 {"up", "--uri", server().uri(sequential_db), "--dir", dir()}, {}, false);
  ASSERT_EQ(one.exit_code, 0) << describe(one);

  std::vector<std::string> found = probe().find("clients");
  EXPECT_EQ(found, sequential.find("clients"));
  ASSERT_EQ(found.size(), clients.expected.size());
  int mismatches = 0;
  for (std::size_t i = 0; i < found.size(); ++i) {
    if (!(json(found[i]) == json(clients.expected[i])) && ++mismatches <= 5) {
      ADD_FAILURE() << "client #" << i << ": " << found[i] << ", expected " << clients.expected[i];
    }
  }
  EXPECT_EQ(mismatches, 0);

  std::vector<std::string> records = probe().find("migrationlogs");
  ASSERT_EQ(records.size(), 1u);
  Document r = parse_document(records[0]);
  EXPECT_EQ(r.string("name"), "002-normalize-phone-numbers.cc");
  EXPECT_EQ(r.string("status"), "applied");
  EXPECT_EQ(r.integer("metadata.up.batch0.scanned"), clients.strings);
  EXPECT_EQ(r.integer("metadata.up.batch0.modified"), clients.changed);
  EXPECT_TRUE(r.has("metadata.up.batch0.partitions.3")) << r.json();
  EXPECT_FALSE(r.has("metadata.up.batch0.partitions.4")) << r.json();
  EXPECT_FALSE(r.has("metadata.checkpoint"));
#endif
}

}  // namespace
}  // namespace mongomigrate::testing
