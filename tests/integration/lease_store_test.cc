// The lease's epochs (mongo/lease_store.h) against a real server: of runners
// racing for an expired lease exactly one wins, a renewal racing a takeover
// never wins the lease back (FerretDB v1 on SQLite does not make an update
// atomic, its issue #3040, so a takeover that was an update could be written
// over), and a lease once released or cleared never returns to its old
// holder.
#include "mongo/lease_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/time_format.h"
#include "mongo/tracking_store.h"
#include "runner/journal_writer.h"
#include "support/integration.h"
#include "support/lock_docs.h"

namespace mongomigrate::testing {
namespace {

using namespace std::chrono_literals;

class LeaseStoreTest : public IntegrationTest {
 protected:
  mongo::Client open_client() {
    auto client = mongo::Client::open(uri(), db());
    if (!client) throw std::runtime_error(client.error().message);
    return std::move(*client);
  }

  static LeaseHolder holder(const std::string& owner, TimestampMs now, std::int64_t lease_ms = 60'000) {
    return LeaseHolder{.owner = owner, .host = "host-" + owner, .pid = 1, .user = "user-" + owner,
                       .acquired_at = now, .expires_at = now + lease_ms};
  }

  // Two runners "a" and "b", each with a connection of its own.
  struct TwoRunners {
    explicit TwoRunners(LeaseStoreTest& test)
        : a_client(test.open_client()), b_client(test.open_client()), a(a_client, kLockCollection),
          b(b_client, kLockCollection) {}
    mongo::Client a_client, b_client;
    mongo::LeaseStore a, b;
  };

  static std::string owner_of(mongo::LeaseStore& store) {
    auto current = store.current();
    if (!current) return "error: " + current.error().message;
    return *current ? (*current)->owner : "";
  }
};

TEST_F(LeaseStoreTest, ExactlyOneOfManyRunnersRacingForAnExpiredLeaseTakesIt) {
  constexpr int kRunners = 6;
  constexpr int kRounds = 15;
  std::vector<mongo::Client> clients;
  for (int i = 0; i < kRunners; ++i) clients.push_back(open_client());
  for (int round = 0; round < kRounds; ++round) {
    // The holder of the previous round is long expired.
    insert_lease(probe(), {.owner = "gone:" + std::to_string(round),
                           .expires_at = std::chrono::system_clock::now() - 1s});
    std::atomic<int> winners{0};
    std::vector<std::string> errors(kRunners);
    std::barrier start(kRunners);
    std::vector<std::jthread> runners;
    for (int i = 0; i < kRunners; ++i) {
      runners.emplace_back([&, i] {
        mongo::LeaseStore store(clients[i], kLockCollection);
        start.arrive_and_wait();
        LeaseHolder me = holder("r" + std::to_string(round) + "-" + std::to_string(i), core::now_ms());
        auto taken = store.try_acquire(me);
        if (!taken) {
          errors[i] = taken.error().message;
        } else if (*taken) {
          ++winners;
        }
      });
    }
    runners.clear();
    for (const std::string& e : errors) EXPECT_EQ(e, "") << "round " << round;
    ASSERT_EQ(winners.load(), 1) << "round " << round;
    mongo::Client reader = open_client();
    mongo::LeaseStore store(reader, kLockCollection);
    EXPECT_TRUE(owner_of(store).starts_with("r" + std::to_string(round) + "-")) << owner_of(store);
    EXPECT_EQ(lock_leftovers(probe()), 1) << "the older epochs are deleted";
  }
}

// Runners taking the lease in turns, as pods running `up` one after the
// other do: whoever takes it is the latest epoch's holder until it releases.
// A runner slow between reading the latest epoch and inserting the next
// inserts a number taken and pruned meanwhile: before try_acquire read the
// latest again after its insert, this failed about 20 times a run.
TEST_F(LeaseStoreTest, RunnersTakingTheLeaseInTurnsNeverHoldItTogether) {
  constexpr int kRunners = 3;
  constexpr int kTurns = 40;
  std::vector<mongo::Client> clients;
  for (int i = 0; i < kRunners; ++i) clients.push_back(open_client());
  std::atomic<int> holding{0};
  std::mutex problems_mutex;
  std::vector<std::string> problems;
  auto problem = [&](std::string what) {
    std::lock_guard lock(problems_mutex);
    problems.push_back(std::move(what));
  };
  std::vector<std::jthread> runners;
  for (int i = 0; i < kRunners; ++i) {
    runners.emplace_back([&, i] {
      mongo::LeaseStore store(clients[i], kLockCollection);
      for (int turn = 0; turn < kTurns; ++turn) {
        const std::string name = "r" + std::to_string(i) + "-" + std::to_string(turn);
        LeaseHolder me;
        while (true) {
          me = holder(name, core::now_ms());
          auto taken = store.try_acquire(me);
          if (!taken) return problem(taken.error().message);
          if (*taken) break;
        }
        if (holding.fetch_add(1) != 0) problem(name + " took the lease while another held it");
        if (std::string owner = owner_of(store); owner != name) {
          problem(name + " took it, but it is " + owner + "'s");
        }
        if (auto ours = store.holds(me); !ours || !*ours) problem(name + " took it, but holds() says no");
        holding.fetch_sub(1);
        if (auto released = store.release(me); !released) return problem(released.error().message);
      }
    });
  }
  runners.clear();
  EXPECT_TRUE(problems.empty()) << problems.size() << " problems, first: " << problems.front();
  EXPECT_EQ(owner_of(*std::make_unique<mongo::LeaseStore>(clients[0], kLockCollection)), "");
}

TEST_F(LeaseStoreTest, ARenewalRacingATakeoverNeverWinsTheLeaseBack) {
  mongo::Client holder_client = open_client();
  mongo::Client thief_client = open_client();
  mongo::LeaseStore holder_store(holder_client, kLockCollection);
  mongo::LeaseStore thief_store(thief_client, kLockCollection);
  for (int round = 0; round < 10; ++round) {
    const std::string victim = "victim-" + std::to_string(round);
    const std::string thief = "thief-" + std::to_string(round);
    LeaseHolder victim_lease = holder(victim, core::now_ms(), -1000);
    ASSERT_TRUE(*holder_store.try_acquire(victim_lease));
    // The victim's lease is taken expired, and it renews as fast as it can,
    // but always to a time already past: expired all along, as for a runner
    // paused past its lease whose renewal thread wakes as it is taken over.
    std::atomic<bool> taken_over{false};
    std::atomic<int> renewed_after_takeover{0};
    std::string renew_error;
    // (A jthread asks its function to stop, then joins, when it goes: also
    // when an assertion below returns early.)
    std::jthread renewer([&](std::stop_token stop) {
      while (!stop.stop_requested()) {
        bool after = taken_over.load();
        auto renewed = holder_store.renew(victim_lease, core::now_ms() - 1000);
        if (!renewed) {
          renew_error = renewed.error().message;
          return;
        }
        if (after && *renewed) ++renewed_after_takeover;
      }
    });
    std::this_thread::sleep_for(20ms);
    LeaseHolder thief_lease = holder(thief, core::now_ms());
    auto taken = thief_store.try_acquire(thief_lease);
    ASSERT_TRUE(taken) << taken.error().message;
    ASSERT_TRUE(*taken) << "the victim's lease has expired";
    taken_over = true;
    // Renewals keep racing the takeover for a while; none may undo it.
    for (int look = 0; look < 20; ++look) {
      std::this_thread::sleep_for(5ms);
      EXPECT_EQ(owner_of(thief_store), thief) << "round " << round << ", look " << look;
    }
    renewer.request_stop();
    renewer.join();
    EXPECT_EQ(renew_error, "");
    EXPECT_EQ(renewed_after_takeover.load(), 0) << "a renewal after the takeover said the lease was still ours";
    EXPECT_FALSE(*holder_store.holds(victim_lease));
    EXPECT_TRUE(*thief_store.holds(thief_lease));
    ASSERT_TRUE(thief_store.release(thief_lease));
  }
}

// A renewal lives in a document of its own ("expiry:<epoch>"): the epoch's
// document is only inserted and deleted, and what every reader and acquirer
// sees is the later of the two expiries.
TEST_F(LeaseStoreTest, ARenewalExtendsTheLeaseWithoutWritingItsEpochDocument) {
  TwoRunners runners(*this);
  mongo::LeaseStore& a = runners.a;
  mongo::LeaseStore& b = runners.b;
  LeaseHolder lease_a = holder("a", core::now_ms(), 300);
  ASSERT_TRUE(*a.try_acquire(lease_a));
  const std::string epoch_document = latest_lease(probe());
  const TimestampMs renewed_to = core::now_ms() + 60'000;
  ASSERT_TRUE(*a.renew(lease_a, renewed_to));
  std::this_thread::sleep_for(400ms);  // past the expiry it was taken with
  LeaseHolder lease_b = holder("b", core::now_ms());
  EXPECT_FALSE(*b.try_acquire(lease_b)) << "renewed: still live";
  auto current = b.current();
  ASSERT_TRUE(current && *current);
  EXPECT_EQ((*current)->owner, "a");
  EXPECT_EQ((*current)->expires_at, renewed_to);
  auto state = b.read();
  ASSERT_TRUE(state && state->holder);
  EXPECT_EQ(state->holder->expires_at, renewed_to);
  EXPECT_EQ(latest_lease(probe()), epoch_document) << "the epoch's own document is as inserted";
  EXPECT_EQ(probe().count(kLockCollection, R"({"_id": {"$gte": "expiry:", "$lt": "expiry;"}})"), 1);

  ASSERT_TRUE(a.release(lease_a));
  EXPECT_EQ(probe().count(kLockCollection), 1) << "the release prunes the epoch and its renewal";
  EXPECT_FALSE(*a.renew(lease_a, renewed_to)) << "released: not ours to renew";
  EXPECT_EQ(probe().count(kLockCollection), 1) << "and nothing is written for it";
}

TEST_F(LeaseStoreTest, AReleasedOrClearedLeaseNeverReturnsToItsOldHolder) {
  TwoRunners runners(*this);
  mongo::LeaseStore& a = runners.a;
  mongo::LeaseStore& b = runners.b;

  LeaseHolder lease_a = holder("a", core::now_ms(), 200);
  ASSERT_TRUE(*a.try_acquire(lease_a));
  EXPECT_TRUE(*a.holds(lease_a));
  LeaseHolder lease_b = holder("b", core::now_ms());
  EXPECT_FALSE(*b.try_acquire(lease_b)) << "a's lease is live";
  EXPECT_EQ(owner_of(b), "a");
  std::this_thread::sleep_for(300ms);
  lease_b = holder("b", core::now_ms());
  ASSERT_TRUE(*b.try_acquire(lease_b)) << "a's lease has expired";
  EXPECT_EQ(owner_of(a), "b");
  EXPECT_FALSE(*a.holds(lease_a)) << "a's epoch is gone";
  EXPECT_FALSE(*a.renew(lease_a, core::now_ms() + 60'000)) << "a's lease was taken over";
  EXPECT_EQ(owner_of(a), "b") << "and its renewal did not take it back";
  ASSERT_TRUE(a.release(lease_a));
  EXPECT_EQ(owner_of(a), "b") << "a releases only a lease of its own";
  EXPECT_TRUE(*b.holds(lease_b));

  ASSERT_TRUE(b.release(lease_b));
  EXPECT_EQ(owner_of(a), "") << "released: free";
  EXPECT_FALSE(*b.holds(lease_b));
  EXPECT_FALSE(*a.renew(lease_a, core::now_ms() + 60'000)) << "a free lease is nobody's";
  EXPECT_FALSE(*b.renew(lease_b, core::now_ms() + 60'000)) << "not even its last holder's";
  EXPECT_EQ(owner_of(a), "");
  EXPECT_EQ(lock_leftovers(probe()), 0) << "only the marker of the release is left";
  EXPECT_EQ(probe().count(kLockCollection), 1);

  LeaseHolder lease_c = holder("c", core::now_ms());
  ASSERT_TRUE(*b.try_acquire(lease_c));
  auto state = a.read();
  ASSERT_TRUE(state) << state.error().message;
  ASSERT_TRUE(state->holder.has_value());
  EXPECT_EQ(state->holder->owner, "c") << "read() sees the latest epoch too";
  EXPECT_EQ(state->holder->epoch, lease_c.epoch);
  EXPECT_EQ(state->epoch, lease_c.epoch);
  EXPECT_FALSE(*a.clear(lease_a)) << "clear() ends only the lease it was shown";
  EXPECT_FALSE(*a.clear(lease_b)) << "nor one released already";
  EXPECT_EQ(owner_of(a), "c");
  EXPECT_TRUE(*a.clear(*state->holder));
  EXPECT_EQ(owner_of(a), "");
  EXPECT_FALSE(*b.holds(lease_c)) << "a cleared lease is lost to its holder";
  EXPECT_FALSE(*b.renew(lease_c, core::now_ms() + 60'000));
  EXPECT_EQ(owner_of(a), "");

  // Five changes of hands (a took it, b took it over, b released it, c took
  // it, c's was cleared), five epochs: the latest is "lease:000000000005",
  // and the older ones are pruned.
  EXPECT_NE(latest_lease(probe()).find("lease:000000000005"), std::string::npos) << latest_lease(probe());
  EXPECT_EQ(probe().count(kLockCollection), 1);
}

// Claims read, moved into the log, then deleted: a migration claimed again
// meanwhile (by whoever took the lease since) keeps its new claim.
TEST_F(LeaseStoreTest, MovingClaimsDeletesOnlyTheClaimsThatWereRead) {
  mongo::Client client = open_client();
  mongo::LeaseStore leases(client, kLockCollection);
  mongo::TrackingStore store(client, "migrationlogs");
  probe().insert(kLockCollection,
                 R"({"_id": "claim:001-a.json", "claimOwner": "gone:1:dead", "running": {"name": "001-a.json"}})");
  probe().insert(kLockCollection, R"({"_id": "claim:002-b.json", "running": {"name": "002-b.json"}})");
  auto read = leases.read();
  ASSERT_TRUE(read) << read.error().message;
  ASSERT_EQ(read->journal.started.size(), 2u);
  // Between that read and the delete, 001 is claimed again by a new holder.
  probe().command(R"({"delete": "migrationlogs_lock", "deletes": [{"q": {"_id": "claim:001-a.json"}, "limit": 1}]})");
  probe().insert(kLockCollection,
                 R"({"_id": "claim:001-a.json", "claimOwner": "new:2:beef", "running": {"name": "001-a.json"}})");
  auto moved = runner::recover_claims(store, leases, read->journal);
  ASSERT_TRUE(moved) << moved.error().message;
  EXPECT_EQ(probe().count(kLockCollection, R"({"_id": "claim:001-a.json", "claimOwner": "new:2:beef"})"), 1)
      << "the new claim stays";
  EXPECT_EQ(probe().count(kLockCollection, R"({"_id": "claim:002-b.json"})"), 0)
      << "the one read (without a claimer) is gone";
  EXPECT_EQ(probe().string_field("migrationlogs", R"({"name": "002-b.json"})", "status"), "running");
}

}  // namespace
}  // namespace mongomigrate::testing
