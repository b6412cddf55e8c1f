// A claim whose write gets no answer that says whether it landed: the
// connection lost after the server applied it, or a write concern error (a
// replica set applied it but could not confirm it). Neither can be made to
// happen on demand on a real server, so a proxy on the wire
// (support/wire_proxy.h) changes what the tool hears while the real server
// does the work. A migration that never started must not be left marked
// running (it would show interrupted and block `up`): the claim is given
// back, the run stops with exit 3, and the next run finishes.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include "support/counter_migrations.h"
#include "support/integration.h"
#include "support/lock_docs.h"
#include "support/wire_proxy.h"

namespace mongomigrate::testing {
namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// Which of the tool's writes to migrationlogs the fault hits (the first of it).
enum class Write {
  kClaimInsert,     // the claim of a migration with no record (an insert)
  kClaimUpdate,     // the claim of a failed migration run again (a conditional update)
  kOutcomeAndNext,  // a migration's outcome with the next one's claim (one update of two statements)
  kRevertClaim,     // the claim of a revert (a conditional update)
  kLockInsert,      // taking the lock (an insert into migrationlogs_lock)
  kEveryLogWrite,   // every write to migrationlogs (the claim and its give-back alike)
  kLockRelease,     // releasing the lock (a delete from migrationlogs_lock)
  kLastOutcome,     // the outcome of the last migration of `up` (an update of one statement)
  kRevertOutcome,   // the outcome of a revert (the second update of one statement of `down`)
};
enum class Fault {
  kReplyLost,
  kRequestLost,  // the connection is lost before the write reaches the server: nothing was written
  kWriteConcernError,
  kRefused,             // the server said no (Unauthorized): nothing was written
  kRetryableWritesOff,  // as Amazon DocumentDB refuses a retryable write
};

struct Case {
  Write write;
  Fault fault;
};

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  const char* write = info.param.write == Write::kClaimInsert       ? "ClaimInsert"
                      : info.param.write == Write::kClaimUpdate     ? "ClaimUpdate"
                      : info.param.write == Write::kOutcomeAndNext ? "OutcomeAndNextClaim"
                      : info.param.write == Write::kRevertClaim    ? "RevertClaim"
                                                                    : "LockInsert";
  return std::string(write) + (info.param.fault == Fault::kReplyLost ? "ReplyLost" : "WriteConcernError");
}

bool is_target(const WireProxy::Exchange& e, Write write) {
  if (write == Write::kLockInsert) return e.name == "insert" && e.collection == "migrationlogs_lock";
  if (write == Write::kLockRelease) return e.name == "delete" && e.collection == "migrationlogs_lock";
  if (write == Write::kEveryLogWrite) {
    return e.collection == "migrationlogs" && (e.name == "insert" || e.name == "update" || e.name == "delete");
  }
  if (e.collection != "migrationlogs") return false;
  switch (write) {
    case Write::kClaimInsert: return e.name == "insert";
    case Write::kClaimUpdate:
    case Write::kRevertClaim:
    case Write::kLastOutcome:
    case Write::kRevertOutcome: return e.name == "update" && e.statements == 1;
    case Write::kOutcomeAndNext: return e.name == "update" && e.statements == 2;
    case Write::kLockInsert:
    case Write::kEveryLogWrite:
    case Write::kLockRelease: break;
  }
  return false;
}

std::string write_concern_of(const bson_t* command) {
  bson_iter_t it, concern;
  if (!bson_iter_init_find(&it, command, "writeConcern") || !bson_iter_recurse(&it, &concern)) return "none";
  uint32_t length = 0;
  const uint8_t* data = nullptr;
  bson_iter_document(&it, &length, &data);
  bson_t doc;
  if (!bson_init_static(&doc, data, length)) return "unreadable";
  char* json = bson_as_relaxed_extended_json(&doc, nullptr);
  std::string text = json ? json : "unreadable";
  bson_free(json);
  return text;
}

// Puts the proxy between the tool and the test server; it faults the first
// `write` it sees with `fault`.
class ProxiedTest : public IntegrationTest {
 protected:
  // The proxy's threads use the members below: stop it before they go.
  void TearDown() override {
    proxy_.reset();
    IntegrationTest::TearDown();
  }

  void start_proxy(Write write, Fault fault) {
    // The proxy forwards to one plain-TCP server; a given URI may name a
    // replica set (whose members the driver would reach directly) or TLS.
    const ServerAddress server_address = server().proxiable_address(nullptr).value();
    // Whether `e` is the write to fault (counted once).
    auto faulted = [this, write](const WireProxy::Exchange& e) {
      if (!is_target(e, write)) return false;
      // A revert's outcome follows its claim, an update of the same shape.
      if (write == Write::kRevertOutcome && ++targets_seen_ < 2) return false;
      int none = 0;  // only the first of them, unless every one
      return faults_.compare_exchange_strong(none, 1) || write == Write::kEveryLogWrite;
    };
    // A request lost on the way never reaches the server, nor the hook.
    WireProxy::Interceptor lose_request;
    if (fault == Fault::kRequestLost) {
      lose_request = [faulted](WireProxy::Exchange& e) { return faulted(e); };  // hangs up: `reply` left empty
    }
    proxy_ = std::make_unique<WireProxy>(server_address, [this, fault, faulted](WireProxy::Exchange& e) {
      if (e.collection.starts_with("migrationlogs") &&
          (e.name == "insert" || e.name == "update" || e.name == "delete")) {
        std::lock_guard lock(mutex_);
        tracking_writes_.push_back(e.name + " " + e.collection + " " + write_concern_of(e.command));
      }
      if (fault == Fault::kRequestLost || !faulted(e)) return WireProxy::Verdict::kPass;
      if (fault == Fault::kReplyLost) return WireProxy::Verdict::kHangUp;
      if (fault == Fault::kRefused || fault == Fault::kRetryableWritesOff) {
        const bool unauthorized = fault == Fault::kRefused;
        bson_reinit(e.reply);
        BSON_APPEND_DOUBLE(e.reply, "ok", 0);
        BSON_APPEND_UTF8(e.reply, "errmsg",
                         unauthorized ? "not authorized on this database" : "Retryable writes are not supported");
        BSON_APPEND_INT32(e.reply, "code", unauthorized ? 13 : 301);
        BSON_APPEND_UTF8(e.reply, "codeName", unauthorized ? "Unauthorized" : "IllegalOperation");
      } else {
        add_write_concern_timeout(e.reply);
      }
      return WireProxy::Verdict::kEdited;
    }, std::move(lose_request));
  }

  // mongo-migrate through the proxy.
  ProcessResult via_proxy(std::vector<std::string> args) {
    // One server (a replica set member is not discovered past the proxy),
    // and no retryable writes: the driver does not resend a write whose
    // reply was lost, so the tool's own handling is what is tested.
    args.insert(args.end(), {"--uri",
                             server().uri_via(proxy_->port(), db(),
                                              "serverSelectionTimeoutMS=2000&connectTimeoutMS=2000&"
                                              "directConnection=true&retryWrites=false"),
                             "--dir", dir()});
    return cli(std::move(args), bounded(), /*with_defaults=*/false);
  }

  std::unique_ptr<WireProxy> proxy_;
  std::atomic<int> faults_{0};
  std::atomic<int> targets_seen_{0};
  std::mutex mutex_;                       // guards tracking_writes_
  std::vector<std::string> tracking_writes_;  // each as "<command> <collection> <its writeConcern as JSON>"
};

class UnconfirmedWriteTest : public ProxiedTest, public ::testing::WithParamInterface<Case> {};

TEST_P(UnconfirmedWriteTest, TheClaimIsGivenBackAndTheNextRunFinishes) {
  SKIP_UNLESS_PROXIABLE();
  const Case c = GetParam();
  start_proxy(c.write, c.fault);
  for (int n = 1; n <= 3; ++n) write_migration(migration_name(n), counter_migration(n));
  const std::string first = migration_name(1), second = migration_name(2);
  if (c.write == Write::kClaimUpdate) {
    probe().insert("migrationlogs", R"({"name": ")" + first + R"(", "version": "001", "status": "failed",)"
                                    R"( "error": "an earlier failure"})");
  }

  ProcessResult faulted = c.write == Write::kClaimUpdate ? via_proxy({"run", first}) : via_proxy({"up"});
  ASSERT_EQ(faults_.load(), 1) << "the proxy saw the write it was to fault\n" << describe(faulted);
  EXPECT_EQ(faulted.exit_code, 3) << describe(faulted);
  const std::string claimed = c.write == Write::kOutcomeAndNext ? second : first;
  EXPECT_TRUE(contains(faulted.err, claimed + " was not started, and no claim of this runner's is left on its record")) << describe(faulted);
  if (c.fault == Fault::kWriteConcernError) {
    EXPECT_TRUE(contains(faulted.err, "waiting for replication timed out")) << describe(faulted);
  }

  // What the log holds: nothing marked running, the unstarted migration as
  // it was before its claim.
  EXPECT_EQ(probe().count("migrationlogs", R"({"status": "running"})"), 0) << "no migration shows interrupted";
  switch (c.write) {
    case Write::kClaimInsert:
      EXPECT_EQ(probe().count("migrationlogs"), 0);
      break;
    case Write::kClaimUpdate:
      EXPECT_EQ(log_status(probe(), first), "failed");
      EXPECT_EQ(probe().string_field("migrationlogs", R"({"name": ")" + first + R"("})", "error"),
                "an earlier failure");
      EXPECT_EQ(probe().count("migrationlogs", R"({"lockOwner": {"$exists": true}})"), 0);
      break;
    case Write::kRevertClaim:
    case Write::kLockInsert:
    case Write::kEveryLogWrite:
    case Write::kLockRelease:
    case Write::kLastOutcome:
    case Write::kRevertOutcome:
      break;
    case Write::kOutcomeAndNext:
      // The outcome reached the server (a write concern error says it was
      // applied, not confirmed).
      EXPECT_EQ(log_status(probe(), first), "applied");
      EXPECT_EQ(probe().count("migrationlogs", R"({"name": ")" + second + R"("})"), 0);
      break;
  }
  EXPECT_EQ(counter(probe(), 1), c.write == Write::kOutcomeAndNext ? 1 : 0);
  EXPECT_EQ(counter(probe(), 2), 0) << "nothing after the fault ran";
  EXPECT_EQ(lock_leftovers(probe()), 0) << "the lock was released";

  ProcessResult rest = c.write == Write::kClaimUpdate ? cli({"run", first}, bounded()) : cli({"up"}, bounded());
  ASSERT_EQ(rest.exit_code, 0) << describe(rest);
  if (c.write == Write::kClaimUpdate) {
    ProcessResult up = cli({"up"}, bounded());
    ASSERT_EQ(up.exit_code, 0) << describe(up);
  }
  for (int n = 1; n <= 3; ++n) {
    EXPECT_EQ(counter(probe(), n), 1) << migration_name(n) << " ran exactly once";
    EXPECT_EQ(log_status(probe(), migration_name(n)), "applied");
  }
}

INSTANTIATE_TEST_SUITE_P(Faults, UnconfirmedWriteTest,
                         ::testing::Values(Case{Write::kClaimInsert, Fault::kReplyLost},
                                           Case{Write::kClaimInsert, Fault::kWriteConcernError},
                                           Case{Write::kClaimUpdate, Fault::kReplyLost},
                                           Case{Write::kClaimUpdate, Fault::kWriteConcernError},
                                           Case{Write::kOutcomeAndNext, Fault::kWriteConcernError}),
                         case_name);

// An outcome whose connection was lost, after the server applied it (the
// runner sends it again, harmless, then reads the record back) or before
// (the resend applies it): either way the run goes on, nothing is left
// marked running, nothing runs twice. The same write with a write concern
// error (applied, not confirmed) stops the run (above).
class LostOutcomeReplyTest : public ProxiedTest, public ::testing::WithParamInterface<Case> {};

TEST_P(LostOutcomeReplyTest, IsSentAgainOrReadBackAndTheRunGoesOn) {
  SKIP_UNLESS_PROXIABLE();
  const Write write = GetParam().write;
  constexpr int kCount = 3;
  for (int n = 1; n <= kCount; ++n) write_migration(migration_name(n), revertible_counter_migration(n));
  const bool reverting = write == Write::kRevertOutcome;
  if (reverting) {
    ASSERT_EQ(cli({"up"}, bounded()).exit_code, 0);
  }
  start_proxy(write, GetParam().fault);

  ProcessResult run = via_proxy({reverting ? "down" : "up"});
  ASSERT_EQ(faults_.load(), 1) << "the proxy hung up on the write\n" << describe(run);
  EXPECT_EQ(run.exit_code, 0) << describe(run);
  for (int n = 1; n <= kCount; ++n) {
    const bool reverted = reverting && n == kCount;
    EXPECT_EQ(log_status(probe(), migration_name(n)), reverted ? "reverted" : "applied") << migration_name(n);
    EXPECT_EQ(counter(probe(), n), reverted ? 0 : 1) << migration_name(n) << " ran once";
  }
  EXPECT_EQ(probe().count("migrationlogs", R"({"lockOwner": {"$exists": true}})"), 0) << "no claim is left";
  EXPECT_EQ(lock_leftovers(probe()), 0) << "the lock was released";
  for (int n = 1; n <= kCount; ++n) {
    EXPECT_EQ(probe().count("migrationlogs_events", R"({"action": "applied", "name": ")" + migration_name(n) + "\"}"),
              1)
        << migration_name(n) << ": one event";
  }
}

// A failed revert's note sets no status, so a lost reply cannot be read
// back from the record: it is reported as it is (exit 3), not as a lock
// lost to another runner.
class LostNoteReplyTest : public ProxiedTest {};

TEST_F(LostNoteReplyTest, AFailedRevertsNoteIsReportedAsItIs) {
  SKIP_UNLESS_PROXIABLE();
  const std::string name = migration_name(1);
  write_migration(name, R"({"up": [)" + counter_command(1) +
                            R"(], "down": [{"renameCollection": "missing", "to": "elsewhere"}]})");
  ASSERT_EQ(cli({"up"}, bounded()).exit_code, 0);
  start_proxy(Write::kRevertOutcome, Fault::kReplyLost);

  ProcessResult down = via_proxy({"down"});
  ASSERT_EQ(faults_.load(), 1) << describe(down);
  EXPECT_EQ(down.exit_code, 3) << describe(down);
  EXPECT_TRUE(contains(down.err, "cannot record the failed revert of " + name)) << describe(down);
  EXPECT_FALSE(contains(down.err, "lock was lost")) << describe(down);
  EXPECT_EQ(probe().count("migrationlogs_events", R"({"action": "stopped"})"), 0) << "no false lease-lost event";
  // The note did land: the revert shows failed half-way, no claim left.
  EXPECT_EQ(probe().count("migrationlogs", R"({"reverting": true, "lockOwner": {"$exists": false}})"), 1);
  EXPECT_EQ(lock_leftovers(probe()), 0);
}

// The outcome-and-claim command is lost on the way and reaches the server
// late: after the runner read the record back (still `running`), before it
// wrote the outcome alone. The runner finds the outcome written and its own
// claim of the next migration made, takes that claim up, and goes on.
class LateChainedCommandTest : public ProxiedTest {};

TEST_F(LateChainedCommandTest, ItsOutcomeAndClaimAreTakenUp) {
  SKIP_UNLESS_PROXIABLE();
  if (server().hosts_uri().find('@') != std::string::npos) {
    GTEST_SKIP() << "sends a command late on a connection of its own, which does not authenticate";
  }
  constexpr int kCount = 3;
  for (int n = 1; n <= kCount; ++n) write_migration(migration_name(n), counter_migration(n));
  std::mutex mutex;
  std::string held;  // the command kept back
  bool delivered = false;
  std::atomic<int> late = 0;
  WireProxy* self = nullptr;
  WireProxy proxy(
      server().proxiable_address(nullptr).value(),
      [&](WireProxy::Exchange& e) {
        // The read-back's reply, as the server made it before the late command.
        if (e.name != "find" || e.collection != "migrationlogs") return WireProxy::Verdict::kPass;
        std::string request;
        {
          std::lock_guard lock(mutex);
          if (held.empty() || delivered) return WireProxy::Verdict::kPass;
          delivered = true;
          request = held;
        }
        if (self->deliver_late(request)) ++late;
        return WireProxy::Verdict::kPass;
      },
      [&](WireProxy::Exchange& e) {
        if (e.name != "update" || e.collection != "migrationlogs" || e.statements != 2) return false;
        std::lock_guard lock(mutex);
        if (!held.empty()) return false;
        held = *e.request;
        return true;  // `reply` left empty: the connection is lost, the server has not seen it
      });
  self = &proxy;

  ProcessResult run = cli({"up", "--dir", dir(), "--uri",
                           server().uri_via(proxy.port(), db(),
                                            "serverSelectionTimeoutMS=2000&connectTimeoutMS=2000&"
                                            "directConnection=true&retryWrites=false")},
                          bounded(), /*with_defaults=*/false);
  ASSERT_EQ(late.load(), 1) << "the kept-back command reached the server after the read-back\n" << describe(run);
  EXPECT_EQ(run.exit_code, 0) << describe(run);
  for (int n = 1; n <= kCount; ++n) {
    EXPECT_EQ(log_status(probe(), migration_name(n)), "applied") << migration_name(n);
    EXPECT_EQ(counter(probe(), n), 1) << migration_name(n) << " ran once";
    EXPECT_EQ(probe().count("migrationlogs_events", R"({"action": "applied", "name": ")" + migration_name(n) + "\"}"),
              1)
        << migration_name(n) << ": one event";
  }
  EXPECT_EQ(probe().count("migrationlogs"), kCount) << "one record each";
  EXPECT_EQ(probe().count("migrationlogs", R"({"lockOwner": {"$exists": true}})"), 0) << "no claim is left";
  EXPECT_EQ(lock_leftovers(probe()), 0) << "the lock was released";
}

INSTANTIATE_TEST_SUITE_P(Writes, LostOutcomeReplyTest,
                         ::testing::Values(Case{Write::kOutcomeAndNext, Fault::kReplyLost},
                                           Case{Write::kLastOutcome, Fault::kReplyLost},
                                           Case{Write::kRevertOutcome, Fault::kReplyLost},
                                           Case{Write::kOutcomeAndNext, Fault::kRequestLost},
                                           Case{Write::kLastOutcome, Fault::kRequestLost},
                                           Case{Write::kRevertOutcome, Fault::kRequestLost}),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           const Write w = info.param.write;
                           return std::string(w == Write::kOutcomeAndNext ? "OutcomeAndNextClaim"
                                              : w == Write::kLastOutcome  ? "LastOutcome"
                                                                          : "RevertOutcome") +
                                  (info.param.fault == Fault::kReplyLost ? "ReplyLost" : "RequestLost");
                         });

class UnconfirmedRevertClaimTest : public ProxiedTest, public ::testing::WithParamInterface<Fault> {};

TEST_P(UnconfirmedRevertClaimTest, TheClaimIsGivenBackAndTheNextRunFinishes) {
  SKIP_UNLESS_PROXIABLE();
  write_migration("001-a.json", insert_migration("a"));
  write_migration("002-b.json", insert_migration("b"));
  ProcessResult up = cli({"up"}, bounded());
  ASSERT_EQ(up.exit_code, 0) << describe(up);
  const std::vector<std::string> log_before = probe().find("migrationlogs");
  start_proxy(Write::kRevertClaim, GetParam());

  ProcessResult faulted = via_proxy({"down"});
  ASSERT_EQ(faults_.load(), 1) << "the proxy saw the write it was to fault\n" << describe(faulted);
  EXPECT_EQ(faulted.exit_code, 3) << describe(faulted);
  EXPECT_TRUE(contains(faulted.err, "002-b.json was not started, and no claim of this runner's is left on its record")) << describe(faulted);
  EXPECT_EQ(probe().find("migrationlogs"), log_before) << "both records as they were: applied, no runner";
  EXPECT_EQ(probe().count("things", R"({"_id": "b"})"), 1) << "its down did not run";
  EXPECT_EQ(lock_leftovers(probe()), 0) << "the lock was released";

  ProcessResult down = cli({"down"}, bounded());
  ASSERT_EQ(down.exit_code, 0) << describe(down);
  EXPECT_EQ(log_status(probe(), "002-b.json"), "reverted");
  EXPECT_EQ(log_status(probe(), "001-a.json"), "applied");
  EXPECT_EQ(probe().count("things", R"({"_id": "b"})"), 0);
}

INSTANTIATE_TEST_SUITE_P(Faults, UnconfirmedRevertClaimTest,
                         ::testing::Values(Fault::kReplyLost, Fault::kWriteConcernError),
                         [](const ::testing::TestParamInfo<Fault>& info) {
                           return info.param == Fault::kReplyLost ? "ReplyLost" : "WriteConcernError";
                         });

}  // namespace
}  // namespace mongomigrate::testing

namespace mongomigrate::testing {
namespace {

class UnconfirmedLockTest : public ProxiedTest {
 protected:
  // `up` of one migration through the proxy, the first `write` faulted with
  // `fault`: the proxy saw it, and the run exits 3.
  ProcessResult faulted_up(Write write, Fault fault) {
    write_migration(migration_name(1), counter_migration(1));
    start_proxy(write, fault);
    ProcessResult faulted = via_proxy({"up"});
    EXPECT_EQ(faults_.load(), 1) << describe(faulted);
    EXPECT_EQ(faulted.exit_code, 3) << describe(faulted);
    return faulted;
  }
};

// The lease insert reaches the server but is not confirmed: the runner
// deletes it again, so that no other runner waits for a lock nobody holds.
TEST_F(UnconfirmedLockTest, ALeaseTakenButNotConfirmedIsGivenBack) {
  SKIP_UNLESS_PROXIABLE();
  ProcessResult faulted = faulted_up(Write::kLockInsert, Fault::kWriteConcernError);
  EXPECT_TRUE(contains(faulted.err, "cannot take the migration lock: waiting for replication timed out; the server "
                                    "had taken it, and it was given back"))
      << describe(faulted);
  EXPECT_EQ(lock_leftovers(probe()), 0);
  EXPECT_EQ(probe().count("migrationlogs"), 0) << "nothing ran";
  EXPECT_EQ(counter(probe(), 1), 0);

  ProcessResult up = cli({"up", "--lock-timeout", "0s"}, bounded());
  EXPECT_EQ(up.exit_code, 0) << "the lock is free at once\n" << describe(up);
  EXPECT_EQ(counter(probe(), 1), 1);
}

// A lease write the server refused took nothing: reported as it is, with
// nothing given back (the server was not asked to write, or said no).
TEST_F(UnconfirmedLockTest, ARefusedLeaseWriteIsReportedAsItIs) {
  SKIP_UNLESS_PROXIABLE();
  ProcessResult faulted = faulted_up(Write::kLockInsert, Fault::kRefused);
  EXPECT_TRUE(contains(faulted.err, "cannot take the migration lock: not authorized on this database")) << describe(faulted);
  EXPECT_FALSE(contains(faulted.err, "given back")) << describe(faulted);
  EXPECT_FALSE(contains(faulted.err, "giving it back")) << describe(faulted);
  // The real server did take the lease (only the reply the proxy rewrote
  // says no): still there, so no delete was tried.
  EXPECT_EQ(lock_leftovers(probe()), 1);
}

// A server without retryable writes (Amazon DocumentDB) refuses the first
// write: the error says what to change in the URI.
TEST_F(UnconfirmedLockTest, AServerWithoutRetryableWritesGetsTheFixNamed) {
  SKIP_UNLESS_PROXIABLE();
  ProcessResult faulted = faulted_up(Write::kLockInsert, Fault::kRetryableWritesOff);
  EXPECT_TRUE(contains(faulted.err, "Retryable writes are not supported; this server does not support retryable "
                                    "writes (Amazon DocumentDB): add retryWrites=false to the URI"))
      << describe(faulted);
  EXPECT_EQ(std::count(faulted.err.begin(), faulted.err.end(), '\n'), 1) << "one line";
}

// A replica set that confirms nothing: the claim's give-back gets a write
// concern error too, and the message says what holds either way.
TEST_F(UnconfirmedLockTest, AGiveBackWithoutAClearAnswerSaysWhatHoldsEitherWay) {
  SKIP_UNLESS_PROXIABLE();
  write_migration(migration_name(1), counter_migration(1));
  start_proxy(Write::kEveryLogWrite, Fault::kWriteConcernError);
  ProcessResult faulted = via_proxy({"up"});
  EXPECT_EQ(faulted.exit_code, 3) << describe(faulted);
  EXPECT_TRUE(contains(faulted.err, "001-step.json was not started, and giving its claim back got no clear answer "
                                    "either (cannot give back the claim of 001-step.json: waiting for replication "
                                    "timed out): if its record says running, nothing of it ran (`run "
                                    "001-step.json` starts it)"))
      << describe(faulted);
  EXPECT_EQ(probe().count("migrationlogs"), 0) << "both writes were applied, only not confirmed";
  EXPECT_EQ(counter(probe(), 1), 0);
  EXPECT_EQ(lock_leftovers(probe()), 0);
}

// The lease cannot be released after the migrations ran: the work is done
// and recorded and the lease expires by itself, so the run keeps its own
// report and exit code (0 when all applied, 1 when one failed; not 3, which
// a deploy script reads as "not migrated"), and a warning says what is left.
TEST_F(UnconfirmedLockTest, ALeaseThatCannotBeReleasedIsAWarningAndTheRunKeepsItsOutcome) {
  SKIP_UNLESS_PROXIABLE();
  for (int n = 1; n <= 2; ++n) write_migration(migration_name(n), counter_migration(n));
  start_proxy(Write::kLockRelease, Fault::kRefused);
  ProcessResult applied = via_proxy({"up", "--json"});
  ASSERT_EQ(faults_.load(), 1) << describe(applied);
  EXPECT_EQ(applied.exit_code, 0) << describe(applied);
  EXPECT_TRUE(contains(applied.err, "warning: cannot release the migration lock: not authorized on this database; "
                                    "the work itself finished and is recorded, and the lease expires by itself "
                                    "within 60 s"))
      << describe(applied);
  EXPECT_TRUE(contains(applied.out, R"("ok":true)")) << describe(applied);
  EXPECT_TRUE(contains(applied.out, R"("name":")" + migration_name(2) + R"(","outcome":"applied")"))
      << "the report is kept\n" << describe(applied);
  for (int n = 1; n <= 2; ++n) EXPECT_EQ(log_status(probe(), migration_name(n)), "applied");

  // A failed migration keeps its exit code too. (The real server did
  // delete the lease: only the reply the proxy rewrote says no.)
  write_migration(migration_name(3), R"({"up": [{"insert": "things", "documents": [{"_id": 1}, {"_id": 1}]}]})");
  faults_ = 0;
  ProcessResult failed = via_proxy({"up"});
  ASSERT_EQ(faults_.load(), 1) << describe(failed);
  EXPECT_EQ(failed.exit_code, 1) << describe(failed);
  EXPECT_TRUE(contains(failed.err, "warning: cannot release the migration lock")) << describe(failed);
  EXPECT_EQ(log_status(probe(), migration_name(3)), "failed");
}

// Every tracking write asks a majority to confirm it within 30 s: on a
// replica set that cannot reach a majority, a write concern error after
// 30 s, not a wait without end.
TEST_F(UnconfirmedLockTest, EveryTrackingWriteAsksForAMajorityWithATimeout) {
  SKIP_UNLESS_PROXIABLE();
  write_migration("001-a.json", insert_migration("a"));
  write_migration("002-b.json", insert_migration("b"));
  start_proxy(Write::kLockInsert, Fault::kReplyLost);
  faults_ = 1;  // no fault: only watch
  ProcessResult up = via_proxy({"up"});
  ASSERT_EQ(up.exit_code, 0) << describe(up);
  ProcessResult down = via_proxy({"down"});
  ASSERT_EQ(down.exit_code, 0) << describe(down);

  std::lock_guard lock(mutex_);
  for (const char* expected : {"insert migrationlogs_lock", "update migrationlogs", "insert migrationlogs_events",
                               "delete migrationlogs_lock"}) {
    EXPECT_TRUE(std::ranges::any_of(tracking_writes_, [&](const std::string& w) { return w.starts_with(expected); }))
        << expected << " was seen";
  }
  for (const std::string& w : tracking_writes_) {
    EXPECT_TRUE(contains(w, R"({ "w" : "majority", "wtimeout" : 30000 })")) << w;
  }
}

// `unlock --force` deletes a lock document of an unknown shape as it read
// it: if, between its read and its delete, the document went (another
// `unlock --force`) and a runner took the lease under the same `_id`, that
// live lease stays. The proxy makes that happen as the delete goes by.
TEST_F(UnconfirmedLockTest, UnlockForceDeletesAnUnknownDocumentOnlyAsItReadIt) {
  SKIP_UNLESS_PROXIABLE();
  probe().insert(kLockCollection, R"({"_id": "lease", "note": "written by hand"})");
  std::atomic<int> swapped = 0;
  proxy_ = std::make_unique<WireProxy>(
      server().proxiable_address(nullptr).value(), [](WireProxy::Exchange&) { return WireProxy::Verdict::kPass; },
      [&](WireProxy::Exchange& e) {
        if (e.name != "delete" || e.collection != kLockCollection || swapped.exchange(1) != 0) return false;
        DbProbe meanwhile(uri(), db());  // the other unlock, then a runner taking the lease
        meanwhile.command(R"({"delete": "migrationlogs_lock", "deletes": [{"q": {}, "limit": 0}]})");
        write_lease(meanwhile, {});
        return false;  // the delete goes on to the server
      });
  ProcessResult unlock = via_proxy({"unlock", "--force"});
  EXPECT_EQ(swapped.load(), 1) << describe(unlock);
  EXPECT_EQ(unlock.exit_code, 1) << describe(unlock);
  EXPECT_TRUE(contains(unlock.err, "the migration lock changed while unlocking")) << describe(unlock);
  EXPECT_EQ(lease_field(probe(), "owner"), "elsewhere:4242:0badc0de") << "the live lease is not the document read";
}

class ProxiedConnectionTest : public ProxiedTest {};

// The URI's appName is what the server sees (a team tells its deploys
// apart by it); without one, "mongo-migrate".
TEST_F(ProxiedConnectionTest, TheUrisAppNameIsKept) {
  SKIP_UNLESS_PROXIABLE();
  std::mutex mutex;
  std::vector<std::string> names;
  proxy_ = std::make_unique<WireProxy>(
      server().proxiable_address(nullptr).value(), [](WireProxy::Exchange&) { return WireProxy::Verdict::kPass; },
      [&](WireProxy::Exchange& e) {
        bson_iter_t it;
        if (bson_iter_init(&it, e.command) && bson_iter_find_descendant(&it, "client.application.name", &it) &&
            BSON_ITER_HOLDS_UTF8(&it)) {
          std::lock_guard lock(mutex);
          names.emplace_back(bson_iter_utf8(&it, nullptr));
        }
        return false;
      });
  for (const char* query : {"appName=deploy-bot&", ""}) {
    std::string uri = server().uri_via(proxy_->port(), db(),
                                       std::string(query) + "serverSelectionTimeoutMS=2000&directConnection=true");
    ProcessResult status = cli({"status", "--uri", uri, "--dir", dir()}, bounded(), /*with_defaults=*/false);
    EXPECT_EQ(status.exit_code, 0) << describe(status);
    std::lock_guard lock(mutex);
    ASSERT_FALSE(names.empty()) << "the handshake names the application";
    EXPECT_EQ(names.back(), *query ? "deploy-bot" : "mongo-migrate");
    names.clear();
  }
}

// baseline's many-record insert all landed, but a replica set could not
// confirm it (a write concern error): the records are there, so each gets
// its event (a second baseline skips recorded names and would never write
// them), and the run says so and exits 3.
TEST_F(ProxiedConnectionTest, ABaselineInsertNotConfirmedStillGetsItsEvents) {
  SKIP_UNLESS_PROXIABLE();
  for (int n = 1; n <= 3; ++n) write_migration(migration_name(n), counter_migration(n));
  start_proxy(Write::kClaimInsert, Fault::kWriteConcernError);
  ProcessResult baseline = via_proxy({"baseline", migration_name(3)});
  ASSERT_EQ(faults_.load(), 1) << describe(baseline);
  EXPECT_EQ(baseline.exit_code, 3) << describe(baseline);
  EXPECT_TRUE(contains(baseline.err, "3 of 3 recorded applied, not confirmed")) << describe(baseline);
  EXPECT_TRUE(contains(baseline.err, "; 3 migration(s) baselined")) << describe(baseline);
  EXPECT_EQ(probe().count("migrationlogs", R"({"status": "applied"})"), 3);
  EXPECT_EQ(probe().count("migrationlogs_events", R"({"action": "baselined"})"), 3) << "each record has its event";
  for (int n = 1; n <= 3; ++n) EXPECT_EQ(counter(probe(), n), 0) << "baseline runs nothing";
}

}  // namespace
}  // namespace mongomigrate::testing
