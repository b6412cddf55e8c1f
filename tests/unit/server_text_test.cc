#include "core/server_text.h"

#include <gtest/gtest.h>

namespace mongomigrate::core {
namespace {

TEST(OneLine, CollapsesWhitespaceAndTrims) {
  EXPECT_EQ(one_line("  a\n\tb  c\r\n"), "a b c");
  EXPECT_EQ(one_line(""), "");
  EXPECT_EQ(one_line("E11000 duplicate key error"), "E11000 duplicate key error");
}

TEST(OneLine, DropsFerretDbsGoSourceLocations) {
  // As FerretDB 2 answers while its PostgreSQL is down.
  EXPECT_EQ(one_line("msg_find.go:43 (handler.(*Handler).msgFind): pool_cursors.go:132 (documentdb.(*Pool).Find): "
                     "pool.go:90 (documentdb.(*Pool).Acquire): failed to connect to `user=postgres database=postgres`:\n"
                     "\t127.0.0.1:47069 (127.0.0.1): dial error: dial tcp 127.0.0.1:47069: connect: connection refused"),
            "failed to connect to `user=postgres database=postgres`: 127.0.0.1:47069 (127.0.0.1): dial error: dial tcp "
            "127.0.0.1:47069: connect: connection refused");
  EXPECT_EQ(one_line("see config.go:12 for details"), "see config.go:12 for details");
}

TEST(Remedy, AmazonDocumentDbNeedsRetryWritesOff) {
  // As Amazon DocumentDB answers a write with a transaction number.
  std::string fix = remedy("Retryable writes are not supported", 301, /*tracking=*/true);
  EXPECT_NE(fix.find("add retryWrites=false to the URI"), std::string::npos) << fix;
  EXPECT_EQ(fix, remedy("Retryable writes are not supported", 301, /*tracking=*/false)) << "a migration's too";
}

TEST(Remedy, AValidatorThatRefusesTheTrackingFieldsIsNamed) {
  std::string fix = remedy("Document failed validation", 121, /*tracking=*/true);
  EXPECT_NE(fix.find("schema validator on a tracking collection"), std::string::npos) << fix;
  EXPECT_EQ(remedy("Document failed validation", 121, /*tracking=*/false), "")
      << "a migration's own write refused by a validator is the migration's failure, reported as it is";
}

TEST(Remedy, AStepDownIsNamedAnElection) {
  for (int code : {10107, 13435, 13436, 189, 11602, 91, 11600}) {
    EXPECT_EQ(remedy("not primary", code, /*tracking=*/false),
              "the replica set's primary stepped down as it ran (an election or a restart)")
        << code;
    EXPECT_NE(remedy("not primary", code, /*tracking=*/true).find("serverSelectionTimeoutMS"), std::string::npos)
        << code;
  }
}

TEST(Remedy, OtherRefusalsHaveNone) {
  EXPECT_EQ(remedy("E11000 duplicate key error collection: app.users index: email_1", 11000, true), "");
  EXPECT_EQ(remedy("not authorized on app to execute command", 13, true), "");
  EXPECT_EQ(remedy("", 0, false), "");
}

}  // namespace
}  // namespace mongomigrate::core
