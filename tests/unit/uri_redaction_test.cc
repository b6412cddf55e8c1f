#include "core/uri_redaction.h"

#include <algorithm>
#include <string>
#include <vector>

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

TEST(RedactUri, SlashAndQuestionMarkInThePasswordBeforeTheHosts) {
  // "se/cr?etpw": the '?' was taken for the options and nothing was masked.
  EXPECT_EQ(redact_uri("mongodb://admin:se/cr?etpw@127.0.0.1:27217/db"), "mongodb://admin:*****@127.0.0.1:27217/db");
  EXPECT_EQ(redact_uri("mongodb://admin:secret/word@127.0.0.1:27217/db"), "mongodb://admin:*****@127.0.0.1:27217/db");
  EXPECT_EQ(redact_uri("mongodb://admin:s?e/c@h/db?appname=x"), "mongodb://admin:*****@h/db?appname=x");
  // A password that reads like a host list, a path and an option: unsure,
  // so everything up to the last '@' is masked.
  EXPECT_EQ(redact_uri("mongodb://admin:se/cr?et@host/db"), "mongodb://admin:*****@host/db");
  for (const char* uri : {"mongodb://admin:se/cr?etpw@127.0.0.1:27217/db", "mongodb://admin:secret/word@h/db"}) {
    std::vector<std::string> secrets = uri_secrets(uri);
    EXPECT_FALSE(secrets.empty()) << uri;
  }
}

// A password shaped like a port and options ("8080?appName=x"): libmongoc
// needs a '/' before the options, so it reads all of it up to the '@' as
// the user-info, and so must the redaction.
TEST(RedactUri, APasswordThatLooksLikeAPortAndOptionsIsMasked) {
  for (const char* uri : {"mongodb://user:8080?appName=x@127.0.0.1:1/db", "mongodb://u:12345?x=@h/app",
                          "mongodb://u:12345?a=b&c=d@h"}) {
    std::string redacted = redact_uri(uri);
    EXPECT_EQ(redacted.find("12345"), std::string::npos) << redacted;
    EXPECT_EQ(redacted.find("8080"), std::string::npos) << redacted;
    EXPECT_NE(redacted.find("*****@"), std::string::npos) << redacted;
    EXPECT_FALSE(uri_secrets(uri).empty()) << uri;
  }
  EXPECT_EQ(redact_uri("mongodb://user:8080?appName=x@127.0.0.1:1/db"), "mongodb://user:*****@127.0.0.1:1/db");
  // With the '/' first, an '@' in an option's value is no user-info.
  EXPECT_EQ(redact_uri("mongodb://h:27017/?appname=me@laptop"), "mongodb://h:27017/?appname=me@laptop");
}

TEST(HostListStart, JustPastTheUserInfo) {
  EXPECT_EQ(host_list_start("mongodb://h:27017/db"), 10U);
  EXPECT_EQ(host_list_start("mongodb://u:pw@h:27017/db"), 15U);
  EXPECT_EQ(host_list_start("mongodb://u:p/w@h:27017/db"), 16U);
  // A '?' in the password and an '@' in an option: unsure, so the last '@'
  // (over-redacting).
  EXPECT_EQ(host_list_start("mongodb://u:p?w@h/db?appname=me@laptop"), 32U);
  EXPECT_EQ(host_list_start("mongodb://h:27017/db?appname=me@laptop"), 10U);
  EXPECT_EQ(host_list_start("mongodb://u:pw@[::1]:27017,h2/db?w=1&appname=me@laptop"), 15U);
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

namespace mongomigrate::core {
namespace {

// ------------------------------------------------- secret options (issue 15)

TEST(RedactUri, SecretOptionsAreRedacted) {
  EXPECT_EQ(redact_uri("mongodb://h/db?tls=true&tlsCertificateKeyFilePassword=s3cretPW&w=majority"),
            "mongodb://h/db?tls=true&tlsCertificateKeyFilePassword=*****&w=majority");
  EXPECT_EQ(redact_uri("mongodb://h/db?authMechanism=MONGODB-AWS&authMechanismProperties=AWS_SESSION_TOKEN:s3cretPW"),
            "mongodb://h/db?authMechanism=MONGODB-AWS&authMechanismProperties=*****");
  EXPECT_EQ(redact_uri("mongodb://h/db?password=s3cretPW"), "mongodb://h/db?password=*****");
  EXPECT_EQ(redact_uri("mongodb://h/db?sslClientCertificateKeyPassword=s3cretPW"),
            "mongodb://h/db?sslClientCertificateKeyPassword=*****");
  EXPECT_EQ(redact_uri("mongodb://h/db?proxyPassword=s3cretPW"), "mongodb://h/db?proxyPassword=*****");
}

TEST(RedactUri, SecretOptionNamesAreCaseInsensitiveAndUsersAndOptionsTogether) {
  EXPECT_EQ(redact_uri("mongodb://u:pw@h/db?TLSCERTIFICATEKEYFILEPASSWORD=s3cretPW&authmechanismproperties=x:y"),
            "mongodb://u:*****@h/db?TLSCERTIFICATEKEYFILEPASSWORD=*****&authmechanismproperties=*****");
}

TEST(RedactUri, ASecretValueRunsToTheNextOption) {
  // libmongoc separates options by '&' only: a ';' is part of the value.
  EXPECT_EQ(redact_uri("mongodb://h/db?authMechanismProperties=AWS_SESSION_TOKEN:IQoJb3;ZQXtokenTail"),
            "mongodb://h/db?authMechanismProperties=*****");
  EXPECT_EQ(redact_uri("mongodb://h/db?tlsCertificateKeyFilePassword=a;b&w=1"),
            "mongodb://h/db?tlsCertificateKeyFilePassword=*****&w=1");
  // An unescaped '&' in a secret does not end it; the next key=value does.
  EXPECT_EQ(redact_uri("mongodb://h/db?tlsCertificateKeyFilePassword=Pa55&ZQXsecretTail&w=1"),
            "mongodb://h/db?tlsCertificateKeyFilePassword=*****&w=1");
  EXPECT_EQ(redact_uri("mongodb://h/db?tlsCertificateKeyFilePassword=Pa55&ZQX=tail-1"),
            "mongodb://h/db?tlsCertificateKeyFilePassword=*****")
      << "only an option libmongoc knows ends it";
  EXPECT_EQ(redact_uri("mongodb://h/db?tlsCertificateKeyFilePassword=Pa55&RetryWrites=false"),
            "mongodb://h/db?tlsCertificateKeyFilePassword=*****&RetryWrites=false");
  EXPECT_EQ(redact_uri("mongodb://h/db?tlsCertificateKeyFilePassword=Pa55&a-b=c"),
            "mongodb://h/db?tlsCertificateKeyFilePassword=*****");
  std::vector<std::string> secrets = uri_secrets("mongodb://h/db?tlsCertificateKeyFilePassword=Pa55&ZQXsecretTail");
  EXPECT_NE(std::ranges::find(secrets, "Pa55&ZQXsecretTail"), secrets.end());
  EXPECT_NE(std::ranges::find(secrets, "ZQXsecretTail"), secrets.end()) << "as the driver quotes it";
}

TEST(RedactUri, OtherOptionsAndEmptySecretsAreKept) {
  EXPECT_EQ(redact_uri("mongodb://h/db?appname=x&tlsCertificateKeyFilePassword="),
            "mongodb://h/db?appname=x&tlsCertificateKeyFilePassword=");
  EXPECT_EQ(redact_uri("mongodb://h/db?passwordless=1&w=1"), "mongodb://h/db?passwordless=1&w=1");
}

TEST(RedactUri, PasswordWithAColon) {
  std::string out = redact_uri("mongodb://u:s3cretPW:x@h/db");
  EXPECT_EQ(out, "mongodb://u:*****@h/db");
}

TEST(RedactUri, AnAtInAnOptionIsNotTakenForTheUserInfo) {
  EXPECT_EQ(redact_uri("mongodb://h:27017/db?appname=me@laptop"), "mongodb://h:27017/db?appname=me@laptop");
  EXPECT_EQ(redact_uri("mongodb://u:pw@h:27017/db?appname=me@laptop"),
            "mongodb://u:*****@h:27017/db?appname=me@laptop");
  EXPECT_TRUE(uri_secrets("mongodb://h:27017/db?appname=me@laptop").empty());
}

// ---------------------------------------------------------------- uri_secrets

TEST(UriSecrets, ThePasswordAndSecretOptionValuesAsWrittenAndDecoded) {
  std::vector<std::string> secrets =
      uri_secrets("mongodb://u:s3cret%50W@h/db?tlsCertificateKeyFilePassword=k%65y&authMechanismProperties="
                  "SERVICE_NAME:x,AWS_SESSION_TOKEN:tok3n&w=1");
  for (const char* s : {"s3cret%50W", "s3cretPW", "k%65y", "key", "tok3n"}) {
    EXPECT_NE(std::ranges::find(secrets, s), secrets.end()) << s;
  }
  EXPECT_EQ(std::ranges::find(secrets, "1"), secrets.end());
  EXPECT_EQ(std::ranges::find(secrets, "u"), secrets.end());
  // Of the mechanism properties, only a token: a service name would withhold
  // every message naming a host "mongodb-0".
  std::vector<std::string> gssapi = uri_secrets("mongodb://h/db?authMechanismProperties=SERVICE_NAME:mongodb");
  EXPECT_EQ(std::ranges::find(gssapi, "mongodb"), gssapi.end());
  EXPECT_EQ(scrub("Failed to connect to target host: mongodb-0:27017", gssapi),
            "Failed to connect to target host: mongodb-0:27017");
}

TEST(UriSecrets, AmbiguousUserInfoGivesEveryPart) {
  // Whichever '@' the driver takes as the end of the user-info, each piece
  // it might quote is known.
  std::vector<std::string> secrets = uri_secrets("mongodb://u:abc@s3cretPW@host/db");
  EXPECT_NE(std::ranges::find(secrets, "abc@s3cretPW"), secrets.end());
  EXPECT_NE(std::ranges::find(secrets, "s3cretPW"), secrets.end());
  EXPECT_NE(std::ranges::find(secrets, "abc"), secrets.end());
  EXPECT_TRUE(uri_secrets("mongodb://h/db").empty());
}

TEST(Scrub, TextHoldingAnySecretOfAListIsWithheldWhole) {
  EXPECT_EQ(scrub("Failed to resolve 's3cretpw@host'", std::vector<std::string>{"abc", "s3cretPW"}), kWithheld)
      << "in any case";
  EXPECT_EQ(scrub("No suitable servers found", std::vector<std::string>{"abc", "s3cretPW", ""}),
            "No suitable servers found");
  // Masked in place, these would spell the password out: "Authenticat*****".
  EXPECT_EQ(scrub("Authentication failed.", std::vector<std::string>{"ion"}), kWithheld);
  EXPECT_EQ(scrub("username and password according to RFC 3986", std::vector<std::string>{"according"}),
            kWithheld);
}

// ---------------------------------------------------------------- redact_arguments

TEST(RedactArguments, ArgumentsQuotedByTheParserAreRedacted) {
  const std::string uri = "mongodb://admin:hunter2secret@127.0.0.1:27217/db";
  const std::string redacted = "mongodb://admin:*****@127.0.0.1:27217/db";
  EXPECT_EQ(redact_arguments("The following argument was not expected: " + uri, {"status", uri}),
            "The following argument was not expected: " + redacted);
  EXPECT_EQ(redact_arguments("The following arguments were not expected: " + uri + " -uri", {"status", "-uri", uri}),
            "The following arguments were not expected: " + redacted + " -uri");
  EXPECT_EQ(redact_arguments("The following argument was not expected: --url=" + uri, {"--url=" + uri}),
            "The following argument was not expected: --url=" + redacted);
  // The parser quotes the value of --option=value alone.
  EXPECT_EQ(redact_arguments("Could not convert: --limit = " + uri, {"history", "--limit=" + uri}),
            "Could not convert: --limit = " + redacted);
  // A password with a space is one argument, two words.
  const std::string spaced = "mongodb://u:hunter2 secret@h/db";
  EXPECT_EQ(redact_arguments("not expected: " + spaced, {spaced}), "not expected: mongodb://u:*****@h/db");
  // Secret options too; other arguments and the parser's words stay.
  EXPECT_EQ(redact_arguments("not expected: mongodb://h/db?proxyPassword=hunter2secret --bogus",
                             {"mongodb://h/db?proxyPassword=hunter2secret", "--bogus"}),
            "not expected: mongodb://h/db?proxyPassword=***** --bogus");
  EXPECT_EQ(redact_arguments("The following argument was not expected: --bogus", {"status", "--bogus"}),
            "The following argument was not expected: --bogus");
}

TEST(RedactArguments, APasswordStillThereMeansNothingIsQuoted) {
  // A parser that quoted a piece of an argument another way.
  std::string out = redact_arguments("bad value: hunter2secret", {"mongodb://u:hunter2secret@h/db"});
  EXPECT_EQ(out.find("hunter2"), std::string::npos) << out;
  EXPECT_NE(out.find("does not parse"), std::string::npos) << out;
}

// ---------------------------------------------------------------- uri_problem

TEST(UriProblem, AcceptsOrdinaryUris) {
  EXPECT_EQ(uri_problem("mongodb://u:p%40ss@h1:27017,h2/db?replicaSet=rs&appname=me@laptop"), "");
  EXPECT_EQ(uri_problem(std::string("mongodb://h/db?") + std::string(kMaxUriBytes - 16, 'x')), "");
}

TEST(UriProblem, RefusesAUriLongerThanTheCap) {
  // Issue 15 item 10: libmongoc 1.23 takes 20 s to parse 100 KB of options.
  std::string huge = "mongodb://h/db?";
  while (huge.size() <= kMaxUriBytes) huge += "connectTimeoutMS=500&";
  std::string problem = uri_problem(huge);
  EXPECT_NE(problem, "");
  EXPECT_NE(problem.find("16384"), std::string::npos) << problem;
}

TEST(UriProblem, RefusesAnUnescapedAtInTheUserInfo) {
  // libmongoc takes the first '@' and would resolve "s3cretPW@host".
  EXPECT_NE(uri_problem("mongodb://u:s3cretPW@s3cretPW@host/db"), "");
  EXPECT_NE(uri_problem("mongodb://u:s3cretPW@s3cretPW@host/db").find("%40"), std::string::npos);
  EXPECT_EQ(uri_problem("mongodb://u:s3cretPW@host/db"), "");
  // The message never quotes the URI.
  EXPECT_EQ(uri_problem("mongodb://u:s3cretPW@s3cretPW@host/db").find("s3cret"), std::string::npos);
}

}  // namespace
}  // namespace mongomigrate::core
