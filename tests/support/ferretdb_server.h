// The test server: a real FerretDB (SQLite backend) started by the harness on
// a free loopback port with a temporary data directory. One per test binary,
// started on first use and stopped at exit.
//
// The binary is $FERRETDB_BIN, else the one CMake found at configure time.
// If neither exists, tests fail with a message naming the install script.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "support/temp_dir.h"

namespace mongomigrate::testing {

class FerretDbServer {
 public:
  // The process-wide server (started on first call).
  static FerretDbServer& shared();

  FerretDbServer();
  ~FerretDbServer();

  int port() const { return port_; }
  // "mongodb://127.0.0.1:<port>/<database>" with short timeouts so that a
  // lost server fails tests quickly.
  std::string uri(const std::string& database) const;
  const std::string& data_dir() const { return data_.path(); }
  const std::string& log_path() const { return log_path_; }

  void stop();
  // Starts again on the same port and data directory.
  void start();
  bool running() const { return pid_ > 0; }

 private:
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
