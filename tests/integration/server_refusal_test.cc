// A FerretDB 1.x server is refused at its first contact, with nothing
// written: every command of the real binary exits 3 with one sentence, and
// the server saw no write. FerretDB 1 cannot run in the suite, so a fake
// wire server (support/fake_wire_server.h) plays it, answering buildInfo as
// FerretDB v1.24.2 does; the control is the same fake saying it is MongoDB.
// Nothing else is started: the fixture does not touch the test server.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "support/fake_wire_server.h"
#include "support/integration.h"

namespace mongomigrate::testing {
namespace {

constexpr const char* kFerretDb1BuildInfo = R"({"version": "7.0.42", "ferretdbVersion": "v1.24.2", "ok": 1})";
constexpr const char* kMongoDbBuildInfo = R"({"version": "7.0.14", "ok": 1})";

const char* kA = R"({"up":   [{"insert": "things", "documents": [{"_id": "a"}]}],
  "down": [{"delete": "things", "deletes": [{"q": {"_id": "a"}, "limit": 1}]}]})";

// What a client may send before it knows which server it talks to, and when
// it leaves: nothing that reads or writes data (no find, insert, update,
// delete, findAndModify, createIndexes, create, drop...).
const std::set<std::string> kFirstContact = {"hello", "isMaster", "ismaster", "buildInfo", "ping", "endSessions"};

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

class ServerRefusalTest : public IntegrationTest {
 protected:
  // No database on the test server: these tests talk to a fake alone.
  void SetUp() override {}

  ProcessResult run(FakeWireServer& fake, std::vector<std::string> args) {
    args.insert(args.end(), {"--uri", fake.uri("t_refusal"), "--dir", dir()});
    return cli(std::move(args), bounded(std::chrono::seconds(30)), /*with_defaults=*/false);
  }
};

TEST_F(ServerRefusalTest, FerretDb1IsRefusedByEveryCommandWithNothingWritten) {
  write_migration("001-a.json", kA);
  const std::vector<std::vector<std::string>> commands = {
      {"up"},
      {"up", "--dry-run"},
      {"status"},
      {"validate"},
      {"history"},
      {"unlock"},
      {"run", "001-a.json"},
      {"down", "001-a.json"},
      {"mark", "001-a.json", "--as", "applied"},
      {"baseline", "001-a.json"},
      {"import", "migrate-mongo"},
      // A fan-out checks the server once, through its connection pool.
      {"up", "--dbs", "t_refusal_a,t_refusal_b"},
      {"status", "--all-dbs"},
  };
  for (const std::vector<std::string>& args : commands) {
    SCOPED_TRACE(joined(args));
    FakeWireServer fake(kFerretDb1BuildInfo);
    ProcessResult r = run(fake, args);

    EXPECT_EQ(r.exit_code, 3) << describe(r);
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one line on stderr: " << r.err;
    EXPECT_TRUE(contains(r.err, "FerretDB v1.24.2 is not supported")) << r.err;
    EXPECT_TRUE(contains(r.err, "FerretDB 2 or MongoDB")) << r.err;

    // It asked, was refused, and went: no read, no write, no index, no lock.
    std::vector<std::string> received = fake.commands();
    EXPECT_EQ(std::count(received.begin(), received.end(), "buildInfo"), 1) << joined(received);
    for (const std::string& name : received) {
      EXPECT_TRUE(kFirstContact.contains(name)) << name << " sent to a refused server; all: " << joined(received);
    }
  }
}

TEST_F(ServerRefusalTest, MongoDbPassesTheCheck) {
  // The fake knows no `find`: status fails, but only after the check let it
  // through to read the log.
  FakeWireServer fake(kMongoDbBuildInfo);
  ProcessResult r = run(fake, {"status"});

  EXPECT_NE(r.exit_code, 0) << describe(r);
  EXPECT_FALSE(contains(r.err, "not supported: its updates")) << describe(r);
  std::vector<std::string> received = fake.commands();
  EXPECT_EQ(std::count(received.begin(), received.end(), "buildInfo"), 1) << joined(received);
  EXPECT_NE(std::find(received.begin(), received.end(), "find"), received.end()) << joined(received);
}

}  // namespace
}  // namespace mongomigrate::testing
