// The test server: a real FerretDB (SQLite backend) started by the harness on
// a free loopback port with a temporary data directory. One per test binary,
// started on first use and stopped at exit (shared()); a test may also start
// a separate one of its own, e.g. one that speaks TLS.
//
// The binary is $FERRETDB_BIN, else the one CMake found at configure time.
// If neither exists, tests fail with a message naming the install script.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "support/temp_dir.h"

namespace mongomigrate::testing {

struct FerretDbOptions {
  // Listen with TLS only (no plain TCP listener) on port(), presenting this
  // PEM certificate and key. No client certificate is asked for.
  bool tls = false;
  std::string cert_file;
  std::string key_file;
};

class FerretDbServer {
 public:
  // The process-wide plain (non-TLS) server (started on first call).
  static FerretDbServer& shared();

  // Starts a server of its own; throws if it does not come up.
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
  // "mongodb://127.0.0.1:<port>/<database>?<query>" with `query` as given
  // (e.g. "tls=true&tlsCAFile=/x/cert.pem&serverSelectionTimeoutMS=2000").
  std::string uri(const std::string& database, const std::string& query) const;
  const std::string& data_dir() const { return data_.path(); }
  const std::string& log_path() const { return log_path_; }

  // Asks the server to shut down (SIGTERM; SIGKILL after 5 s). FerretDB may
  // go on serving connections already open until it exits.
  void stop();
  // Kills the server at once (SIGKILL), as a crash or power loss would.
  void crash();
  // Starts again on the same port and data directory, with the same options.
  void start();
  bool running() const { return pid_ > 0; }

 private:
  FerretDbOptions options_;
  TempDir data_;
  std::string log_path_;
  int port_ = 0;
  pid_t pid_ = -1;
};

// The path of the ferretdb binary tests use.
std::string ferretdb_binary();

// A free TCP port on 127.0.0.1 (bound, read and released).
int free_loopback_port();

// True once something accepts TCP connections on 127.0.0.1:<port>.
bool wait_for_port(int port, int timeout_ms);

}  // namespace mongomigrate::testing
