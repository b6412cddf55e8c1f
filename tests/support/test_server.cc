#include "support/test_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
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
namespace fs = std::filesystem;
namespace {

std::string env_or(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value && *value ? std::string(value) : fallback;
}

std::string pg_bin(const char* program) { return env_or("PG_BIN", MONGOMIGRATE_PG_BIN) + "/" + program; }

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream content;
  content << in.rdbuf();
  return content.str();
}

// argv run as the `postgres` user when we are root (PostgreSQL refuses root),
// killed if this process dies first. setpriv execs in place, so the pid we
// get is the program's own.
std::vector<std::string> as_server_process(std::vector<std::string> argv, bool as_postgres) {
  std::vector<std::string> out = {"/usr/bin/setpriv", "--pdeathsig", "KILL"};
  if (as_postgres && geteuid() == 0) {
    out.insert(out.end(), {"--reuid=postgres", "--regid=postgres", "--clear-groups"});
  }
  out.push_back("--");
  out.insert(out.end(), argv.begin(), argv.end());
  return out;
}

// Waits up to `ms` for `pid` to exit; true if it did (reaped).
bool reaped_within(pid_t pid, int ms) {
  int status = 0;
  for (int waited = 0; waited <= ms; waited += 20) {
    if (waitpid(pid, &status, WNOHANG) == pid) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

void end_process(pid_t& pid, int signo, int grace_ms) {
  if (pid <= 0) return;
  kill(pid, signo);
  if (!reaped_within(pid, grace_ms)) {
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
  }
  pid = -1;
}

// Starts `argv` in the background and waits for it to accept connections on
// `port`; throws with its log if it exits or does not come up.
pid_t start_listening(const std::vector<std::string>& argv, int port, const std::string& log_path,
                      const std::string& what) {
  pid_t pid = spawn_background(argv, log_path);
  for (int waited = 0; waited < 30000; waited += 100) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      throw std::runtime_error(what + " exited at start-up: " + read_text(log_path));
    }
    if (wait_for_port(port, 100)) return pid;
  }
  end_process(pid, SIGKILL, 0);
  throw std::runtime_error(what + " did not start on port " + std::to_string(port) + ": " + read_text(log_path));
}

}  // namespace

bool test_uri_given() {
  const char* given = std::getenv("MONGOMIGRATE_TEST_URI");
  return given && *given;
}

std::string ferretdb_binary() { return env_or("FERRETDB_BIN", MONGOMIGRATE_FERRETDB_BIN); }

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

// ---- PostgreSQL ---------------------------------------------------------------

PostgresServer::PostgresServer() {
  if (!fs::exists(pg_bin("postgres"))) {
    throw std::runtime_error("PostgreSQL 15 not found (" + pg_bin("postgres") +
                             "); run scripts/install-deps.sh, set PG_BIN, or set MONGOMIGRATE_TEST_URI");
  }
  data_dir_ = root_.path() + "/data";
  log_path_ = root_.path() + "/postgres.log";
  fs::create_directories(data_dir_);
  fs::create_directories(root_.path() + "/socket");
  if (geteuid() == 0) {
    const passwd* pw = getpwnam("postgres");
    if (!pw) throw std::runtime_error("PostgreSQL refuses to run as root and there is no `postgres` user");
    for (const std::string& path : {root_.path(), data_dir_, root_.path() + "/socket"}) {
      if (chown(path.c_str(), pw->pw_uid, pw->pw_gid) != 0) throw std::runtime_error("cannot chown " + path);
    }
  }
  ProcessResult init = run_process(as_server_process({pg_bin("initdb"), "-D", data_dir_, "-U", "postgres",
                                                      "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"},
                                                     true));
  if (init.exit_code != 0) throw std::runtime_error("initdb failed: " + init.out + init.err);
  port_ = free_loopback_port();
  std::ofstream conf(data_dir_ + "/postgresql.conf", std::ios::app);
  // DocumentDB's settings as FerretDB documents them. fsync and
  // full_page_writes off are safe for tests (a killed process does not lose
  // the OS cache); synchronous_commit stays on: with it off, a kill -9 of the
  // postmaster loses writes it had acknowledged, which fault tests would
  // blame on the client.
  conf << "listen_addresses = '127.0.0.1'\n"
       << "port = " << port_ << "\n"
       << "unix_socket_directories = '" << root_.path() << "/socket'\n"
       << "max_connections = 300\n"
       << "shared_preload_libraries = 'pg_cron,pg_documentdb_core,pg_documentdb'\n"
       << "cron.database_name = 'postgres'\n"
       << "documentdb.enableLetAndCollationForQueryMatch = true\n"
       << "documentdb.enableNowSystemVariable = true\n"
       << "documentdb.enableSortbyIdPushDownToPrimaryKey = true\n"
       << "documentdb.enableSchemaValidation = true\n"
       << "documentdb.enableBypassDocumentValidation = true\n"
       << "documentdb.enableUserCrud = true\n"
       << "documentdb.maxUserLimit = 100\n"
       << "fsync = off\n"
       << "full_page_writes = off\n";
  conf.close();
  start();
}

PostgresServer::~PostgresServer() { stop(); }

std::string PostgresServer::url() const { return "postgres://postgres@127.0.0.1:" + std::to_string(port_) + "/postgres"; }

void PostgresServer::start() {
  if (pid_ > 0) return;
  // After a crash the old backends notice their postmaster is gone and exit
  // within moments; until then a new postmaster refuses the data directory.
  for (int attempt = 0;; ++attempt) {
    try {
      pid_ = start_listening(as_server_process({pg_bin("postgres"), "-D", data_dir_}, true), port_, log_path_,
                             "PostgreSQL");
      break;
    } catch (const std::runtime_error&) {
      if (attempt >= 20) throw;
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
  }
  // The port opens before recovery ends: retry until a session works.
  ProcessResult created;
  for (int attempt = 0; attempt < 100; ++attempt) {
    created = run_process({pg_bin("psql"), "-X", "-q", "-h", "127.0.0.1", "-p", std::to_string(port_), "-U",
                           "postgres", "-d", "postgres", "-c", "CREATE EXTENSION IF NOT EXISTS documentdb CASCADE"});
    if (created.exit_code == 0) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  stop();
  throw std::runtime_error("PostgreSQL did not load DocumentDB: " + created.err + read_text(log_path_));
}

void PostgresServer::stop() { end_process(pid_, SIGINT, 10000); }

void PostgresServer::crash() { end_process(pid_, SIGKILL, 0); }

// ---- FerretDB -----------------------------------------------------------------

FerretDbServer::FerretDbServer() : FerretDbServer(FerretDbOptions{}) {}

FerretDbServer::FerretDbServer(FerretDbOptions options) : options_(std::move(options)) {
  if (options_.tls && (options_.cert_file.empty() || options_.key_file.empty())) {
    throw std::invalid_argument("a TLS FerretDB needs cert_file and key_file");
  }
  log_path_ = state_.path() + "/ferretdb.log";
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
  if (binary.empty() || !fs::exists(binary)) {
    throw std::runtime_error("FerretDB not found (" + binary +
                             "); run scripts/install-deps.sh, set FERRETDB_BIN, or set MONGOMIGRATE_TEST_URI");
  }
  std::string address = "127.0.0.1:" + std::to_string(port_);
  std::vector<std::string> argv = {binary,           "--postgresql-url=" + postgres_.url(),
                                   "--no-auth",      "--telemetry=disable",
                                   "--log-level=warn", "--state-dir=" + state_.path(),
                                   "--debug-addr=-"};
  if (options_.tls) {
    // An empty --listen-addr turns the plain listener off: TLS only.
    argv.insert(argv.end(), {"--listen-addr=", "--listen-tls=" + address,
                             "--listen-tls-cert-file=" + options_.cert_file,
                             "--listen-tls-key-file=" + options_.key_file});
  } else {
    argv.push_back("--listen-addr=" + address);
  }
  pid_ = start_listening(as_server_process(argv, false), port_, log_path_,
                         std::string("FerretDB") + (options_.tls ? " (TLS)" : ""));
}

void FerretDbServer::stop() { end_process(pid_, SIGTERM, 5000); }

void FerretDbServer::crash() { end_process(pid_, SIGKILL, 0); }

// ---- the shared server ----------------------------------------------------------

SplitUri split_test_uri(const std::string& uri) {
  std::size_t scheme_end = uri.find("://");
  if (scheme_end == std::string::npos) throw std::invalid_argument("MONGOMIGRATE_TEST_URI is not a mongodb:// URI");
  std::size_t hosts_start = scheme_end + 3;
  std::size_t hosts_end = uri.find_first_of("/?", hosts_start);
  std::string hosts = uri.substr(hosts_start, hosts_end == std::string::npos ? std::string::npos
                                                                               : hosts_end - hosts_start);
  std::string database, query;
  if (hosts_end != std::string::npos) {
    std::size_t query_start = uri.find('?', hosts_end);
    if (uri[hosts_end] == '/') {
      database = uri.substr(hosts_end + 1, query_start == std::string::npos ? std::string::npos
                                                                             : query_start - hosts_end - 1);
    }
    if (query_start != std::string::npos) query = uri.substr(query_start + 1);
  }
  bool has_credentials = hosts.find('@') != std::string::npos;
  std::string lower_query = "&" + query;
  for (char& c : lower_query) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  bool has_auth_source = lower_query.find("&authsource=") != std::string::npos;
  if (has_credentials && !has_auth_source) {
    // A mongodb+srv URI takes authSource from the DNS TXT record, where
    // Atlas says admin; the URI's database is not it, and an authSource in
    // the URI would override the record. Another record needs it in the URI.
    bool srv = uri.starts_with("mongodb+srv://");
    query += (query.empty() ? "" : "&") + std::string("authSource=") +
             (database.empty() || srv ? "admin" : database);
  }
  return {uri.substr(0, hosts_start) + hosts + "/", query};
}

TestServer& TestServer::shared() {
  static TestServer server;
  return server;
}

TestServer::TestServer() {
  if (test_uri_given()) {
    SplitUri split = split_test_uri(std::getenv("MONGOMIGRATE_TEST_URI"));
    prefix_ = split.prefix;
    query_ = split.query;
  } else {
    local_ = std::make_unique<FerretDbServer>();
    prefix_ = "mongodb://127.0.0.1:" + std::to_string(local_->port()) + "/";
  }
}

std::string TestServer::uri(const std::string& database) const {
  return uri(database, "serverSelectionTimeoutMS=5000&connectTimeoutMS=2000");
}

std::string join_uri_options(const std::string& given, const std::string& ours) {
  auto key_of = [](const std::string& pair) {
    std::string key = pair.substr(0, pair.find('='));
    for (char& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return key;
  };
  std::vector<std::string> replaced;
  std::stringstream our_pairs(ours);
  for (std::string pair; std::getline(our_pairs, pair, '&');) replaced.push_back(key_of(pair));
  std::string options;
  std::stringstream given_pairs(given);
  for (std::string pair; std::getline(given_pairs, pair, '&');) {
    if (pair.empty() || std::find(replaced.begin(), replaced.end(), key_of(pair)) != replaced.end()) continue;
    options += (options.empty() ? "" : "&") + pair;
  }
  if (!ours.empty()) options += (options.empty() ? "" : "&") + ours;
  return options;
}

std::string TestServer::uri(const std::string& database, const std::string& query) const {
  std::string options = join_uri_options(query_, query);
  return prefix_ + database + (options.empty() ? "" : "?" + options);
}

std::string TestServer::hosts_uri() const { return prefix_.substr(0, prefix_.size() - 1); }

namespace {

// The hosts of "scheme://[userinfo@]hosts/".
std::string hosts_of(const std::string& prefix) {
  std::size_t start = prefix.find("://") + 3;
  std::size_t at = prefix.rfind('@');
  if (at != std::string::npos && at > start) start = at + 1;
  return prefix.substr(start, prefix.size() - 1 - start);
}

std::string lowered(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

// The "key=value" pairs of a URI's options, keys lowered.
std::vector<std::pair<std::string, std::string>> option_pairs(const std::string& query) {
  std::vector<std::pair<std::string, std::string>> pairs;
  std::stringstream in(query);
  for (std::string pair; std::getline(in, pair, '&');) {
    if (pair.empty()) continue;
    std::size_t eq = pair.find('=');
    pairs.emplace_back(lowered(pair.substr(0, eq)), eq == std::string::npos ? "" : pair.substr(eq + 1));
  }
  return pairs;
}

// libmongoc turns TLS on for tls=true, ssl=true or any other tls* option
// (tlsCAFile, tlsInsecure, ...).
bool asks_for_tls(const std::string& query) {
  for (const auto& [key, value] : option_pairs(query)) {
    if (!key.starts_with("tls") && !key.starts_with("ssl")) continue;
    if ((key == "tls" || key == "ssl") && lowered(value) == "false") continue;
    return true;
  }
  return false;
}

}  // namespace

std::optional<ServerAddress> proxiable_address(const SplitUri& given, std::string* why) {
  const std::string hosts = hosts_of(given.prefix);
  ServerAddress address{.host = hosts, .port = 27017};
  std::string port;
  if (hosts.starts_with('[')) {  // an IPv6 literal: [::1]:27017
    std::size_t close = hosts.find(']');
    address.host = hosts.substr(1, close == std::string::npos ? std::string::npos : close - 1);
    if (close != std::string::npos && close + 1 < hosts.size() && hosts[close + 1] == ':') port = hosts.substr(close + 2);
  } else if (std::size_t colon = hosts.rfind(':'); colon != std::string::npos) {
    address.host = hosts.substr(0, colon);
    port = hosts.substr(colon + 1);
  }
  std::string problem;
  if (!given.prefix.starts_with("mongodb://")) {
    problem = "mongodb+srv";
  } else if (hosts.find(',') != std::string::npos) {
    problem = "several hosts";
  } else if (hosts.find('/') != std::string::npos || lowered(hosts).find("%2f") != std::string::npos) {
    problem = "a Unix socket";
  } else if (asks_for_tls(given.query)) {
    problem = "TLS";
  }
  if (problem.empty() && !port.empty()) {
    try {
      std::size_t used = 0;
      address.port = std::stoi(port, &used);
      if (used != port.size()) problem = "a port that is not a number";
    } catch (const std::exception&) {
      problem = "a port that is not a number";
    }
  }
  if (problem.empty()) return address;
  if (why) *why = "needs a wire proxy in front of one plain-TCP server; MONGOMIGRATE_TEST_URI has " + problem;
  return std::nullopt;
}

std::string uri_via(const SplitUri& given, int port, const std::string& database, const std::string& query) {
  std::size_t start = given.prefix.find("://") + 3;
  std::size_t at = given.prefix.rfind('@');
  std::string userinfo = at != std::string::npos && at > start ? given.prefix.substr(start, at + 1 - start) : "";
  // Of the given options, only those that say how to authenticate, and
  // retryWrites (a server that refuses retryable writes, as Amazon
  // DocumentDB does, needs it off for every test): the proxy is one
  // plain-TCP server that reads every message (no replicaSet, loadBalanced
  // or compressors), and the tests set their own timeouts (and retryWrites,
  // where they test it).
  std::string kept;
  std::stringstream pairs(given.query);
  for (std::string pair; std::getline(pairs, pair, '&');) {
    std::string key = lowered(pair.substr(0, pair.find('=')));
    if (key == "authsource" || key == "authmechanism" || key == "authmechanismproperties" || key == "appname" ||
        key == "retrywrites") {
      kept += (kept.empty() ? "" : "&") + pair;
    }
  }
  std::string options = join_uri_options(kept, query);
  return "mongodb://" + userinfo + "127.0.0.1:" + std::to_string(port) + "/" + database +
         (options.empty() ? "" : "?" + options);
}

bool retry_writes_off(const SplitUri& given) {
  std::stringstream pairs(given.query);
  bool off = false;
  for (std::string pair; std::getline(pairs, pair, '&');) {
    std::size_t eq = pair.find('=');
    if (eq == std::string::npos || lowered(pair.substr(0, eq)) != "retrywrites") continue;
    off = lowered(pair.substr(eq + 1)) == "false";  // the last one counts, as in libmongoc
  }
  return off;
}

bool TestServer::retry_writes_off() const { return !local_ && testing::retry_writes_off(SplitUri{prefix_, query_}); }

std::optional<ServerAddress> TestServer::proxiable_address(std::string* why) const {
  if (local_) return ServerAddress{.host = "127.0.0.1", .port = local_->port()};
  return testing::proxiable_address(SplitUri{prefix_, query_}, why);
}

std::string TestServer::uri_via(int port, const std::string& database, const std::string& query) const {
  return testing::uri_via(SplitUri{prefix_, query_}, port, database, query);
}

}  // namespace mongomigrate::testing
