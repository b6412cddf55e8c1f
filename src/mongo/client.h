// A connection to the target database. Owns the mongoc client; knows the
// URI's secrets (its password, the values of secret-bearing options) only to
// scrub them from every message it produces.
//
// Contract: construction parses the URI and never contacts the server
// (libmongoc connects lazily); every call that does reports an unreachable
// server, failed authentication or any other server error outside a
// migration as ErrorKind::kDatabase.
#pragma once

#include <mongoc/mongoc.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/migration.h"
#include "mongo/handles.h"
#include "mongomigrate/error.h"
#include "mongomigrate/report.h"

namespace mongomigrate::mongo {

class ServerWaitNotice;  // mongo/server_wait.h

class Client {
 public:
  // kUsage for a malformed URI (one longer than core::kMaxUriBytes included,
  // refused before the driver parses it; the message never quotes a URI the
  // driver rejected) or when neither `database` nor the URI's path names a
  // database, or when that database's name is one MongoDB cannot hold
  // (core::database_name_problem).
  static Result<Client> open(const std::string& uri, const std::string& database);
  // A connection lent by a pool (mongo/client_pool.h) for `database`: the
  // handle goes back to the pool when this Client is destroyed, and `pool`
  // (the pool's owner) is kept alive until then.
  static Client pooled(ClientPtr handle, std::string database, std::string redacted_uri,
                       std::vector<std::string> secrets, std::shared_ptr<const void> pool);
  Client(Client&&) = default;
  // Not assignable: member-wise assignment would free the old client's
  // monitoring context (server_wait_) before the old client (which may
  // still report to it as it ends its sessions).
  Client& operator=(Client&&) = delete;

  const std::string& database() const { return database_; }
  const std::string& redacted_uri() const { return redacted_uri_; }

  // Calls `on_wait` with one sentence once the driver waits for a server
  // (mongo/server_wait.h says when), up to serverSelectionTimeoutMS: so
  // that a person at a terminal knows why nothing happens. Single clients
  // only (ClientPool::open takes one for a pool); nothing when the URI asks
  // for serverSelectionTryOnce=true (no wait). Called on the calling
  // thread, inside the command that waits; what it throws is dropped.
  void on_server_wait(std::function<void(const std::string&)> on_wait);

  // Runs one migration command on the target database (or, for a command
  // MongoDB runs only there, on `admin`: mongo/admin_command.h). A reply
  // counts as success only if ok:1 with no writeErrors / writeConcernError;
  // such a failure is kMigrationFailed, a transport failure is kDatabase.
  // `reply`, if given, must be initialised; it is replaced by the server's.
  Result<void> run_migration_command(const core::Command& command);
  Result<void> run_migration_command(const bson_t* command, bson_t* reply = nullptr);

  // Runs a command on the target database. A failure reply is
  // `failure_kind` (ok:0, writeErrors, writeConcernError); a transport
  // failure is always kDatabase. `reply`, if given, must be initialised; it
  // is replaced by the server's reply.
  Result<void> run_command(const bson_t* command, bson_t* reply,
                           ErrorKind failure_kind = ErrorKind::kDatabase);
  // The same on `database` instead of the target database.
  Result<void> run_command_on(const std::string& database, const bson_t* command, bson_t* reply,
                              ErrorKind failure_kind);

  CollectionPtr open_collection(const std::string& name);
  DatabasePtr open_database();
  // delete_one(filter) on `collection` with `write_concern`: how many
  // documents it deleted (0 or 1); a failure is kDatabase, with `context`.
  Result<std::int64_t> delete_one(const std::string& collection, const bson_t* filter,
                                  mongoc_write_concern_t* write_concern, std::string_view context);

  // Turns a driver error into an Error of `kind` (or kDatabase for transport
  // and authentication problems), scrubbed of the password.
  Error error_from(const bson_error_t& error, ErrorKind kind, std::string_view context) const;

  // `text` without the URI's secrets, on one line (core::one_line). For the
  // driver's and the server's text only, before the tool's words join it.
  std::string scrub(std::string text) const;

  // The server's clock now (ms since the epoch): each call asks the server
  // (`hello.localTime`), one round trip, so nothing this process's clocks do
  // (a wall-clock step, a host suspended and resumed) reaches a lease time.
  // Lease times come from here (taking, renewing, reading the lock: a few
  // calls per run), not from a runner's possibly skewed clock. Servers
  // without localTime: the wall clock.
  // A server that answers `hello` with CommandNotFound (or "no such
  // command") is asked `isMaster` instead, and this Client keeps asking
  // `isMaster` from then on (e.g. if that first attempt failed).
  Result<TimestampMs> server_now();

  // The largest document the server accepts (`maxBsonObjectSize` from the
  // same `hello` as server_now(), asked once per Client; 16 MiB when the
  // reply has none).
  Result<std::size_t> max_bson_object_size();

  // Asks the server once (`buildInfo`) whether it keeps the promises the
  // lock and the log rely on (DESIGN.md §5): atomic single-document writes,
  // enforced unique indexes. FerretDB 1.x does not (its updates read, then
  // write back, so concurrent ones are lost): kDatabase, saying why and what
  // to use instead. Every other server, including one without `buildInfo`,
  // is taken for MongoDB. Later calls return the first answer.
  Result<void> check_server();

  // The command server_now() asks the server: "hello", or "isMaster" once
  // the server has said it has no `hello`.
  std::string_view clock_command() const { return clock_command_; }

 private:
  Client() = default;
  std::shared_ptr<const void> pool_;  // declared before client_: outlives it
  // The context of client_'s monitoring callbacks: declared before client_,
  // which must go first; on the heap, so that a moved Client keeps it
  // (shared_ptr: its deleter needs no complete type here).
  std::shared_ptr<ServerWaitNotice> server_wait_;
  ClientPtr client_;
  std::string database_;
  std::string redacted_uri_;
  std::vector<std::string> secrets_;
  // Asks `hello` (or `isMaster`): the server's clock (nullopt: the reply has
  // no localTime) and, noted, the size limit.
  Result<std::optional<TimestampMs>> ask_hello();
  bool asked_hello_ = false;
  std::size_t max_bson_object_size_ = 16 * 1024 * 1024;
  std::optional<Result<void>> server_checked_;
  const char* clock_command_ = "hello";  // a string literal: "hello" or "isMaster"
};

// A URI checked and parsed as every connection needs it (primary reads,
// our appname), with the secrets to scrub from messages and its redacted
// text. kUsage for a URI that cannot be used (see Client::open).
struct PreparedUri {
  UriPtr uri;
  std::vector<std::string> secrets;
  std::string redacted;
  std::string database;  // the URI's path, "" when none
};
Result<PreparedUri> prepare_uri(const std::string& uri);

// Why libmongoc would not make a client or pool of a prepared URI: a
// `mongodb+srv` name whose DNS lookup failed is a server that cannot be
// reached (kDatabase, exit 3, as an unreachable host is); anything else is a
// URI that cannot be used (kUsage). Scrubbed of `prepared`'s secrets.
Error client_creation_error(const bson_error_t& error, const PreparedUri& prepared);

// How long a command may go without a reply when the URI does not say
// (socketTimeoutMS): a day. libmongoc's own default, 5 minutes, would end an
// index build on a large collection with a false "cannot reach the database"
// while the server goes on building; and it ignores socketTimeoutMS=0. A
// dead peer is still noticed by TCP keepalive, which libmongoc turns on.
inline constexpr std::int32_t kDefaultSocketTimeoutMs = 24 * 60 * 60 * 1000;

// How long a tracking write (lock, log, events) waits for a majority of a
// replica set to confirm it (wtimeout). Past it the server answers with a
// write concern error (applied on the primary, not confirmed) instead of
// waiting without end for a majority that cannot be reached, such as a
// primary-secondary-arbiter set with its secondary down.
inline constexpr std::int32_t kTrackingWriteTimeoutMs = 30 * 1000;

// The write concern of every tracking write: majority (an acknowledged
// write survives a failover), kTrackingWriteTimeoutMs at most.
WriteConcernPtr tracking_write_concern();

// kUsage when `database` is empty or a name MongoDB cannot hold.
Result<void> check_database_name(const std::string& database);

// Why a server that answered `buildInfo` with `reply` cannot be used, or ""
// if it can (see Client::check_server).
std::string unsupported_server(const bson_t* reply);

// True for errors that mean "could not talk to the server" rather than
// "the server said no".
bool is_transport_error(const bson_error_t& error);

// Whether a write that failed with `error` may have been applied all the
// same: its reply was lost or broken on the way back, it came with a write
// concern error (applied, not confirmed), or a retry after a lost reply met
// a primary stepping down or shutting down. Any other refusal by the server,
// or a server never reached, means it was not.
bool may_have_landed(const bson_error_t& error);

// Whether `error` says a command's reply was lost or broken on the way back
// (the connection failed after the command was sent), or a retry after such
// a loss met a primary stepping down: the command may have been applied.
// Unlike may_have_landed, not a write concern error, which says it was
// applied but not confirmed (and so may yet be rolled back).
bool reply_lost(const bson_error_t& error);

}  // namespace mongomigrate::mongo
