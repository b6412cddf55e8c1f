#include "mongo/client.h"

#include "mongomigrate/migrator.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string_view>
#include <system_error>

#include <fmt/format.h>

#include "core/names.h"
#include "core/time_format.h"
#include "core/server_text.h"
#include "core/uri_redaction.h"
#include "mongo/admin_command.h"
#include "mongo/value_bson.h"

namespace mongomigrate::mongo {
namespace {

// The driver logs by default (e.g. FerretDB's missing endSessions), and
// its default handler writes the lower levels to stdout. Our errors are
// reported as values; the driver's own log is shown only when asked for
// (set_driver_log, the CLI's --verbose), always on stderr (stdout may be
// --json), and with the secrets of every URI prepared so far withheld.
std::atomic<bool> driver_log_enabled{false};
std::mutex driver_log_mutex;
std::vector<std::string> driver_log_secrets;  // guarded by driver_log_mutex

void note_secrets_for_driver_log(const std::vector<std::string>& secrets) {
  std::lock_guard lock(driver_log_mutex);
  for (const std::string& secret : secrets) {
    if (std::ranges::find(driver_log_secrets, secret) == driver_log_secrets.end()) driver_log_secrets.push_back(secret);
  }
}

void driver_log(mongoc_log_level_t level, const char* domain, const char* message, void*) {
  if (!driver_log_enabled.load(std::memory_order_relaxed)) return;
  try {  // nothing may unwind through libmongoc's C frames
    std::string line;
    {
      std::lock_guard lock(driver_log_mutex);
      line = fmt::format("mongoc {} {}: {}\n", mongoc_log_level_str(level), core::printable(domain ? domain : ""),
                         core::printable(core::scrub(message ? message : "", driver_log_secrets)));
    }
    std::fwrite(line.data(), 1, line.size(), stderr);
  } catch (...) {
    // A log line lost (no memory) is no reason to stop.
  }
}

struct DriverLifetime {
  DriverLifetime() {
    mongoc_log_set_handler(driver_log, nullptr);
    mongoc_init();
  }
  ~DriverLifetime() { mongoc_cleanup(); }
};

// A reply's writeErrors / writeConcernError as one sentence, or "".
// The server's errmsg goes through `shown` (Client::scrub), the words
// around it do not: a password such as "error" would withhold them all.
std::string write_problem(const bson_t* reply, const std::function<std::string(std::string)>& shown) {
  bson_iter_t it;
  if (bson_iter_init_find(&it, reply, "writeErrors") && BSON_ITER_HOLDS_ARRAY(&it)) {
    bson_iter_t errors, first;
    if (bson_iter_recurse(&it, &errors) && bson_iter_next(&errors) && BSON_ITER_HOLDS_DOCUMENT(&errors) &&
        bson_iter_recurse(&errors, &first)) {
      std::string message = "write error";
      int64_t code = 0;
      while (bson_iter_next(&first)) {
        std::string_view key = bson_iter_key(&first);
        if (key == "errmsg" && BSON_ITER_HOLDS_UTF8(&first)) message = shown(bson_iter_utf8(&first, nullptr));
        if (key == "code") code = bson_iter_as_int64(&first);
      }
      return code ? fmt::format("{} (code {})", message, code) : message;
    }
    return "write error";
  }
  if (bson_iter_init_find(&it, reply, "writeConcernError") && BSON_ITER_HOLDS_DOCUMENT(&it)) {
    bson_iter_t wce;
    std::string message = "write concern error";
    if (bson_iter_recurse(&it, &wce) && bson_iter_find(&wce, "errmsg") && BSON_ITER_HOLDS_UTF8(&wce)) {
      message = fmt::format("write concern error: {}", shown(bson_iter_utf8(&wce, nullptr)));
    }
    return message;
  }
  return "";
}

// The server's answer "I have no such command": CommandNotFound (59) from
// old MongoDB releases, CommandNotSupported (115) from Azure Cosmos DB for
// MongoDB, or, from servers that send neither code, the words they use.
bool is_command_not_found(const bson_error_t& error) {
  constexpr uint32_t kCommandNotFound = 59;
  constexpr uint32_t kCommandNotSupported = 115;
  if (error.domain != MONGOC_ERROR_SERVER && error.domain != MONGOC_ERROR_QUERY) return false;
  if (error.code == kCommandNotFound || error.code == kCommandNotSupported) return true;
  std::string message = error.message;
  std::ranges::transform(message, message.begin(), [](unsigned char c) { return std::tolower(c); });
  return message.find("no such command") != std::string::npos || message.find("no such cmd") != std::string::npos ||
         message.find("not supported") != std::string::npos;
}

// Why libmongoc (OpenSSL) could not use `path` as a PEM file of
// certificates or a key, "" when it may: it must be a regular file that
// can be read and holds a PEM block. Not read whole: a PEM file is small,
// and the marker is near its start in any case, so 64 KiB decide.
std::string pem_file_problem(const char* path) {
  std::error_code ec;
  std::filesystem::file_status st = std::filesystem::status(path, ec);
  if (!ec && !std::filesystem::exists(st)) return "does not exist";
  if (ec) return "cannot be examined: " + ec.message();  // e.g. a directory on its path that may not be searched
  if (!std::filesystem::is_regular_file(st)) return "is not a file";
  std::ifstream in(path, std::ios::binary);
  if (!in || access(path, R_OK) != 0) return "cannot be read";
  std::string head(64 * 1024, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<std::size_t>(in.gcount()));
  if (head.find("-----BEGIN ") == std::string::npos) return "holds no PEM certificate or key (-----BEGIN ...)";
  return "";
}

}  // namespace

}  // namespace mongomigrate::mongo

void mongomigrate::set_driver_log(bool enabled) { mongo::driver_log_enabled.store(enabled); }

namespace mongomigrate::mongo {

void ensure_driver_initialized() { static DriverLifetime lifetime; }

bool is_transport_error(const bson_error_t& error) {
  switch (error.domain) {
    case MONGOC_ERROR_STREAM:
    case MONGOC_ERROR_SERVER_SELECTION:
    case MONGOC_ERROR_PROTOCOL:
      return true;
    case MONGOC_ERROR_CLIENT:
      return error.code == MONGOC_ERROR_CLIENT_AUTHENTICATE;
    default:
      return false;
  }
}

bool may_have_landed(const bson_error_t& error) {
  switch (error.domain) {
    case MONGOC_ERROR_STREAM:         // the reply was lost
    case MONGOC_ERROR_PROTOCOL:       // the reply came back broken
    case MONGOC_ERROR_WRITE_CONCERN:  // applied, not confirmed
      return true;
    case MONGOC_ERROR_SERVER:
      // On a replica set libmongoc retries a write once after a lost reply
      // and reports the retry's error: a step-down, a shutdown or a network
      // failure seen by the server then says nothing of the first attempt.
      if (core::is_failover_code(static_cast<int>(error.code))) return true;
      switch (error.code) {
        case 6:     // HostUnreachable
        case 7:     // HostNotFound
        case 89:    // NetworkTimeout
        case 262:   // ExceededTimeLimit
        case 9001:  // SocketException
          return true;
        default:
          return false;
      }
    default:
      return false;
  }
}

bool reply_lost(const bson_error_t& error) {
  return error.domain != MONGOC_ERROR_WRITE_CONCERN && may_have_landed(error);
}

Result<PreparedUri> prepare_uri(const std::string& uri_text) {
  // Before the driver sees it: an over-long URI costs seconds in its parser,
  // and an ambiguous user-info would be half taken for a host name.
  if (std::string problem = core::uri_problem(uri_text); !problem.empty()) {
    return std::unexpected(Error{ErrorKind::kUsage, "invalid MongoDB URI: " + problem});
  }
  ensure_driver_initialized();
  PreparedUri prepared;
  std::vector<std::string> secrets = core::uri_secrets(uri_text);
  note_secrets_for_driver_log(secrets);  // the parser logs warnings that quote the URI
  bson_error_t error;
  UriPtr uri(mongoc_uri_new_with_error(uri_text.c_str(), &error));
  if (!uri) {
    // A URI the parser rejected is never printed, not even redacted: where
    // its user-info ends is exactly what may be wrong with it. The driver's
    // message may quote parts of it (a password with a ':'), so it is scrubbed.
    return std::unexpected(Error{ErrorKind::kUsage,
                                 fmt::format("invalid MongoDB URI (not shown, as it may hold a password): {}",
                                             core::scrub(error.message, secrets))});
  }
  // libmongoc ends the user-info at the first '@' and takes the rest of a
  // password holding an unescaped '@' for a host; its resolver would quote it.
  for (const mongoc_host_list_t* host = mongoc_uri_get_hosts(uri.get()); host; host = host->next) {
    if (std::string_view(host->host).find('@') != std::string_view::npos) {
      return std::unexpected(Error{ErrorKind::kUsage,
                                   "invalid MongoDB URI (not shown, as it may hold a password): percent-encode an "
                                   "'@' in the user name or password as %40"});
    }
  }
  // libmongoc reports a CA or key file it cannot use only as "connection
  // error" at the first command; name the file instead.
  for (const char* option : {"tlsCAFile", "tlsCertificateKeyFile"}) {
    const char* file = mongoc_uri_get_option_as_utf8(uri.get(), option, nullptr);
    if (!file) continue;
    if (std::string problem = pem_file_problem(file); !problem.empty()) {
      return std::unexpected(Error{ErrorKind::kUsage, fmt::format("the URI's {} \"{}\" {}", option,
                                                                  core::printable(file), problem)});
    }
  }
  // The secrets as the driver decoded them too: its messages quote those.
  if (const char* password = mongoc_uri_get_password(uri.get())) secrets.emplace_back(password);
  for (const char* option : {MONGOC_URI_TLSCERTIFICATEKEYFILEPASSWORD, MONGOC_URI_SSLCLIENTCERTIFICATEKEYPASSWORD}) {
    if (const char* value = mongoc_uri_get_option_as_utf8(uri.get(), option, nullptr)) secrets.emplace_back(value);
  }
  if (ScopedBson properties; mongoc_uri_get_mechanism_properties(uri.get(), properties.get())) {
    bson_iter_t it;
    for (bson_iter_init(&it, properties.get()); bson_iter_next(&it);) {
      // Only a token is a secret (as core::uri_secrets): SERVICE_NAME:mongodb is not.
      if (BSON_ITER_HOLDS_UTF8(&it) && std::string_view(bson_iter_key(&it)).ends_with("TOKEN")) {
        secrets.emplace_back(bson_iter_utf8(&it, nullptr));
      }
    }
  }
  std::erase_if(secrets, [](const std::string& s) { return s.empty(); });
  note_secrets_for_driver_log(secrets);
  prepared.secrets = std::move(secrets);
  prepared.redacted = core::redact_uri(uri_text);
  if (const char* db = mongoc_uri_get_database(uri.get())) prepared.database = db;
  // The URI's appName is kept (a team may tell its deploys apart by it in
  // the server's logs); without one, the server sees "mongo-migrate".
  if (!mongoc_uri_get_appname(uri.get()) && !mongoc_uri_set_appname(uri.get(), "mongo-migrate")) {
    // Only fails for an over-long appname; not ours.
  }
  // Every read goes to the primary: the lease, the claims and the log decide
  // what runs, and a lagging secondary would show a migration applied a
  // moment ago as pending. A readPreference in the URI (often shared with the
  // application) is overridden.
  std::unique_ptr<mongoc_read_prefs_t, decltype(&mongoc_read_prefs_destroy)> primary(
      mongoc_read_prefs_new(MONGOC_READ_PRIMARY), &mongoc_read_prefs_destroy);
  mongoc_uri_set_read_prefs_t(uri.get(), primary.get());
  if (mongoc_uri_get_option_as_int32(uri.get(), MONGOC_URI_SOCKETTIMEOUTMS, 0) == 0) {
    mongoc_uri_set_option_as_int32(uri.get(), MONGOC_URI_SOCKETTIMEOUTMS, kDefaultSocketTimeoutMs);
  }
  // A single client's server selection tries once by default: during a
  // replica set election (seconds without a primary) the driver's one retry
  // of a tracking write would fail, leaving a migration that finished marked
  // running. Wait for a primary up to serverSelectionTimeoutMS instead, as a
  // pool does; the cost is that a wrong host fails only after that timeout.
  if (!mongoc_uri_has_option(uri.get(), MONGOC_URI_SERVERSELECTIONTRYONCE)) {
    mongoc_uri_set_option_as_bool(uri.get(), MONGOC_URI_SERVERSELECTIONTRYONCE, false);
  }
  prepared.uri = std::move(uri);
  return prepared;
}

WriteConcernPtr tracking_write_concern() {
  WriteConcernPtr concern(mongoc_write_concern_new());
  mongoc_write_concern_set_wmajority(concern.get(), kTrackingWriteTimeoutMs);
  return concern;
}

Result<void> check_database_name(const std::string& database) {
  if (database.empty()) {
    return std::unexpected(Error{ErrorKind::kUsage,
                                 "no database given: pass --db NAME or put it in the URI path "
                                 "(mongodb://host/NAME)"});
  }
  // libmongoc checks a database in the URI's path, not one from --db.
  if (std::string problem = core::database_name_problem(database); !problem.empty()) {
    return std::unexpected(Error{ErrorKind::kUsage, std::move(problem)});
  }
  return {};
}

Error client_creation_error(const bson_error_t& error, const PreparedUri& prepared) {
  std::string why = core::scrub(error.message, prepared.secrets);
  if (error.domain == MONGOC_ERROR_STREAM) {
    return Error{ErrorKind::kDatabase,
                 core::one_line(fmt::format("cannot reach the database at {}: {}", prepared.redacted, why))};
  }
  return Error{ErrorKind::kUsage, core::one_line(fmt::format("cannot use MongoDB URI \"{}\": {}", prepared.redacted, why))};
}

Result<Client> Client::open(const std::string& uri_text, const std::string& database) {
  auto prepared = prepare_uri(uri_text);
  if (!prepared) return std::unexpected(prepared.error());
  Client client;
  client.secrets_ = prepared->secrets;
  client.redacted_uri_ = prepared->redacted;
  client.database_ = database.empty() ? prepared->database : database;
  if (auto named = check_database_name(client.database_); !named) return std::unexpected(named.error());
  bson_error_t error;
  client.client_.reset(mongoc_client_new_from_uri_with_error(prepared->uri.get(), &error));
  if (!client.client_) return std::unexpected(client_creation_error(error, *prepared));
  mongoc_client_set_error_api(client.client_.get(), MONGOC_ERROR_API_VERSION_2);
  return client;
}

Client Client::pooled(ClientPtr handle, std::string database, std::string redacted_uri,
                      std::vector<std::string> secrets, std::shared_ptr<const void> pool) {
  Client client;
  client.pool_ = std::move(pool);
  client.client_ = std::move(handle);
  client.database_ = std::move(database);
  client.redacted_uri_ = std::move(redacted_uri);
  client.secrets_ = std::move(secrets);
  return client;
}

std::string Client::scrub(std::string text) const { return core::one_line(core::scrub(std::move(text), secrets_)); }

// Only the driver's and the server's text is scrubbed, before it joins the
// tool's sentence: matched anywhere, a password such as "mongo" or "a" would
// also mask the tool's own words and the redacted URI, and the stars left in
// them would spell the password out.

Error Client::error_from(const bson_error_t& error, ErrorKind kind, std::string_view context) const {
  // Authentication failed: most often credentials the server refused, but
  // libmongoc reports a connection lost during it, or a mechanism it lacks,
  // the same way; the driver's words say which (exit 3 all the same).
  if (error.domain == MONGOC_ERROR_CLIENT && error.code == MONGOC_ERROR_CLIENT_AUTHENTICATE) {
    return Error{ErrorKind::kDatabase,
                 core::one_line(fmt::format("{}: authentication with the server at {} failed (check the user, the "
                                            "password and authSource): {}",
                                            context, redacted_uri_, scrub(error.message)))};
  }
  if (is_transport_error(error)) {
    return Error{ErrorKind::kDatabase,
                 core::one_line(fmt::format("{}: cannot reach the database at {}: {}", context, redacted_uri_,
                                            scrub(error.message)))};
  }
  std::string text = fmt::format("{}: {}", context, scrub(error.message));
  if (std::string fix = core::remedy(error.message, static_cast<int>(error.code), kind != ErrorKind::kMigrationFailed);
      !fix.empty()) {
    text += "; " + fix;
  }
  return Error{kind, core::one_line(std::move(text))};
}

CollectionPtr Client::open_collection(const std::string& name) {
  return CollectionPtr(mongoc_client_get_collection(client_.get(), database_.c_str(), name.c_str()));
}

DatabasePtr Client::open_database() { return DatabasePtr(mongoc_client_get_database(client_.get(), database_.c_str())); }

Result<std::int64_t> Client::delete_one(const std::string& collection, const bson_t* filter,
                                        mongoc_write_concern_t* write_concern, std::string_view context) {
  CollectionPtr coll = open_collection(collection);
  ScopedBson opts, reply;
  mongoc_write_concern_append(write_concern, opts.get());
  bson_error_t error;
  bson_destroy(reply.get());
  if (!mongoc_collection_delete_one(coll.get(), filter, opts.get(), reply.get(), &error)) {
    return std::unexpected(error_from(error, ErrorKind::kDatabase, context));
  }
  bson_iter_t it;
  return bson_iter_init_find(&it, reply.get(), "deletedCount") ? bson_iter_as_int64(&it) : 0;
}

Result<void> Client::run_migration_command(const core::Command& command) {
  bson_t cmd;
  if (!bson_init_static(&cmd, command.bson.data(), command.bson.size())) {
    return std::unexpected(Error{ErrorKind::kMigrationFailed, "invalid command document"});
  }
  return run_migration_command(&cmd);
}

Result<void> Client::run_migration_command(const bson_t* command, bson_t* reply) {
  if (std::string problem = other_database_problem(command, database_); !problem.empty()) {
    return std::unexpected(Error{ErrorKind::kMigrationFailed, std::move(problem)});
  }
  auto admin = admin_form(command, database_);
  if (!admin) return std::unexpected(admin.error());
  if (*admin) return run_command_on("admin", (*admin)->get(), reply, ErrorKind::kMigrationFailed);
  return run_command(command, reply, ErrorKind::kMigrationFailed);
}

Result<void> Client::run_command(const bson_t* command, bson_t* reply, ErrorKind failure_kind) {
  return run_command_on(database_, command, reply, failure_kind);
}

Result<void> Client::run_command_on(const std::string& database, const bson_t* command, bson_t* reply,
                                    ErrorKind failure_kind) {
  ScopedBson local_reply;
  bson_t* out = reply ? reply : local_reply.get();
  bson_destroy(out);  // mongoc initialises it again
  const char* context = failure_kind == ErrorKind::kDatabase ? "database error" : "command failed";
  bson_error_t error;
  if (!mongoc_client_command_simple(client_.get(), database.c_str(), command, nullptr, out, &error)) {
    return std::unexpected(error_from(error, failure_kind, context));
  }
  // libmongoc 1.23 reports ok:1 replies with write errors as success.
  if (std::string problem = write_problem(out, [this](std::string text) { return scrub(std::move(text)); });
      !problem.empty()) {
    return std::unexpected(Error{failure_kind, core::one_line(fmt::format("{}: {}", context, problem))});
  }
  return {};
}

Result<std::optional<TimestampMs>> Client::ask_hello() {
  ScopedBson reply;
  bson_error_t error;
  auto ask = [&](const char* name) {
    OwnedBson command = to_bson(Doc{{name, 1}});
    bson_destroy(reply.get());
    return mongoc_client_command_simple(client_.get(), "admin", command.get(), nullptr, reply.get(), &error);
  };
  if (!ask(clock_command_)) {
    // Old MongoDB releases, mongo-java-server and Azure Cosmos DB for
    // MongoDB know only `hello`'s legacy name, whose reply carries localTime
    // too; it is asked from then on once it answers. Any other failure (a
    // step-down, a timeout) is reported as it is.
    if (std::string_view(clock_command_) != "hello" || !is_command_not_found(error)) {
      return std::unexpected(error_from(error, ErrorKind::kDatabase, "cannot read the server's clock"));
    }
    Error refused = error_from(error, ErrorKind::kDatabase, "cannot read the server's clock: hello");
    if (!ask("isMaster")) {
      Error failed = error_from(error, ErrorKind::kDatabase, "isMaster");
      refused.message += "; " + failed.message;
      return std::unexpected(std::move(refused));
    }
    clock_command_ = "isMaster";
  }
  asked_hello_ = true;
  bson_iter_t it;
  if (bson_iter_init_find(&it, reply.get(), "maxBsonObjectSize") && BSON_ITER_HOLDS_NUMBER(&it) &&
      bson_iter_as_int64(&it) > 0) {
    max_bson_object_size_ = static_cast<std::size_t>(bson_iter_as_int64(&it));
  }
  if (bson_iter_init_find(&it, reply.get(), "localTime") && BSON_ITER_HOLDS_DATE_TIME(&it)) {
    return bson_iter_date_time(&it);
  }
  return std::nullopt;
}

Result<TimestampMs> Client::server_now() {
  auto server_ms = ask_hello();
  if (!server_ms) return std::unexpected(server_ms.error());
  return server_ms->value_or(core::now_ms());
}

Result<std::size_t> Client::max_bson_object_size() {
  if (!asked_hello_) {
    if (auto asked = ask_hello(); !asked) return std::unexpected(asked.error());
  }
  return max_bson_object_size_;
}

std::string unsupported_server(const bson_t* reply) {
  // FerretDB 1.x says `ferretdbVersion: "v1.…"`; 2.x says `ferretdb: {version: "v2.…"}`.
  std::string version;
  bson_iter_t it;
  if (bson_iter_init_find(&it, reply, "ferretdbVersion") && BSON_ITER_HOLDS_UTF8(&it)) {
    version = bson_iter_utf8(&it, nullptr);
  } else if (bson_iter_init(&it, reply) && bson_iter_find_descendant(&it, "ferretdb.version", &it) &&
             BSON_ITER_HOLDS_UTF8(&it)) {
    version = bson_iter_utf8(&it, nullptr);
  } else {
    return "";
  }
  std::string_view digits = version;
  if (digits.starts_with('v')) digits.remove_prefix(1);
  if (!digits.starts_with("0.") && !digits.starts_with("1.")) return "";
  return fmt::format(
      "FerretDB {} is not supported: its updates are not atomic (concurrent writes to one document are lost), "
      "which the migration lock and log rely on; use FerretDB 2 or MongoDB",
      version);
}

Result<void> Client::check_server() {
  if (!server_checked_) {
    OwnedBson command = to_bson(Doc{{"buildInfo", 1}});
    ScopedBson reply;
    bson_error_t error;
    if (mongoc_client_command_simple(client_.get(), "admin", command.get(), nullptr, reply.get(), &error)) {
      std::string problem = unsupported_server(reply.get());
      server_checked_ = problem.empty() ? Result<void>{}
                                        : Result<void>(std::unexpected(Error{ErrorKind::kDatabase, problem}));
    } else if (is_transport_error(error)) {
      return std::unexpected(error_from(error, ErrorKind::kDatabase, "cannot check the server"));  // not kept
    } else {
      server_checked_ = Result<void>{};  // no buildInfo (or not allowed): taken for MongoDB
    }
  }
  return *server_checked_;
}

}  // namespace mongomigrate::mongo
