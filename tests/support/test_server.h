// The server integration tests talk to.
//
// By default each test binary starts its own FerretDB 2 on PostgreSQL 15 with
// the DocumentDB extension (one pair per binary run, on free loopback ports,
// data in temporary directories, stopped at exit); every test uses a database
// of its own. With MONGOMIGRATE_TEST_URI set, every test uses the server at
// that URI instead and nothing is started; a test that must kill, restart or
// reconfigure a server skips itself then (SKIP_UNLESS_LOCAL_SERVER), so the
// suite proves the tool on any server a user points it at.
//
// The binaries come from $FERRETDB_BIN and $PG_BIN (PostgreSQL's bin
// directory), else the paths CMake found at configure time
// (scripts/install-deps.sh builds and caches them).
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>

#include "support/temp_dir.h"

namespace mongomigrate::testing {

// Where a server listens: a host name or IP address (an IPv6 one without
// brackets) and a TCP port.
struct ServerAddress {
  std::string host;
  int port = 27017;
};

// PostgreSQL 15 with DocumentDB loaded, in a temporary data directory, on a
// free loopback port. As root it runs as the `postgres` user (PostgreSQL
// refuses root). Throws if it does not come up.
class PostgresServer {
 public:
  PostgresServer();
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  int port() const { return port_; }
  // The connection URL FerretDB is given.
  std::string url() const;
  // Fast shutdown (SIGINT: open sessions are ended); SIGKILL after 10 s.
  void stop();
  // Kills the postmaster at once (SIGKILL), as a crash would.
  void crash();
  // Starts again on the same port and data directory.
  void start();
  bool running() const { return pid_ > 0; }

 private:
  TempDir root_;
  std::string data_dir_;
  std::string log_path_;
  int port_ = 0;
  pid_t pid_ = -1;
};

struct FerretDbOptions {
  // Listen with TLS only (no plain TCP listener) on port(), presenting this
  // PEM certificate and key. No client certificate is asked for.
  bool tls = false;
  std::string cert_file;
  std::string key_file;
};

// FerretDB 2 in front of a PostgreSQL of its own: a whole MongoDB-wire
// server that a test may stop, crash and restart, in either part.
class FerretDbServer {
 public:
  FerretDbServer();
  explicit FerretDbServer(FerretDbOptions options);
  ~FerretDbServer();
  FerretDbServer(const FerretDbServer&) = delete;
  FerretDbServer& operator=(const FerretDbServer&) = delete;

  // The one port it listens on: plain TCP, or TLS when tls().
  int port() const { return port_; }
  bool tls() const { return options_.tls; }
  // "mongodb://127.0.0.1:<port>/<database>" with short timeouts so that a
  // lost server fails tests quickly. No TLS options: add them for a TLS server.
  std::string uri(const std::string& database) const;
  // "mongodb://127.0.0.1:<port>/<database>?<query>" with `query` as given.
  std::string uri(const std::string& database, const std::string& query) const;
  const std::string& log_path() const { return log_path_; }

  // FerretDB alone: asks it to shut down (SIGTERM; SIGKILL after 5 s).
  void stop();
  // FerretDB alone, killed at once (SIGKILL), as a crash would.
  void crash();
  // FerretDB started again on the same port, with the same options.
  void start();
  bool running() const { return pid_ > 0; }
  // The PostgreSQL under it (to crash and restart it while FerretDB runs).
  PostgresServer& postgres() { return postgres_; }

 private:
  FerretDbOptions options_;
  PostgresServer postgres_;
  TempDir state_;
  std::string log_path_;
  int port_ = 0;
  pid_t pid_ = -1;
};

// The server every integration test uses: MONGOMIGRATE_TEST_URI's, else a
// FerretDbServer started on first use and stopped at exit.
class TestServer {
 public:
  static TestServer& shared();

  // True when the server was given by MONGOMIGRATE_TEST_URI.
  bool external() const { return !local_; }
  // A URI for `database` on this server with short timeouts (the given
  // URI's own options kept; its credentials still authenticate against the
  // database it named, or admin).
  std::string uri(const std::string& database) const;
  // The same with `query` (k=v&...) appended instead of the short timeouts.
  std::string uri(const std::string& database, const std::string& query) const;
  // "mongodb://[userinfo@]hosts": no path, no options.
  std::string hosts_uri() const;
  // The one plain-TCP server a WireProxy can stand in front of; nullopt,
  // with `why` set, for a given URI with several hosts, mongodb+srv, a Unix
  // socket or TLS.
  std::optional<ServerAddress> proxiable_address(std::string* why) const;
  // A URI for `database` through a proxy listening on 127.0.0.1:`port`:
  // the given URI's credentials and authentication options (authSource,
  // authMechanism, authMechanismProperties, appName) and retryWrites (no
  // others: the proxy is one plain-TCP server), then `query`.
  std::string uri_via(int port, const std::string& database, const std::string& query) const;
  // True when the given URI says retryWrites=false (its server refuses
  // retryable writes): tests that need them skip.
  bool retry_writes_off() const;

 private:
  TestServer();
  std::unique_ptr<FerretDbServer> local_;
  std::string prefix_;  // "mongodb://[userinfo@]hosts/"
  std::string query_;   // the given URI's options, "" or "k=v&..."
};

// Splits a MongoDB URI given by a user into "scheme://[userinfo@]hosts/" and
// its options, adding authSource (the URI's database, else admin) when it
// has credentials and no authSource, since the tests replace its database.
// Exposed for its unit test.
struct SplitUri {
  std::string prefix;
  std::string query;
};
SplitUri split_test_uri(const std::string& uri);
// TestServer::proxiable_address and uri_via for a given URI, split; exposed
// for their unit test.
std::optional<ServerAddress> proxiable_address(const SplitUri& given, std::string* why);
std::string uri_via(const SplitUri& given, int port, const std::string& database, const std::string& query);
bool retry_writes_off(const SplitUri& given);
// `given` options ("k=v&...") then `ours`, which replace any of the same
// name (case-insensitive): libmongoc warns on stderr about a repeated option,
// and tests read stderr.
std::string join_uri_options(const std::string& given, const std::string& ours);

// True when MONGOMIGRATE_TEST_URI names the server (nothing is started then).
bool test_uri_given();

// The path of the ferretdb binary tests use.
std::string ferretdb_binary();

// A free TCP port on 127.0.0.1 (bound, read and released).
int free_loopback_port();

// True once something accepts TCP connections on 127.0.0.1:<port>.
bool wait_for_port(int port, int timeout_ms);

}  // namespace mongomigrate::testing

// For a test that kills, restarts or configures a server of its own: skipped,
// with the reason, when the suite runs against MONGOMIGRATE_TEST_URI.
// For a test that puts a WireProxy in front of the server: skipped, with
// the reason, when the server cannot be proxied (TestServer::proxiable_address).
#define SKIP_UNLESS_PROXIABLE()                                                           \
  do {                                                                                    \
    std::string why_not_proxiable_;                                                       \
    if (!::mongomigrate::testing::TestServer::shared().proxiable_address(&why_not_proxiable_)) \
      GTEST_SKIP() << why_not_proxiable_;                                                 \
  } while (false)

#define SKIP_UNLESS_LOCAL_SERVER(why)                                                              \
  do {                                                                                             \
    if (::mongomigrate::testing::test_uri_given())                                                 \
      GTEST_SKIP() << "needs a server the test starts itself (" why "); MONGOMIGRATE_TEST_URI is set"; \
  } while (false)
