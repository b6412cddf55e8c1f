// tls=true URIs through the real binary against a FerretDB that listens with
// TLS only, using a throwaway self-signed certificate made by openssl here.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <sstream>
#include <stdexcept>

#include "support/integration.h"

namespace mongomigrate::testing {
namespace {

const char* kInsertA = R"({"up": [{"insert": "things", "documents": [{"_id": "a"}]}]})";

// The path of `name` in a $PATH directory, or "" if none has it.
std::string find_on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    std::filesystem::path candidate = std::filesystem::path(dir.empty() ? "." : dir) / name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  return "";
}

// One certificate and one TLS server for the whole suite.
struct TlsServer {
  TempDir certs;
  std::string cert_file = certs.path() + "/cert.pem";
  std::string key_file = certs.path() + "/key.pem";
  std::unique_ptr<FerretDbServer> server;

  TlsServer() {
    std::string openssl = find_on_path("openssl");
    if (openssl.empty()) throw std::runtime_error("the openssl command is needed to make a test certificate");
    ProcessResult made = run_process({openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key_file,
                                      "-out", cert_file, "-days", "1", "-subj", "/CN=localhost", "-addext",
                                      "subjectAltName=IP:127.0.0.1,DNS:localhost"});
    if (made.exit_code != 0) throw std::runtime_error("openssl could not make a certificate: " + describe(made));
    server = std::make_unique<FerretDbServer>(FerretDbOptions{.tls = true, .cert_file = cert_file, .key_file = key_file});
  }
};

class TlsTest : public IntegrationTest {
 protected:
  static void SetUpTestSuite() {
    if (test_uri_given()) return;
    try {
      tls_ = std::make_unique<TlsServer>();
    } catch (const std::exception& e) {
      setup_error_ = e.what();
    }
  }
  static void TearDownTestSuite() { tls_.reset(); }

  // Not IntegrationTest::SetUp: that would start the shared plain server,
  // which this suite does not use. Every command gets --uri/--dir from here.
  void SetUp() override {
    SKIP_UNLESS_LOCAL_SERVER("a FerretDB listening with TLS");
    ASSERT_TRUE(tls_) << setup_error_;
    database_ = unique_database_name();
  }

  // A URI to the TLS server's port with `tls_options` (may be empty) and
  // timeouts short enough that a refusal cannot pass for a slow success.
  std::string tls_uri(const std::string& tls_options) const {
    std::string query = "serverSelectionTimeoutMS=2000&connectTimeoutMS=2000";
    return tls_->server->uri(database_, tls_options.empty() ? query : tls_options + "&" + query);
  }
  const std::string& ca_file() const { return tls_->cert_file; }

  ProcessResult run(const std::string& command, const std::string& uri) {
    ProcessOptions options;
    options.timeout = std::chrono::seconds(30);
    return cli({command, "--uri", uri, "--dir", dir()}, options, /*with_defaults=*/false);
  }

  // `up` applies the one migration and `status` then shows it applied.
  void expect_up_and_status_work(const std::string& uri) {
    write_migration("001-a.json", kInsertA);
    ProcessResult up = run("up", uri);
    ASSERT_EQ(up.exit_code, 0) << describe(up);
    EXPECT_NE(up.out.find("001-a.json"), std::string::npos) << up.out;
    EXPECT_NE(up.out.find("1 applied"), std::string::npos) << up.out;

    ProcessResult status = run("status", uri);
    ASSERT_EQ(status.exit_code, 0) << describe(status);
    EXPECT_NE(status.out.find("1 total · 1 applied · 0 pending"), std::string::npos) << status.out;
  }

  // Exit 3 (database unreachable) at once, with one line on stderr that says so.
  ProcessResult expect_refused(const std::string& uri) {
    write_migration("001-a.json", kInsertA);
    ProcessResult up = run("up", uri);
    EXPECT_FALSE(up.timed_out) << describe(up);
    EXPECT_EQ(up.exit_code, 3) << describe(up);
    EXPECT_NE(up.err.find("cannot reach the database"), std::string::npos) << up.err;
    EXPECT_EQ(up.out.find("applied"), std::string::npos) << up.out;
    return up;
  }

  inline static std::unique_ptr<TlsServer> tls_;
  inline static std::string setup_error_;
  std::string database_;
};

TEST_F(TlsTest, CaFileTrustsTheServerCertificate) {
  std::string uri = tls_uri("tls=true&tlsCAFile=" + ca_file());
  expect_up_and_status_work(uri);
  // The migration really ran on the TLS server.
  DbProbe probe(uri, database_);
  EXPECT_EQ(probe.count("things"), 1);
  EXPECT_EQ(probe.count("migrationlogs", R"({"name": "001-a.json", "status": "applied"})"), 1);
}

TEST_F(TlsTest, AllowInvalidCertificatesWorksWithoutCaFile) {
  expect_up_and_status_work(tls_uri("tls=true&tlsAllowInvalidCertificates=true"));
}

TEST_F(TlsTest, UntrustedCertificateIsRefusedQuicklyAndClearly) {
  ProcessResult up = expect_refused(tls_uri("tls=true"));
  EXPECT_NE(up.err.find("certificate"), std::string::npos) << up.err;
}

TEST_F(TlsTest, UnreadableCaFileIsNamedBeforeConnecting) {
  write_migration("001-a.json", kInsertA);
  ProcessResult up = run("up", tls_uri("tls=true&tlsCAFile=" + ca_file() + ".missing"));
  EXPECT_EQ(up.exit_code, 2) << describe(up);
  EXPECT_NE(up.err.find("tlsCAFile"), std::string::npos) << up.err;
  EXPECT_NE(up.err.find(ca_file() + ".missing"), std::string::npos) << up.err;
}

// A CA file that exists but is no PEM file (a directory, a text file) was
// reported as a connection error at the first command; it is named first.
TEST_F(TlsTest, ACaFileThatIsNoPemFileIsNamedBeforeConnecting) {
  write_migration("001-a.json", kInsertA);
  std::string text = write_migration("notes.txt", "not a certificate\n");
  for (const auto& [file, problem] : std::vector<std::pair<std::string, std::string>>{
           {dir(), "is not a file"}, {text, "holds no PEM certificate or key"}}) {
    ProcessResult up = run("up", tls_uri("tls=true&tlsCAFile=" + file));
    EXPECT_EQ(up.exit_code, 2) << describe(up);
    EXPECT_NE(up.err.find("the URI's tlsCAFile \"" + file + "\" " + problem), std::string::npos) << up.err;
  }
}

TEST_F(TlsTest, PlainConnectionToTlsPortIsRefused) {
  expect_refused(tls_uri(""));
}

}  // namespace
}  // namespace mongomigrate::testing
