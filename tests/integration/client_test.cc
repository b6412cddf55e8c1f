// Client::server_now() against a real server. FerretDB has `hello`, so here
// it must be the command used, and an unreachable server must not be taken
// for one without `hello`. The fallback to `isMaster`, for servers that
// answer `hello` with CommandNotFound (old MongoDB releases), is tested
// against a fake wire server, since no such server is part of the suite;
// so is a server whose maxBsonObjectSize is below the parser's 16 MiB cap.
// The fan-out's ClientPool: a pool with every connection lent refuses at
// once instead of waiting.
#include "mongo/client.h"
#include "mongo/client_pool.h"
#include "mongo/migration_context.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <string>

#include "core/time_format.h"
#include "support/test_server.h"
#include "support/fake_wire_server.h"
#include "support/integration.h"

namespace mongomigrate::testing {
namespace {

class ClientTest : public IntegrationTest {};

TEST_F(ClientTest, ServerNowReadsTheClockWithHelloOnAServerThatHasIt) {
  // A server given by URI may be one without `hello` (isMaster then, as
  // the fake below shows) and may run on a host whose clock is not ours.
  const bool ours = !server().external();
  auto client = mongo::Client::open(uri(), db());
  ASSERT_TRUE(client) << client.error().message;
  EXPECT_EQ(client->clock_command(), "hello");

  TimestampMs before = core::now_ms();
  auto first = client->server_now();
  ASSERT_TRUE(first) << first.error().message;
  // The server runs on this machine: its clock is ours.
  if (ours) {
    EXPECT_LT(std::llabs(*first - before), 5000) << "server " << *first << ", local " << before;
    EXPECT_EQ(client->clock_command(), "hello");
  } else {
    EXPECT_TRUE(client->clock_command() == "hello" || client->clock_command() == "isMaster")
        << client->clock_command();
  }
  std::string asked(client->clock_command());

  auto second = client->server_now();
  ASSERT_TRUE(second) << second.error().message;
  EXPECT_GE(*second, *first);
  EXPECT_EQ(client->clock_command(), asked) << "found once, kept";
}

// Each reading asks the server: a jump of the server's clock against this
// host's (here the fake's; in life, this host suspended and resumed, whose
// monotonic clock stood still meanwhile) shows in the next lease time.
TEST_F(ClientTest, ServerNowAsksTheServerEachTime) {
  bson_t* build_info = BCON_NEW("version", "7.0.14", "ok", BCON_INT32(1));
  std::atomic<std::int64_t> offset_ms{0};
  FakeWireServer server([&](FakeWireServer::Exchange& exchange) {
    FakeWireServer::standard_reply(exchange, *build_info, 16 * 1024 * 1024, offset_ms.load());
  });
  auto client = mongo::Client::open(server.uri("db"), "");
  ASSERT_TRUE(client) << client.error().message;
  auto first = client->server_now();
  ASSERT_TRUE(first) << first.error().message;
  offset_ms = 120'000;
  auto second = client->server_now();
  ASSERT_TRUE(second) << second.error().message;
  bson_destroy(build_info);
  EXPECT_GE(*second - *first, 120'000) << "the server's clock moved two minutes";
  EXPECT_LT(*second - *first, 180'000);
}

// The fan-out's pool never waits (mongo/client_pool.h): with every
// connection lent, pop() fails at once, saying so, where libmongoc's own pop
// would block until one came back (for ever, if the holders wait on each
// other); a connection given back is lent again. The URI's maxPoolSize may
// raise the size, never lower it.
TEST_F(ClientTest, APoolWithEveryConnectionLentRefusesAtOnceInsteadOfWaiting) {
  auto pool = mongo::ClientPool::open(uri(), 2);
  ASSERT_TRUE(pool) << pool.error().message;
  EXPECT_EQ((*pool)->max_clients(), 2u);
  std::vector<mongo::Client> lent;
  for (int i = 0; i < 2; ++i) {
    auto client = (*pool)->pop(db());
    ASSERT_TRUE(client) << client.error().message;
    EXPECT_TRUE(client->server_now()) << "a lent connection works";
    lent.push_back(std::move(*client));
  }
  auto third = (*pool)->pop(db());
  ASSERT_FALSE(third);
  EXPECT_EQ(third.error().kind, ErrorKind::kRefused);
  EXPECT_EQ(third.error().message,
            "all 2 connections of the fan-out's pool are in use: none is left for database " + db());
  lent.pop_back();
  auto again = (*pool)->pop(db());
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_TRUE(again->server_now());

  std::string separator = uri().find('?') == std::string::npos ? "?" : "&";
  auto raised = mongo::ClientPool::open(uri() + separator + "maxPoolSize=5", 2);
  ASSERT_TRUE(raised) << raised.error().message;
  EXPECT_EQ((*raised)->max_clients(), 5u);
  auto lowered = mongo::ClientPool::open(uri() + separator + "maxPoolSize=1", 2);
  ASSERT_TRUE(lowered) << lowered.error().message;
  EXPECT_EQ((*lowered)->max_clients(), 2u);
}

// A fan-out's pool has room for each of its `parallel` databases' own
// connection, lease renewer, event sender and the most parallel batch
// workers a BatchQuery may ask, and one for the pool's own checks.
TEST_F(ClientTest, TheFanOutPoolSizeCountsEveryConnectionADatabaseMayHold) {
  EXPECT_EQ(mongo::fan_out_pool_size(1), 3u + mongo::MigrationContext::kMaxParallel + 1);
  EXPECT_EQ(mongo::fan_out_pool_size(4), 4u * (3 + mongo::MigrationContext::kMaxParallel) + 1);
  EXPECT_GT(mongo::fan_out_pool_size(2), 100u) << "more than libmongoc's default: 2 databases x 64 workers";
}

// Issue 15 item 6: the size limit comes from the same `hello` as the clock.
TEST_F(ClientTest, MaxBsonObjectSizeIsTheServersFromHello) {
  auto client = mongo::Client::open(uri(), db());
  ASSERT_TRUE(client) << client.error().message;
  auto limit = client->max_bson_object_size();
  ASSERT_TRUE(limit) << limit.error().message;
  EXPECT_EQ(*limit, 16u * 1024 * 1024) << "FerretDB 2 and MongoDB say 16 MiB";
}

// A server with a smaller maxBsonObjectSize than the parser's 16 MiB cap (a
// fake: no real one is part of the suite): `up` refuses the command that is
// over it, naming the file and the command, exit 2, before it writes or
// locks anything.
TEST_F(ClientTest, UpRefusesACommandOverTheServersMaxBsonObjectSizeBeforeWriting) {
  bson_t* build_info = BCON_NEW("version", "7.0.0", "ok", BCON_INT32(1));
  FakeWireServer small_server([&](FakeWireServer::Exchange& exchange) {
    if (exchange.name == "find") {  // an empty log
      bson_t cursor, batch;
      BSON_APPEND_DOCUMENT_BEGIN(exchange.reply, "cursor", &cursor);
      BSON_APPEND_ARRAY_BEGIN(&cursor, "firstBatch", &batch);
      bson_append_array_end(&cursor, &batch);
      BSON_APPEND_INT64(&cursor, "id", 0);
      BSON_APPEND_UTF8(&cursor, "ns", "db.migrationlogs");
      bson_append_document_end(exchange.reply, &cursor);
      BSON_APPEND_DOUBLE(exchange.reply, "ok", 1);
      return;
    }
    FakeWireServer::standard_reply(exchange, *build_info, 4096);
  });
  write_migration("001-small.json", R"({"up": [{"ping": 1}]})");
  write_migration("002-large.json", R"({"up": [{"ping": 1}, {"insert": "a", "documents": [{"s": ")" +
                                        std::string(5000, 'x') + R"("}]}]})");
  ProcessResult up =
      cli({"up", "--uri", small_server.uri("db"), "--dir", dir()}, bounded(), /*with_defaults=*/false);
  bson_destroy(build_info);
  EXPECT_EQ(up.exit_code, 2) << describe(up);
  EXPECT_TRUE(up.err.find("002-large.json") != std::string::npos) << describe(up);
  EXPECT_TRUE(up.err.find("up[1]") != std::string::npos) << describe(up);
  EXPECT_TRUE(up.err.find("4096") != std::string::npos) << describe(up);
  for (const std::string& asked : small_server.commands()) {
    EXPECT_TRUE(asked == "hello" || asked == "isMaster" || asked == "buildInfo" || asked == "find" ||
                asked == "ping" || asked == "endSessions")
        << "nothing written or locked: asked " << asked;
  }
}

// A refusal as a server sends it: ok 0 with a code and words.
struct Refusal {
  int code = 0;  // 0: the command is answered as usual
  const char* errmsg = "";
};

// server_now() once, against a fake whose `hello` and `isMaster` (not the
// driver's own handshake, an isMaster with its `client` metadata) answer as
// told: what it returned, the clock command the client kept, and the
// commands the fake received.
struct ClockReading {
  Result<TimestampMs> now;
  std::string clock_command;
  std::vector<std::string> commands;
};
ClockReading read_clock(Refusal hello, Refusal is_master = {}) {
  bson_t* build_info = BCON_NEW("version", "7.0.0", "ok", BCON_INT32(1));
  FakeWireServer fake([&](FakeWireServer::Exchange& exchange) {
    bool handshake = bson_has_field(exchange.command, "client");
    const Refusal& refusal = exchange.name == "hello" ? hello : is_master;
    if ((exchange.name == "hello" || (exchange.name == "isMaster" && !handshake)) && refusal.code != 0) {
      BSON_APPEND_INT32(exchange.reply, "ok", 0);
      BSON_APPEND_INT32(exchange.reply, "code", refusal.code);
      BSON_APPEND_UTF8(exchange.reply, "errmsg", refusal.errmsg);
      return;
    }
    FakeWireServer::standard_reply(exchange, *build_info);
  });
  auto client = mongo::Client::open(fake.uri("db"), "");
  EXPECT_TRUE(client) << client.error().message;
  ClockReading reading{client ? client->server_now() : std::unexpected(client.error()), "", {}};
  if (client) reading.clock_command = client->clock_command();
  reading.commands = fake.commands();
  bson_destroy(build_info);
  return reading;
}

// Whether `name` was asked after the first `hello`.
bool asked_after_hello(const std::vector<std::string>& asked, const std::string& name) {
  auto hello = std::find(asked.begin(), asked.end(), "hello");
  return hello != asked.end() && std::find(hello, asked.end(), name) != asked.end();
}

TEST_F(ClientTest, ServerNowAsksIsMasterOnAServerWithoutHello) {
  // Old MongoDB says CommandNotFound; Azure Cosmos DB for MongoDB says
  // CommandNotSupported, in words of its own.
  for (const Refusal& refusal : {Refusal{59, "no such command: 'hello'"}, Refusal{115, "Command hello not supported"}}) {
    SCOPED_TRACE(refusal.errmsg);
    TimestampMs before = core::now_ms();
    ClockReading reading = read_clock(refusal);
    ASSERT_TRUE(reading.now) << reading.now.error().message;
    EXPECT_EQ(reading.clock_command, "isMaster");
    EXPECT_LT(std::llabs(*reading.now - before), 5000) << "the fake's clock is ours";
    EXPECT_TRUE(asked_after_hello(reading.commands, "isMaster")) << "refused hello, then asked isMaster";
  }
}

TEST_F(ClientTest, AServerRefusingBothHelloAndIsMasterGivesBothErrors) {
  ClockReading reading =
      read_clock({115, "Command hello not supported"}, {13, "not authorized to run isMaster"});
  ASSERT_FALSE(reading.now);
  EXPECT_EQ(reading.now.error().kind, ErrorKind::kDatabase);
  for (const char* said : {"cannot read the server's clock: hello", "Command hello not supported", "isMaster",
                           "not authorized to run isMaster"}) {
    EXPECT_NE(reading.now.error().message.find(said), std::string::npos) << said << "\n"
                                                                          << reading.now.error().message;
  }
  EXPECT_EQ(reading.clock_command, "hello") << "isMaster never answered";
}

// Any other refusal of `hello` (here a step-down's) is the error itself:
// isMaster is not asked, and would have hidden it.
TEST_F(ClientTest, AHelloRefusedForAnotherReasonIsReportedAsItIs) {
  ClockReading reading = read_clock({11602, "operation was interrupted because of a replica set state change"});
  ASSERT_FALSE(reading.now);
  EXPECT_NE(reading.now.error().message.find("replica set state change"), std::string::npos)
      << reading.now.error().message;
  EXPECT_NE(std::find(reading.commands.begin(), reading.commands.end(), "hello"), reading.commands.end());
  EXPECT_FALSE(asked_after_hello(reading.commands, "isMaster")) << "no isMaster after the refused hello";
  EXPECT_EQ(reading.clock_command, "hello");
}

TEST_F(ClientTest, ReadsGoToThePrimaryWhateverTheUriSays) {
  std::string secondary = uri() + (uri().find('?') == std::string::npos ? "?" : "&") +
                          "readPreference=secondaryPreferred";
  auto client = mongo::Client::open(secondary, db());
  ASSERT_TRUE(client) << client.error().message;
  mongo::CollectionPtr coll = client->open_collection("migrationlogs");
  EXPECT_EQ(mongoc_read_prefs_get_mode(mongoc_collection_get_read_prefs(coll.get())), MONGOC_READ_PRIMARY);
  auto now = client->server_now();
  EXPECT_TRUE(now) << "and it still works: " << now.error().message;
}

TEST_F(ClientTest, AnUnreachableServerIsADatabaseErrorNotAMissingHello) {
  std::string unreachable = "mongodb://127.0.0.1:" + std::to_string(free_loopback_port()) +
                            "/db?serverSelectionTimeoutMS=1000&connectTimeoutMS=1000";
  auto client = mongo::Client::open(unreachable, "");
  ASSERT_TRUE(client) << client.error().message;
  auto now = client->server_now();
  ASSERT_FALSE(now);
  EXPECT_EQ(now.error().kind, ErrorKind::kDatabase);
  EXPECT_NE(now.error().message.find("cannot read the server's clock"), std::string::npos) << now.error().message;
  EXPECT_EQ(client->clock_command(), "hello");
}

}  // namespace
}  // namespace mongomigrate::testing

namespace mongomigrate::testing {
namespace {

// A host that refuses: the driver goes on looking for a server (up to
// serverSelectionTimeoutMS), and the client says so once, naming the host.
TEST(ClientServerWait, AHostThatRefusesIsReportedOnceWhileTheDriverWaits) {
  const std::string hosts = "127.0.0.1:" + std::to_string(free_loopback_port());
  auto client = mongo::Client::open("mongodb://" + hosts + "/db?serverSelectionTimeoutMS=1500&connectTimeoutMS=500", "");
  ASSERT_TRUE(client) << client.error().message;
  std::vector<std::string> told;
  client->on_server_wait([&](const std::string& why) { told.push_back(why); });
  auto checked = client->check_server();
  ASSERT_FALSE(checked);
  EXPECT_EQ(checked.error().kind, ErrorKind::kDatabase);
  ASSERT_EQ(told.size(), 1u) << "once, however many times the driver looks";
  EXPECT_TRUE(told[0].starts_with("no answer from " + hosts + " (")) << told[0];
  EXPECT_TRUE(told[0].ends_with("); waiting up to 1.5 s for a server (serverSelectionTimeoutMS)")) << told[0];
}

// With serverSelectionTryOnce=true the driver does not wait: nothing to say.
TEST(ClientServerWait, NothingIsSaidWhenTheUriAsksForOneLook) {
  auto client = mongo::Client::open("mongodb://127.0.0.1:" + std::to_string(free_loopback_port()) +
                                        "/db?serverSelectionTryOnce=true&connectTimeoutMS=500",
                                    "");
  ASSERT_TRUE(client) << client.error().message;
  int told = 0;
  client->on_server_wait([&](const std::string&) { ++told; });
  EXPECT_FALSE(client->check_server());
  EXPECT_EQ(told, 0);
}

}  // namespace
}  // namespace mongomigrate::testing
