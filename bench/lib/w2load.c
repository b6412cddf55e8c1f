// The read of TrackingStore::load() (src/mongo/tracking_store.cc) through libmongoc, as
// mongo-migrate sends it, and variants of its options; timed against a running server.
//   cc -O2 -o w2load bench/lib/w2load.c $(pkg-config --cflags --libs libmongoc-1.0)
//   w2load URI DB RUNS SERVER_PID|0 VARIANT...
// Variants: cur (load()'s inclusion projection), excl ({_id: 0, metadata: 0}), none (no
// projection); each with a suffix _bsN sets the cursor's batchSize to N (_bs alone: 100000).
// Runs are interleaved round-robin over the variants; prints median/min/max wall ms and,
// with SERVER_PID, the median CPU ms (user + system) the server spent per read.
#include <mongoc/mongoc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char* kFields[] = {"name",     "version",  "status",    "appliedAt",  "revertedAt", "duration",
                                "error",    "checksum", "appliedBy", "revertedBy", "lockOwner"};

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double server_cpu_ms(int pid) {
  if (!pid) return 0;
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", pid);
  FILE* f = fopen(path, "r");
  if (!f) return 0;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  char* p = strrchr(buf, ')');
  unsigned long long utime = 0, stime = 0;
  // after ") ": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
  sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime);
  return (utime + stime) * 1000.0 / sysconf(_SC_CLK_TCK);
}

static void make_opts(const char* variant, bson_t* opts) {
  bson_init(opts);
  bson_t proj;
  if (!strncmp(variant, "cur", 3)) {
    BSON_APPEND_DOCUMENT_BEGIN(opts, "projection", &proj);
    for (size_t i = 0; i < sizeof kFields / sizeof *kFields; i++) BSON_APPEND_INT32(&proj, kFields[i], 1);
    BSON_APPEND_INT32(&proj, "_id", 0);
    bson_append_document_end(opts, &proj);
  } else if (!strncmp(variant, "excl", 4)) {
    BSON_APPEND_DOCUMENT_BEGIN(opts, "projection", &proj);
    BSON_APPEND_INT32(&proj, "_id", 0);
    BSON_APPEND_INT32(&proj, "metadata", 0);
    bson_append_document_end(opts, &proj);
  } else if (strncmp(variant, "none", 4)) {
    fprintf(stderr, "unknown variant %s\n", variant);
    exit(2);
  }
  const char* bs = strstr(variant, "_bs");
  if (bs) BSON_APPEND_INT64(opts, "batchSize", bs[3] ? atoll(bs + 3) : 100000);
}

static int read_all(mongoc_collection_t* coll, const bson_t* opts) {
  bson_t filter = BSON_INITIALIZER;
  mongoc_cursor_t* cursor = mongoc_collection_find_with_opts(coll, &filter, opts, NULL);
  const bson_t* doc;
  int n = 0;
  bson_iter_t it;
  while (mongoc_cursor_next(cursor, &doc)) {
    if (bson_iter_init(&it, doc))
      while (bson_iter_next(&it)) (void)bson_iter_key(&it);
    n++;
  }
  bson_error_t error;
  if (mongoc_cursor_error(cursor, &error)) {
    fprintf(stderr, "find: %s\n", error.message);
    exit(1);
  }
  mongoc_cursor_destroy(cursor);
  bson_destroy(&filter);
  return n;
}

static int cmp(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return (x > y) - (x < y);
}

static double median(double* v, int n) {
  qsort(v, n, sizeof *v, cmp);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char** argv) {
  if (argc < 6) {
    fprintf(stderr, "usage: %s URI DB RUNS SERVER_PID|0 VARIANT...\n", argv[0]);
    return 2;
  }
  int runs = atoi(argv[3]), pid = atoi(argv[4]), nv = argc - 5;
  mongoc_init();
  mongoc_client_t* client = mongoc_client_new(argv[1]);
  mongoc_collection_t* coll = mongoc_client_get_collection(client, argv[2], "migrationlogs");
  bson_t* opts = calloc(nv, sizeof *opts);
  double* wall = calloc((size_t)nv * runs, sizeof *wall);
  double* cpu = calloc((size_t)nv * runs, sizeof *cpu);
  int* docs = calloc(nv, sizeof *docs);
  for (int v = 0; v < nv; v++) {
    make_opts(argv[5 + v], &opts[v]);
    read_all(coll, &opts[v]);  // warm-up
  }
  for (int r = 0; r < runs; r++) {
    for (int v = 0; v < nv; v++) {
      double c0 = server_cpu_ms(pid), t0 = now_ms();
      docs[v] = read_all(coll, &opts[v]);
      wall[v * runs + r] = now_ms() - t0;
      cpu[v * runs + r] = server_cpu_ms(pid) - c0;
    }
  }
  printf("variant\tdocs\twall median ms\tmin\tmax\truns\tserver CPU median ms\n");
  for (int v = 0; v < nv; v++) {
    double* w = wall + v * runs;
    double m = median(w, runs);  // sorts w
    printf("%s\t%d\t%.1f\t%.1f\t%.1f\t%d\t%s", argv[5 + v], docs[v], m, w[0], w[runs - 1], runs, pid ? "" : "-\n");
    if (pid) printf("%.0f\n", median(cpu + v * runs, runs));
  }
  mongoc_collection_destroy(coll);
  mongoc_client_destroy(client);
  mongoc_cleanup();
  return 0;
}
