// How the suite turns MONGOMIGRATE_TEST_URI into a URI per test database.
#include <gtest/gtest.h>

#include "support/test_server.h"

namespace mongomigrate::testing {
namespace {

TEST(TestServerUri, SplitsHostsFromDatabaseAndOptions) {
  SplitUri plain = split_test_uri("mongodb://127.0.0.1:27017");
  EXPECT_EQ(plain.prefix, "mongodb://127.0.0.1:27017/");
  EXPECT_EQ(plain.query, "");
  SplitUri full = split_test_uri("mongodb://h1:1,h2:2/app?replicaSet=rs&w=majority");
  EXPECT_EQ(full.prefix, "mongodb://h1:1,h2:2/");
  EXPECT_EQ(full.query, "replicaSet=rs&w=majority");
  EXPECT_EQ(split_test_uri("mongodb+srv://cluster.example/?tls=true").prefix, "mongodb+srv://cluster.example/");
}

TEST(TestServerUri, CredentialsKeepAuthenticatingWhereTheUriSaid) {
  // The tests replace the database, which would otherwise become the
  // authentication database.
  EXPECT_EQ(split_test_uri("mongodb://u:p@h/app").query, "authSource=app");
  EXPECT_EQ(split_test_uri("mongodb://u:p@h").query, "authSource=admin");
  EXPECT_EQ(split_test_uri("mongodb://u:p@h/app?authSource=other").query, "authSource=other");
  EXPECT_EQ(split_test_uri("mongodb://u:p@h/app?authsource=other").query, "authsource=other") << "any case";
  EXPECT_EQ(split_test_uri("mongodb://h/app").query, "");
  // mongodb+srv: the TXT record's authSource (Atlas: admin), not the database.
  EXPECT_EQ(split_test_uri("mongodb+srv://u:p@cluster.example/app").query, "authSource=admin");
  EXPECT_EQ(split_test_uri("mongodb+srv://u:p@cluster.example/app?authSource=app").query, "authSource=app");
  EXPECT_THROW(split_test_uri("localhost:27017"), std::invalid_argument);
}

TEST(TestServerUri, TheTestsOptionsReplaceTheGivenOnesOfTheSameName) {
  EXPECT_EQ(join_uri_options("", "a=1"), "a=1");
  EXPECT_EQ(join_uri_options("tls=true", ""), "tls=true");
  EXPECT_EQ(join_uri_options("tls=true&serverSelectionTimeoutMS=30000", "serverselectiontimeoutms=5000"),
            "tls=true&serverselectiontimeoutms=5000");
}

// "host:port" of the address a proxy would stand in front of, or "none: why".
std::string proxied(const std::string& uri) {
  std::string why;
  std::optional<ServerAddress> address = proxiable_address(split_test_uri(uri), &why);
  return address ? address->host + ":" + std::to_string(address->port) : "none: " + why;
}

TEST(TestServerUri, AProxyStandsInFrontOfOnePlainTcpServer) {
  EXPECT_EQ(proxied("mongodb://127.0.0.1:27217/x"), "127.0.0.1:27217");
  EXPECT_EQ(proxied("mongodb://u:p@localhost/?replicaSet=rs0"), "localhost:27017");
  EXPECT_EQ(proxied("mongodb://db.example:27018"), "db.example:27018");
  EXPECT_EQ(proxied("mongodb://[::1]:27019/x"), "::1:27019");
  EXPECT_EQ(proxied("mongodb://[fe80::1]"), "fe80::1:27017");
  EXPECT_EQ(proxied("mongodb://localhost/?tls=false"), "localhost:27017");
  EXPECT_EQ(proxied("mongodb://127.0.0.1:1,127.0.0.1:2"),
            "none: needs a wire proxy in front of one plain-TCP server; MONGOMIGRATE_TEST_URI has several hosts");
  EXPECT_TRUE(proxied("mongodb+srv://cluster.example/").ends_with("has mongodb+srv"));
  EXPECT_TRUE(proxied("mongodb://localhost/?TLS=true").ends_with("has TLS"));
  EXPECT_TRUE(proxied("mongodb://localhost/?tlsCAFile=/ca.pem").ends_with("has TLS")) << "TLS too";
  EXPECT_TRUE(proxied("mongodb://%2Ftmp%2Fmongodb-27017.sock").ends_with("has a Unix socket"));
  EXPECT_TRUE(proxied("mongodb://localhost:27o17").ends_with("has a port that is not a number"));
}

TEST(TestServerUri, AUriThroughAProxyKeepsTheCredentialsAndHowToAuthenticateOnly) {
  SplitUri given = split_test_uri(
      "mongodb://u:p%40@localhost:27017/app?replicaSet=rs0&compressors=zstd&authMechanism=SCRAM-SHA-256&w=majority");
  EXPECT_EQ(uri_via(given, 4000, "t1", "directConnection=true&w=1"),
            "mongodb://u:p%40@127.0.0.1:4000/t1?authMechanism=SCRAM-SHA-256&authSource=app&directConnection=true&w=1");
  EXPECT_EQ(uri_via(split_test_uri("mongodb://127.0.0.1:27217"), 4000, "t1", ""), "mongodb://127.0.0.1:4000/t1");
  // retryWrites=false is kept (a server that refuses retryable writes);
  // a test's own retryWrites replaces it.
  SplitUri no_retries = split_test_uri("mongodb://h:27017/?retryWrites=false&tls=false");
  EXPECT_EQ(uri_via(no_retries, 4000, "t1", "directConnection=true"),
            "mongodb://127.0.0.1:4000/t1?retryWrites=false&directConnection=true");
  EXPECT_EQ(uri_via(no_retries, 4000, "t1", "retryWrites=true"), "mongodb://127.0.0.1:4000/t1?retryWrites=true");
  EXPECT_TRUE(retry_writes_off(no_retries));
  EXPECT_TRUE(retry_writes_off(split_test_uri("mongodb://h/?RETRYWRITES=False")));
  EXPECT_FALSE(retry_writes_off(split_test_uri("mongodb://h/?retryWrites=true")));
  EXPECT_FALSE(retry_writes_off(split_test_uri("mongodb://h/")));
}

}  // namespace
}  // namespace mongomigrate::testing
