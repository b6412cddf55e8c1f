// The least any migration tool can do for W3 (bench/run.sh) on a server:
// N one-insert migrations applied in order by one C++ client (libmongoc, one
// connection, majority write concern as mongo-migrate writes), with no files,
// no lock, no planning and no output. Not a migration tool: its times are the
// server's floor under each way of recording, against which the tools'
// times in the same run are read (docs/benchmarks.md).
//
//   round-trips URI DB N MODE
//     one   per migration, its insert alone: one round trip. The floor of a
//           tool whose log is written later or in batches (a log that lags).
//     two   per migration, its insert, then an insert into a log: two round
//           trips, one after the other. The floor of a tool that records each
//           migration before the next one runs (migrate-mongo's two writes).
//     ours  per migration, its insert, then one ordered `update` command of
//           two upserts: its outcome (by `_id` and owner) and the next one's
//           claim, as mongo-migrate's critical path sends them (without the
//           lease read and the event, which go on other connections).
//     full  `ours`, with the rest of what DESIGN.md §3 and §5 ask, sent as
//           mongo-migrate sends it: a lease taken and given back, a read of
//           it started with each claim and waited for before the migration's
//           insert, and each migration's event inserted while the next one
//           runs (waited for before that one's outcome), each on a
//           connection and thread of its own.
//
// Exits 1 with a message on the first error; prints nothing otherwise.
#include <bson/bson.h>
#include <mongoc/mongoc.h>

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>
#include <optional>
#include <mutex>
#include <string>
#include <thread>

namespace {

[[noreturn]] void die(const char* what, const bson_error_t* error = nullptr) {
  std::fprintf(stderr, "round-trips: %s%s%s\n", what, error ? ": " : "", error ? error->message : "");
  std::exit(1);
}

std::string name_of(long i) {
  char name[32];
  std::snprintf(name, sizeof name, "%05ld-insert", i + 1);
  return name;
}

void insert(mongoc_collection_t* coll, bson_t* doc, const bson_t* opts) {
  bson_error_t error;
  if (!mongoc_collection_insert_one(coll, doc, opts, nullptr, &error)) die("insert", &error);
  bson_destroy(doc);
}

// The outcome of migration `i` (record `done`, absent for the first) and the
// claim of migration `i + 1` (record `next`), in one ordered update command.
void outcome_and_claim(mongoc_collection_t* log, const bson_oid_t* done, long i, const bson_oid_t& next,
                       const bson_t* opts) {
  bson_t* bulk_opts = bson_copy(opts);
  BSON_APPEND_BOOL(bulk_opts, "ordered", true);
  mongoc_bulk_operation_t* bulk = mongoc_collection_create_bulk_operation_with_opts(log, bulk_opts);
  bson_destroy(bulk_opts);
  bson_t* upsert = BCON_NEW("upsert", BCON_BOOL(true));
  bson_error_t error;
  if (done) {
    std::string name = name_of(i - 1);
    bson_t* filter = BCON_NEW("_id", BCON_OID(done), "lockOwner", "owner");
    bson_t* change = BCON_NEW("$set", "{", "status", "applied", "name", BCON_UTF8(name.c_str()), "appliedAt",
                              BCON_DATE_TIME(static_cast<int64_t>(std::time(nullptr)) * 1000), "duration", BCON_INT64(1), "}",
                              "$unset", "{", "lockOwner", "", "}");
    if (!mongoc_bulk_operation_update_one_with_opts(bulk, filter, change, upsert, &error)) die("outcome", &error);
    bson_destroy(filter);
    bson_destroy(change);
  }
  std::string name = name_of(i);
  bson_t* filter = BCON_NEW("_id", BCON_OID(&next));
  bson_t* change =
      BCON_NEW("$set", "{", "status", "running", "name", BCON_UTF8(name.c_str()), "lockOwner", "owner", "}");
  if (!mongoc_bulk_operation_update_one_with_opts(bulk, filter, change, upsert, &error)) die("claim", &error);
  bson_destroy(filter);
  bson_destroy(change);
  bson_destroy(upsert);
  bson_t reply;
  if (mongoc_bulk_operation_execute(bulk, &reply, &error) == 0) die("outcome and claim", &error);
  bson_destroy(&reply);
  mongoc_bulk_operation_destroy(bulk);
}

// A thread with a client of its own that runs one job at a time.
class Worker {
 public:
  explicit Worker(const mongoc_uri_t* uri) : client_(mongoc_client_new_from_uri(uri)), thread_([this] { loop(); }) {
    if (!client_) die("worker client");
  }
  ~Worker() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    changed_.notify_all();
    thread_.join();
    mongoc_client_destroy(client_);
  }
  // Starts `job` once the previous one is done.
  void start(std::function<void(mongoc_client_t*)> job) {
    wait();
    std::lock_guard lock(mutex_);
    job_ = std::move(job);
    changed_.notify_all();
  }
  void wait() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return !job_; });
  }

 private:
  void loop() {
    std::unique_lock lock(mutex_);
    for (;;) {
      changed_.wait(lock, [this] { return stopping_ || job_; });
      if (!job_) return;
      lock.unlock();
      job_(client_);
      lock.lock();
      job_ = nullptr;
      changed_.notify_all();
    }
  }

  mongoc_client_t* client_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::function<void(mongoc_client_t*)> job_;
  bool stopping_ = false;
  std::thread thread_;  // last: it starts with the others in place
};

void read_lease(mongoc_client_t* client, const char* db) {
  mongoc_collection_t* lock = mongoc_client_get_collection(client, db, "log_lock");
  bson_t* filter = BCON_NEW("_id", "lease");
  mongoc_cursor_t* cursor = mongoc_collection_find_with_opts(lock, filter, nullptr, nullptr);
  const bson_t* doc;
  bool found = mongoc_cursor_next(cursor, &doc);
  bson_error_t error;
  if (mongoc_cursor_error(cursor, &error)) die("lease read", &error);
  if (!found) die("lease read: no lease");
  mongoc_cursor_destroy(cursor);
  bson_destroy(filter);
  mongoc_collection_destroy(lock);
}

void insert_event(mongoc_client_t* client, const char* db, long i, const bson_t* opts) {
  mongoc_collection_t* events = mongoc_client_get_collection(client, db, "log_events");
  std::string name = name_of(i);
  insert(events,
         BCON_NEW("name", BCON_UTF8(name.c_str()), "action", "applied", "at",
                  BCON_DATE_TIME(static_cast<int64_t>(std::time(nullptr)) * 1000), "by", "bench", "duration",
                  BCON_INT64(1), "runner", "{", "host", "bench", "pid", BCON_INT64(1), "}"),
         opts);
  mongoc_collection_destroy(events);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) die("usage: round-trips URI DB N one|two|ours|full");
  const char* db = argv[2];
  long n = std::strtol(argv[3], nullptr, 10);
  std::string mode = argv[4];
  if (n < 1 || (mode != "one" && mode != "two" && mode != "ours" && mode != "full")) {
    die("usage: round-trips URI DB N one|two|ours|full");
  }

  mongoc_init();
  bson_error_t error;
  mongoc_uri_t* uri = mongoc_uri_new_with_error(argv[1], &error);
  if (!uri) die("uri", &error);
  mongoc_client_t* client = mongoc_client_new_from_uri_with_error(uri, &error);
  if (!client) die("client", &error);
  mongoc_client_set_appname(client, "round-trips");
  mongoc_write_concern_t* majority = mongoc_write_concern_new();
  mongoc_write_concern_set_w(majority, MONGOC_WRITE_CONCERN_W_MAJORITY);
  bson_t opts = BSON_INITIALIZER;
  mongoc_write_concern_append(majority, &opts);

  mongoc_collection_t* items = mongoc_client_get_collection(client, db, "bench_items");
  mongoc_collection_t* log = mongoc_client_get_collection(client, db, "log");
  const bool full = mode == "full";
  if (full) mode = "ours";
  std::optional<Worker> lease_reader, event_sender;
  mongoc_collection_t* lease = mongoc_client_get_collection(client, db, "log_lock");
  if (full) {
    lease_reader.emplace(uri);
    event_sender.emplace(uri);
    insert(lease, BCON_NEW("_id", "lease", "owner", "owner", "expiresAt",
                           BCON_DATE_TIME((static_cast<int64_t>(std::time(nullptr)) + 60) * 1000)),
           &opts);
  }
  if (mode == "ours") {
    // As mongo-migrate: the log's unique index on name before the first claim.
    bson_t* index = BCON_NEW("createIndexes", "log", "indexes", "[", "{", "key", "{", "name", BCON_INT32(1), "}",
                             "name", "name_1", "unique", BCON_BOOL(true), "}", "]");
    if (!mongoc_client_write_command_with_opts(client, db, index, &opts, nullptr, &error)) die("index", &error);
    bson_destroy(index);
  }

  bson_oid_t record, next;
  bool have_record = false;
  auto start_lease_read = [&] {
    if (lease_reader) lease_reader->start([db](mongoc_client_t* c) { read_lease(c, db); });
  };
  if (mode == "ours") {
    bson_oid_init(&record, nullptr);
    start_lease_read();
    outcome_and_claim(log, nullptr, 0, record, &opts);  // the first migration's claim
    have_record = true;
  }
  for (long i = 0; i < n; ++i) {
    if (lease_reader) lease_reader->wait();
    insert(items, BCON_NEW("n", BCON_INT64(i + 1)), &opts);
    if (event_sender) event_sender->wait();
    if (mode == "two") {
      std::string name = name_of(i);
      insert(log, BCON_NEW("fileName", BCON_UTF8(name.c_str()), "appliedAt",
                           BCON_DATE_TIME(static_cast<int64_t>(std::time(nullptr)) * 1000)),
             &opts);
    } else if (mode == "ours") {
      bson_oid_init(&next, nullptr);
      // The last migration's outcome goes alone in mongo-migrate; here with
      // one more claim, which changes nothing measurable.
      start_lease_read();
      outcome_and_claim(log, have_record ? &record : nullptr, i + 1, next, &opts);
      record = next;
      if (event_sender) event_sender->start([db, i, &opts](mongoc_client_t* c) { insert_event(c, db, i, &opts); });
    }
  }
  if (full) {
    lease_reader->wait();
    event_sender->wait();
    bson_t* mine = BCON_NEW("_id", "lease", "owner", "owner");
    if (!mongoc_collection_delete_one(lease, mine, &opts, nullptr, &error)) die("release", &error);
    bson_destroy(mine);
  }
  lease_reader.reset();
  event_sender.reset();
  mongoc_collection_destroy(lease);

  mongoc_collection_destroy(items);
  mongoc_collection_destroy(log);
  bson_destroy(&opts);
  mongoc_write_concern_destroy(majority);
  mongoc_client_destroy(client);
  mongoc_uri_destroy(uri);
  mongoc_cleanup();
  return 0;
}
