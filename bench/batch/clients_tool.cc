// Seeds and verifies the benchmark's `clients` collection (bench/batch/run.sh).
//
//   clients-tool seed   URI DB N           drop DB, insert N clients into DB.clients
//   clients-tool verify URI DB N MODE      MODE normalised: every client as
//                                          seeded but with its phone number
//                                          normalised; MODE checked: as seeded
//                                          plus phoneChecked: true where it
//                                          has a phone number (server-floor);
//                                          MODE seeded: untouched (after a
//                                          refused update)
//   clients-tool probe  URI DB N           after seed: the median time of one
//                                          updateOne by _id (21 of them, spread
//                                          over the N clients), in ms
//   clients-tool bulk-probe URI DB N K     after seed: the median time of one
//                                          unordered update command of K
//                                          statements by _id (5 of them, on
//                                          distinct clients), in ms
//   clients-tool drop   URI DB             drop DB
//
// Client i (0-based) is a function of i alone, ~265 bytes of BSON: an
// ObjectId _id that sorts by i, seq, name, email, phoneNumber, address,
// status, createdAt, notes. Phone numbers by i % 10: 0 none, 1 already
// normalised, 2-9 written with spaces and/or dashes in eight styles. Verify
// reads every document back and compares each field with the expected client.
#include <bson/bson.h>
#include <mongoc/mongoc.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

[[noreturn]] void die(const char* what, const bson_error_t* error = nullptr) {
  std::fprintf(stderr, "clients-tool: %s%s%s\n", what, error ? ": " : "", error ? error->message : "");
  std::exit(1);
}

std::string phone_of(long i) {
  long long d = (static_cast<long long>(i) * 7919LL * 104729LL + 2718281828LL) % 10000000000LL;
  char n[16];
  std::snprintf(n, sizeof n, "%010lld", d);
  std::string s(n);
  auto part = [&](int from, int len) { return s.substr(from, len); };
  switch (i % 10) {
    case 1: return "+49" + s;
    case 2: return "+49 " + part(0, 2) + " " + part(2, 4) + " " + part(6, 4);
    case 3: return part(0, 3) + "-" + part(3, 3) + "-" + part(6, 4);
    case 4: return "+1 " + part(0, 3) + "-" + part(3, 3) + "-" + part(6, 4);
    case 5: return "(" + part(0, 3) + ") " + part(3, 3) + "-" + part(6, 4);
    case 6: return part(0, 3) + " " + part(3, 3) + " " + part(6, 4);
    case 7: return "+44 " + part(0, 2) + " " + part(2, 4) + " " + part(6, 4);
    case 8: return "0" + part(0, 3) + "-" + part(3, 4) + " " + part(7, 3);
    default: return "+33 " + part(0, 1) + " " + part(1, 2) + " " + part(3, 2) + " " + part(5, 2) + " " + part(7, 2);
  }
}

std::string normalised(std::string phone) {
  std::erase_if(phone, [](char c) { return c == ' ' || c == '-'; });
  return phone;
}

enum class Mode { kSeeded, kNormalised, kChecked };

// Client i as seeded (kSeeded) or as expected after a strategy ran.
void make_client(long i, Mode mode, bson_t* doc) {
  static const char* const cities[] = {"Berlin", "Hamburg", "Munich", "Cologne", "Frankfurt",
                                       "Stuttgart", "Leipzig", "Dresden"};
  bson_oid_t oid;
  std::memset(oid.bytes, 0, sizeof oid.bytes);
  oid.bytes[0] = 0x65;  // a fixed 2023 timestamp, then i big-endian: _id order is seq order
  for (int b = 0; b < 8; ++b) oid.bytes[11 - b] = static_cast<uint8_t>(static_cast<unsigned long>(i) >> (8 * b));
  char buf[64];
  BSON_APPEND_OID(doc, "_id", &oid);
  BSON_APPEND_INT64(doc, "seq", i);
  std::snprintf(buf, sizeof buf, "Client %07ld", i);
  BSON_APPEND_UTF8(doc, "name", buf);
  std::snprintf(buf, sizeof buf, "client%07ld@example.com", i);
  BSON_APPEND_UTF8(doc, "email", buf);
  if (i % 10 != 0) {
    std::string phone = phone_of(i);
    if (mode == Mode::kNormalised) phone = normalised(phone);
    BSON_APPEND_UTF8(doc, "phoneNumber", phone.c_str());
  }
  bson_t address;
  BSON_APPEND_DOCUMENT_BEGIN(doc, "address", &address);
  std::snprintf(buf, sizeof buf, "%ld Main Street", i % 997 + 1);
  BSON_APPEND_UTF8(&address, "street", buf);
  BSON_APPEND_UTF8(&address, "city", cities[i % 8]);
  std::snprintf(buf, sizeof buf, "%05ld", (i * 37) % 100000);
  BSON_APPEND_UTF8(&address, "zip", buf);
  bson_append_document_end(doc, &address);
  BSON_APPEND_UTF8(doc, "status", i % 7 == 0 ? "inactive" : "active");
  BSON_APPEND_DATE_TIME(doc, "createdAt", 1600000000000LL + static_cast<int64_t>(i) * 1000);
  BSON_APPEND_UTF8(doc, "notes", "Call mornings.");
  if (mode == Mode::kChecked && i % 10 != 0) BSON_APPEND_BOOL(doc, "phoneChecked", true);
}

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

int seed(mongoc_client_t* client, const char* db, long n) {
  // The whole database: the strategy's migrator starts with no tracking log.
  mongoc_database_t* database = mongoc_client_get_database(client, db);
  bson_error_t error;
  if (!mongoc_database_drop(database, &error) && !strstr(error.message, "not found")) die("drop failed", &error);
  mongoc_database_destroy(database);
  mongoc_collection_t* coll = mongoc_client_get_collection(client, db, "clients");
  double start = now_s();
  constexpr long kChunk = 1000;
  bson_t* docs[kChunk];
  bson_t* opts = BCON_NEW("ordered", BCON_BOOL(false));
  size_t total_bytes = 0;
  for (long first = 0; first < n; first += kChunk) {
    long count = std::min(kChunk, n - first);
    for (long k = 0; k < count; ++k) {
      docs[k] = bson_new();
      make_client(first + k, Mode::kSeeded, docs[k]);
      total_bytes += docs[k]->len;
    }
    bool ok = mongoc_collection_insert_many(coll, const_cast<const bson_t**>(docs), static_cast<size_t>(count), opts, nullptr, &error);
    for (long k = 0; k < count; ++k) bson_destroy(docs[k]);
    if (!ok) die("insert failed", &error);
  }
  bson_destroy(opts);
  std::printf("seeded %ld clients into %s.clients (%.0f bytes each on average) in %.1f s\n", n, db,
              n ? static_cast<double>(total_bytes) / n : 0.0, now_s() - start);
  mongoc_collection_destroy(coll);
  return 0;
}

int verify(mongoc_client_t* client, const char* db, long n, Mode mode) {
  mongoc_collection_t* coll = mongoc_client_get_collection(client, db, "clients");
  bson_t filter = BSON_INITIALIZER;
  // In _id order: on FerretDB 2 a scan with no sort, across getMores, was
  // seen to return some documents twice after the per-document loop's
  // updates (the index scan of a sort on _id does not).
  bson_t* opts = BCON_NEW("batchSize", BCON_INT32(1000), "sort", "{", "_id", BCON_INT32(1), "}");
  mongoc_cursor_t* cursor = mongoc_collection_find_with_opts(coll, &filter, opts, nullptr);
  std::vector<bool> seen(static_cast<size_t>(n), false);
  long docs = 0, bad = 0, with_separator = 0, changed_phone = 0;
  const bson_t* doc;
  while (mongoc_cursor_next(cursor, &doc)) {
    ++docs;
    bson_iter_t it;
    long i = bson_iter_init_find(&it, doc, "seq") && BSON_ITER_HOLDS_INT64(&it) ? bson_iter_int64(&it) : -1;
    if (i < 0 || i >= n || seen[static_cast<size_t>(i)]) {
      if (++bad <= 5) std::fprintf(stderr, "unexpected or repeated document (seq %ld)\n", i);
      continue;
    }
    seen[static_cast<size_t>(i)] = true;
    if (bson_iter_init_find(&it, doc, "phoneNumber") && BSON_ITER_HOLDS_UTF8(&it)) {
      const char* p = bson_iter_utf8(&it, nullptr);
      if (strpbrk(p, " -")) ++with_separator;
      if (phone_of(i) != p) ++changed_phone;
    }
    bson_t expected = BSON_INITIALIZER;
    make_client(i, mode, &expected);
    bool same = bson_count_keys(&expected) == bson_count_keys(doc);
    bson_iter_t e;
    bson_iter_init(&e, &expected);
    while (same && bson_iter_next(&e)) {
      bson_iter_t a;
      bson_t ev = BSON_INITIALIZER, av = BSON_INITIALIZER;
      same = bson_iter_init_find(&a, doc, bson_iter_key(&e)) && bson_append_iter(&ev, "v", 1, &e) &&
             bson_append_iter(&av, "v", 1, &a) && bson_equal(&ev, &av);
      bson_destroy(&ev);
      bson_destroy(&av);
    }
    if (!same && ++bad <= 5) {
      char* got = bson_as_relaxed_extended_json(doc, nullptr);
      char* want = bson_as_relaxed_extended_json(&expected, nullptr);
      std::fprintf(stderr, "client %ld differs:\n  got      %s\n  expected %s\n", i, got, want);
      bson_free(got);
      bson_free(want);
    }
    bson_destroy(&expected);
  }
  bson_error_t error;
  if (mongoc_cursor_error(cursor, &error)) die("reading the clients failed", &error);
  mongoc_cursor_destroy(cursor);
  bson_destroy(opts);
  mongoc_collection_destroy(coll);
  std::printf("verified %ld of %ld clients: %ld wrong, %ld phone numbers with a space or dash, %ld changed\n", docs,
              n, bad, with_separator, changed_phone);
  return bad == 0 && docs == n ? 0 : 1;
}

int probe(mongoc_client_t* client, const char* db, long n) {
  mongoc_collection_t* coll = mongoc_client_get_collection(client, db, "clients");
  std::vector<double> ms;
  for (long k = 0; k < 21; ++k) {
    long i = (k * 7919 + 11) % n;
    bson_t full = BSON_INITIALIZER;
    make_client(i, Mode::kSeeded, &full);
    bson_iter_t it;
    bson_iter_init_find(&it, &full, "_id");
    bson_t* filter = BCON_NEW("_id", BCON_OID(bson_iter_oid(&it)));
    bson_t* update = BCON_NEW("$set", "{", "probe", BCON_INT64(k), "}");
    bson_error_t error;
    double start = now_s();
    if (!mongoc_collection_update_one(coll, filter, update, nullptr, nullptr, &error)) die("update failed", &error);
    ms.push_back((now_s() - start) * 1000);
    bson_destroy(filter);
    bson_destroy(update);
    bson_destroy(&full);
  }
  std::sort(ms.begin(), ms.end());
  std::printf("%.3f\n", ms[ms.size() / 2]);
  mongoc_collection_destroy(coll);
  return 0;
}

int bulk_probe(mongoc_client_t* client, const char* db, long n, long k) {
  mongoc_collection_t* coll = mongoc_client_get_collection(client, db, "clients");
  bson_t* opts = BCON_NEW("ordered", BCON_BOOL(false));
  std::vector<double> ms;
  for (long round = 0; round < 5; ++round) {
    mongoc_bulk_operation_t* bulk = mongoc_collection_create_bulk_operation_with_opts(coll, opts);
    for (long j = 0; j < k; ++j) {
      long i = ((round * k + j) * 7919 + 11) % n;
      bson_t full = BSON_INITIALIZER;
      make_client(i, Mode::kSeeded, &full);
      bson_iter_t it;
      bson_iter_init_find(&it, &full, "_id");
      bson_t* filter = BCON_NEW("_id", BCON_OID(bson_iter_oid(&it)));
      bson_t* update = BCON_NEW("$set", "{", "probe", BCON_INT64(round), "}");
      bson_error_t error;
      if (!mongoc_bulk_operation_update_one_with_opts(bulk, filter, update, nullptr, &error)) die("bad update", &error);
      bson_destroy(filter);
      bson_destroy(update);
      bson_destroy(&full);
    }
    bson_t reply;
    bson_error_t error;
    double start = now_s();
    bool ok = mongoc_bulk_operation_execute(bulk, &reply, &error) != 0;
    ms.push_back((now_s() - start) * 1000);
    bson_destroy(&reply);
    mongoc_bulk_operation_destroy(bulk);
    if (!ok) die("bulk update failed", &error);
  }
  std::sort(ms.begin(), ms.end());
  std::printf("%.3f\n", ms[ms.size() / 2]);
  bson_destroy(opts);
  mongoc_collection_destroy(coll);
  return 0;
}

int drop(mongoc_client_t* client, const char* db) {
  mongoc_database_t* database = mongoc_client_get_database(client, db);
  bson_error_t error;
  if (!mongoc_database_drop(database, &error) && !strstr(error.message, "not found")) die("drop failed", &error);
  mongoc_database_destroy(database);
  return 0;
}

}  // namespace

// libmongoc warns at exit that FerretDB has no endSessions; say nothing of it.
void log_handler(mongoc_log_level_t level, const char* domain, const char* message, void* data) {
  if (level == MONGOC_LOG_LEVEL_WARNING && strstr(message, "endSessions")) return;
  mongoc_log_default_handler(level, domain, message, data);
}

int main(int argc, char** argv) {
  if (argc < 4 || (argc < 5 && std::strcmp(argv[1], "drop") != 0)) {
    std::fprintf(stderr, "usage: clients-tool seed URI DB N | verify URI DB N normalised|checked|seeded | "
                         "probe URI DB N | bulk-probe URI DB N K | drop URI DB\n");
    return 2;
  }
  mongoc_init();
  mongoc_log_set_handler(log_handler, nullptr);
  bson_error_t error;
  mongoc_uri_t* uri = mongoc_uri_new_with_error(argv[2], &error);
  if (!uri) die("bad URI", &error);
  mongoc_client_t* client = mongoc_client_new_from_uri(uri);
  long n = argc > 4 ? std::strtol(argv[4], nullptr, 10) : 0;
  int rc = 2;
  if (std::strcmp(argv[1], "drop") == 0) {
    rc = drop(client, argv[3]);
  } else if (std::strcmp(argv[1], "bulk-probe") == 0 && argc == 6) {
    rc = bulk_probe(client, argv[3], n, std::strtol(argv[5], nullptr, 10));
  } else if (std::strcmp(argv[1], "seed") == 0) {
    rc = seed(client, argv[3], n);
  } else if (std::strcmp(argv[1], "probe") == 0) {
    rc = probe(client, argv[3], n);
  } else if (std::strcmp(argv[1], "verify") == 0 && argc == 6) {
    Mode mode = std::strcmp(argv[5], "checked") == 0 ? Mode::kChecked
                : std::strcmp(argv[5], "seeded") == 0 ? Mode::kSeeded
                                                      : Mode::kNormalised;
    rc = verify(client, argv[3], n, mode);
  }
  mongoc_client_destroy(client);
  mongoc_uri_destroy(uri);
  mongoc_cleanup();
  return rc;
}
