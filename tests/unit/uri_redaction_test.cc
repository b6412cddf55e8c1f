#include "core/uri_redaction.h"

#include <string>

#include <gtest/gtest.h>

namespace mongomigrate::core {
namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// ---------------------------------------------------------------- redact_uri

TEST(RedactUri, ReplacesThePassword) {
  EXPECT_EQ(redact_uri("mongodb://user:secret@host:27017/db?authSource=admin"),
            "mongodb://user:*****@host:27017/db?authSource=admin");
}

TEST(RedactUri, WithoutPathOrPort) {
  EXPECT_EQ(redact_uri("mongodb://user:secret@host"), "mongodb://user:*****@host");
  EXPECT_EQ(redact_uri("mongodb://user:secret@host/"), "mongodb://user:*****@host/");
  EXPECT_EQ(redact_uri("mongodb://user:secret@host?tls=true"), "mongodb://user:*****@host?tls=true");
}

TEST(RedactUri, NoCredentialsIsUnchanged) {
  for (const char* uri : {"mongodb://localhost:27017", "mongodb://localhost:27017/db",
                          "mongodb://h1:27017,h2:27018/db?replicaSet=rs0", "mongodb+srv://cluster.example.net/db",
                          "mongodb://host/db?authMechanism=MONGODB-X509", ""}) {
    EXPECT_EQ(redact_uri(uri), uri);
  }
}

TEST(RedactUri, UserWithoutPasswordIsUnchanged) {
  EXPECT_EQ(redact_uri("mongodb://user@host:27017/db"), "mongodb://user@host:27017/db");
  EXPECT_EQ(redact_uri("mongodb://user@host"), "mongodb://user@host");
}

TEST(RedactUri, EmptyPassword) {
  std::string out = redact_uri("mongodb://user:@host/db");
  EXPECT_TRUE(out == "mongodb://user:@host/db" || out == "mongodb://user:*****@host/db") << out;
}

TEST(RedactUri, SrvScheme) {
  EXPECT_EQ(redact_uri("mongodb+srv://admin:hunter2@cluster0.example.mongodb.net/app?retryWrites=true"),
            "mongodb+srv://admin:*****@cluster0.example.mongodb.net/app?retryWrites=true");
}

TEST(RedactUri, MultipleHosts) {
  EXPECT_EQ(redact_uri("mongodb://u:pw@h1:27017,h2:27017/db?replicaSet=rs"),
            "mongodb://u:*****@h1:27017,h2:27017/db?replicaSet=rs");
}

TEST(RedactUri, PercentEncodedPassword) {
  EXPECT_EQ(redact_uri("mongodb://u:p%40ss%2Fw@host/db"), "mongodb://u:*****@host/db");
}

TEST(RedactUri, UnescapedAtInThePassword) {
  std::string out = redact_uri("mongodb://user:p@ss@host:27017/db");
  EXPECT_FALSE(contains(out, "p@ss")) << out;
  EXPECT_FALSE(contains(out, "ss@host")) << out;
  EXPECT_TRUE(contains(out, "*****")) << out;
  EXPECT_TRUE(contains(out, "host:27017")) << out;
}

TEST(RedactUri, UnescapedSlashInThePassword) {
  std::string out = redact_uri("mongodb://user:pa/ss@host:27017/db");
  EXPECT_FALSE(contains(out, "pa/ss")) << out;
  EXPECT_FALSE(contains(out, "pa")) << out;
  EXPECT_FALSE(contains(out, "/ss")) << out;
  EXPECT_TRUE(contains(out, "*****")) << out;
}

TEST(RedactUri, UnescapedQuestionMarkInThePassword) {
  std::string out = redact_uri("mongodb://user:pa?ss@host/db");
  EXPECT_FALSE(contains(out, "pa?ss")) << out;
  EXPECT_FALSE(contains(out, "?ss")) << out;
}

TEST(RedactUri, UnescapedAtThenSlashInThePassword) {
  // Password "se@cr/et": no part of it may be printed.
  std::string out = redact_uri("mongodb://user:se@cr/et@host:27017/db");
  EXPECT_FALSE(contains(out, "se@cr/et")) << out;
  EXPECT_FALSE(contains(out, "cr/et")) << out;
  EXPECT_TRUE(contains(out, "*****")) << out;
}

TEST(RedactUri, UnescapedSlashThenAtInThePassword) {
  // Password "se/cr@et".
  std::string out = redact_uri("mongodb://user:se/cr@et@host:27017/db");
  EXPECT_FALSE(contains(out, "se/cr@et")) << out;
  EXPECT_FALSE(contains(out, "se/cr")) << out;
  EXPECT_FALSE(contains(out, "cr@et")) << out;
}

TEST(RedactUri, TextThatIsNotAUri) {
  // No scheme: still redacted, so a malformed URI can be quoted in an error.
  EXPECT_EQ(redact_uri("user:secret@host"), "user:*****@host");
  EXPECT_EQ(redact_uri("just some text"), "just some text");
}

// ---------------------------------------------------------------- scrub

TEST(Scrub, ReplacesEveryOccurrence) {
  EXPECT_EQ(scrub("auth failed for pw hunter2; retry with hunter2", "hunter2"),
            "auth failed for pw *****; retry with *****");
  EXPECT_EQ(scrub("hunter2hunter2", "hunter2"), "**********");
  EXPECT_EQ(scrub("hunter2", "hunter2"), "*****");
}

TEST(Scrub, NoOccurrenceIsUnchanged) {
  EXPECT_EQ(scrub("connection refused", "hunter2"), "connection refused");
  EXPECT_EQ(scrub("", "hunter2"), "");
}

TEST(Scrub, EmptySecretIsANoOp) {
  EXPECT_EQ(scrub("connection refused", ""), "connection refused");
  EXPECT_EQ(scrub("", ""), "");
}

TEST(Scrub, SecretsLongerAndShorterThanTheMask) {
  EXPECT_EQ(scrub("a-x-a-x", "x"), "a-*****-a-*****");
  EXPECT_EQ(scrub("xxx", "x"), "***************");
  EXPECT_EQ(scrub("[averyveryverylongsecret] and [averyveryverylongsecret]", "averyveryverylongsecret"),
            "[*****] and [*****]");
}

TEST(Scrub, SecretMadeOfMaskCharacters) {
  // Terminates, and no star-run that could be the secret is left unmasked.
  std::string out = scrub("p=**", "**");
  EXPECT_EQ(out, "p=*****");
  EXPECT_EQ(scrub("***", "*"), std::string(15, '*'));
}

}  // namespace
}  // namespace mongomigrate::core
