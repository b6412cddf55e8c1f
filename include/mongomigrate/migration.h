// Writing a migration in C++: one source file per migration, named like any
// migration ("004-normalize-phone-numbers.cc"), built into a migrator with
// the CMake helper mongomigrate_add_migrator(), which also gives each file its
// name and its checksum (SHA-256 of the file as built).
//
//   #include <mongomigrate/migration.h>
//   using namespace mongomigrate;
//
//   static void up(Context& ctx) {
//     ctx.update_many("users", json(R"({"preferences": {"$exists": false}})"),
//                     Doc{{"$set", Doc{{"preferences", Doc{{"theme", "light"}, {"language", "en"}}}}}});
//   }
//   static void down(Context& ctx) { ... }
//   MONGOMIGRATE_MIGRATION("Give every user default preferences", up, down);
//
// An irreversible migration registers with MONGOMIGRATE_IRREVERSIBLE(desc, up).
// A body fails by throwing (any exception: its message is recorded); the
// Context's helpers throw MigrationError when the server refuses. When one
// loses the connection instead, the outcome of its command is unknown: the
// migration stays `running` (interrupted, for a person to check) even if the
// body catches that exception and goes on.
//
// With many databases at once (--dbs, --all-dbs: --parallel 4 by default),
// a body runs on several threads at the same time, each with a Context of
// its own database: keep no mutable state outside the call (a static cache
// or counter would be a data race).
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "mongomigrate/value.h"

namespace mongomigrate {

// Thrown by Context helpers when a command fails (ok:0, writeErrors,
// writeConcernError); recorded as the migration's error.
class MigrationError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One write of a batch: built with the static functions.
struct WriteOp {
  enum class Kind { kInsertOne, kUpdateOne, kUpdateMany, kReplaceOne, kDeleteOne, kDeleteMany };
  Kind kind;
  Value filter;    // all but insert
  Value document;  // update (operators), replacement, or the document to insert

  static WriteOp insert_one(Value document) { return {Kind::kInsertOne, Value(), std::move(document)}; }
  static WriteOp update_one(Value filter, Value update) { return {Kind::kUpdateOne, std::move(filter), std::move(update)}; }
  static WriteOp update_many(Value filter, Value update) { return {Kind::kUpdateMany, std::move(filter), std::move(update)}; }
  static WriteOp replace_one(Value filter, Value replacement) {
    return {Kind::kReplaceOne, std::move(filter), std::move(replacement)};
  }
  static WriteOp delete_one(Value filter) { return {Kind::kDeleteOne, std::move(filter), Value()}; }
  static WriteOp delete_many(Value filter) { return {Kind::kDeleteMany, std::move(filter), Value()}; }
  // update_one({_id: doc._id}, update): the common case in a batch.
  static WriteOp update_by_id(const Document& doc, Value update) {
    return update_one(Doc{{"_id", doc.id()}}, std::move(update));
  }
};

// What for_each_batch streams: documents of `collection` matching `filter`,
// in `_id` order, `batch_size` at a time.
//
// `parallel` = N > 1 splits the work into up to N partitions by `_id` range,
// each run by a worker thread with its own connection, cursor (in `_id`
// order) and unordered bulk writes, so at most N × batch_size documents are
// held. How the split is made: a sample of the matching `_id`s ($match,
// $sample of 64·N, at most 4,096; the server sorts it by `_id`), cut at its
// quantiles; partition i is [bound i-1, bound i), the first and last open
// ended. Partitions are even only as far as the sample is: skewed `_id`s make
// uneven ones. Fewer distinct `_id`s sampled than N: that many partitions; no
// matching document: nothing to do. MongoDB compares values of one type only
// in queries, so if the `_id`s are not all of one kind (all numbers, all
// strings, all ObjectIds, all binary such as UUIDs, all dates...) the run is
// not split (one partition).
// As with one cursor, a document inserted during the run into a range behind
// its cursor is not seen.
// Each partition has its own checkpoint; a failed or interrupted run resumes
// every partition after its last completed batch, with the partitions it
// recorded (whatever `parallel` says then; --restart splits afresh). N < 1 or
// N > 64 is a MigrationError.
struct BatchQuery {
  std::string collection;
  Value filter = Doc{};
  Value projection;  // null: whole documents; must keep _id (a MigrationError otherwise)
  int batch_size = 1000;
  int parallel = 1;
};

struct UpdateResult {
  std::int64_t matched = 0;
  std::int64_t modified = 0;
};

struct BatchResult {
  std::int64_t scanned = 0;   // documents handed to the function
  std::int64_t matched = 0;   // by the writes' filters
  std::int64_t modified = 0;
  std::int64_t inserted = 0;
  std::int64_t deleted = 0;
  std::int64_t batches = 0;
};

// Returns the writes for one batch; executed as one unordered bulk write.
// With BatchQuery::parallel > 1 it is called from several worker threads at
// once (one batch at a time per worker), so it must be thread-safe, and it
// must not use the Context (which then throws MigrationError): whatever it
// needs from the database, read it before the call.
using BatchFunction = std::function<std::vector<WriteOp>(std::span<const Document> batch)>;

// What a migration body gets. Not thread-safe; valid only during the call.
class Context {
 public:
  virtual ~Context() = default;

  virtual const std::string& database() const = 0;

  // Runs any command on the target database and returns the reply
  // (renameCollection goes to `admin`, a name without a dot being a
  // collection of the target database, as in JSON migrations).
  virtual Document command(const Value& command) = 0;

  virtual void create_index(std::string_view collection, const Value& keys, std::string_view name,
                            const Value& options = Doc{}) = 0;
  virtual void drop_index(std::string_view collection, std::string_view name) = 0;
  virtual UpdateResult update_many(std::string_view collection, const Value& filter, const Value& update) = 0;
  virtual std::int64_t insert_many(std::string_view collection, const std::vector<Value>& documents) = 0;

  // Streams the query's documents in batches (memory bounded by the batch
  // size, not the collection) and applies the writes `fn` returns for each
  // batch as one unordered bulk write. Shows progress on a terminal, stops
  // after the current batch when asked to (SIGINT), and records its totals in
  // the migration's log `metadata`. With query.parallel > 1 (see BatchQuery),
  // the first failure of any worker stops the others after their current
  // batch and is the call's failure; a SIGINT stops every worker after its
  // current batch; progress and totals are summed over the partitions.
  virtual BatchResult for_each_batch(const BatchQuery& query, const BatchFunction& fn) = 0;

  // A progress line for people (stderr, not in --json output).
  virtual void log(std::string_view message) = 0;
};

using MigrationBody = std::function<void(Context&)>;

// A migration compiled into the program.
struct CompiledMigration {
  std::string name;      // the source file's name
  std::string checksum;  // SHA-256 of the source file as built
  std::string description;
  MigrationBody up;
  MigrationBody down;  // empty: irreversible
};

// Adds a migration to this program's registry (called by the macros below at
// static-initialisation time). Returns true, for the macros' sake.
bool register_migration(CompiledMigration migration);

// Every migration registered in this program, in registration order.
const std::vector<CompiledMigration>& compiled_migrations();

}  // namespace mongomigrate

#if defined(MONGOMIGRATE_FILE_NAME) && defined(MONGOMIGRATE_FILE_SHA256)
#define MONGOMIGRATE_DETAIL_REGISTER(description, up_fn, down_fn)                                           \
  namespace {                                                                                               \
  [[maybe_unused]] const bool mongomigrate_registered_ = ::mongomigrate::register_migration(              \
      ::mongomigrate::CompiledMigration{MONGOMIGRATE_FILE_NAME, MONGOMIGRATE_FILE_SHA256, description, up_fn, \
                                        down_fn});                                                          \
  }
#else
#define MONGOMIGRATE_DETAIL_REGISTER(description, up_fn, down_fn) \
  static_assert(false, "build migrations with mongomigrate_add_migrator() so they get a name and a checksum");
#endif

// Registers this file's migration with its `up` and `down` functions.
#define MONGOMIGRATE_MIGRATION(description, up_fn, down_fn) MONGOMIGRATE_DETAIL_REGISTER(description, up_fn, down_fn)
// Registers this file's irreversible migration (no `down`).
#define MONGOMIGRATE_IRREVERSIBLE(description, up_fn) \
  MONGOMIGRATE_DETAIL_REGISTER(description, up_fn, ::mongomigrate::MigrationBody())
