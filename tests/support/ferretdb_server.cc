#include "support/ferretdb_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <utility>
#include <vector>

#include "support/process.h"

namespace mongomigrate::testing {

std::string ferretdb_binary() {
  if (const char* env = std::getenv("FERRETDB_BIN"); env && *env) return env;
  return MONGOMIGRATE_FERRETDB_BIN;
}

int free_loopback_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    throw std::runtime_error("cannot bind a loopback port");
  }
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

bool wait_for_port(int port, int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
    close(fd);
    if (ok) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

FerretDbServer& FerretDbServer::shared() {
  static FerretDbServer server;
  return server;
}

FerretDbServer::FerretDbServer() : FerretDbServer(FerretDbOptions{}) {}

FerretDbServer::FerretDbServer(FerretDbOptions options) : options_(std::move(options)) {
  if (options_.tls && (options_.cert_file.empty() || options_.key_file.empty())) {
    throw std::invalid_argument("a TLS FerretDB needs cert_file and key_file");
  }
  log_path_ = data_.path() + "/ferretdb.log";
  port_ = free_loopback_port();
  start();
}

FerretDbServer::~FerretDbServer() { stop(); }

std::string FerretDbServer::uri(const std::string& database) const {
  return uri(database, "serverSelectionTimeoutMS=5000&connectTimeoutMS=2000");
}

std::string FerretDbServer::uri(const std::string& database, const std::string& query) const {
  return "mongodb://127.0.0.1:" + std::to_string(port_) + "/" + database + (query.empty() ? "" : "?" + query);
}

void FerretDbServer::start() {
  if (pid_ > 0) return;
  std::string binary = ferretdb_binary();
  if (binary.empty() || !std::filesystem::exists(binary)) {
    throw std::runtime_error("FerretDB not found (" + binary +
                             "); run scripts/install-deps.sh or set FERRETDB_BIN");
  }
  std::filesystem::create_directories(data_.path() + "/db");
  std::string address = "127.0.0.1:" + std::to_string(port_);
  std::vector<std::string> argv = {binary, "--handler=sqlite", "--sqlite-url=file:" + data_.path() + "/db/",
                                   "--telemetry=disable", "--log-level=warn", "--state-dir=-", "--debug-addr=-"};
  if (options_.tls) {
    // An empty --listen-addr turns the plain listener off: TLS only.
    argv.insert(argv.end(), {"--listen-addr=", "--listen-tls=" + address,
                             "--listen-tls-cert-file=" + options_.cert_file,
                             "--listen-tls-key-file=" + options_.key_file});
  } else {
    argv.push_back("--listen-addr=" + address);
  }
  pid_ = spawn_background(argv, log_path_);
  bool up = false;
  for (int waited = 0; waited < 20000 && !up; waited += 100) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {  // died at start-up: say why now
      pid_ = -1;
      break;
    }
    up = wait_for_port(port_, 100);
  }
  if (!up) {
    std::ifstream log(log_path_);
    std::stringstream content;
    content << log.rdbuf();
    stop();
    throw std::runtime_error("FerretDB did not start on port " + std::to_string(port_) +
                             (options_.tls ? " (TLS)" : "") + ": " + content.str());
  }
}

void FerretDbServer::stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  int status = 0;
  for (int i = 0; i < 100; ++i) {
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

void FerretDbServer::crash() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

}  // namespace mongomigrate::testing
