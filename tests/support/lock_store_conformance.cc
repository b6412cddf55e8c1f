#include "support/lock_store_conformance.h"

#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <thread>
#include <vector>

namespace mongomigrate::testing {
namespace {

// `owner`'s lease from the store's clock now, for `lease_ms`.
LeaseHolder lease(store::LockStore& s, const std::string& owner, TimestampMs lease_ms = 60'000) {
  auto now = s.now();
  EXPECT_TRUE(now) << now.error().message;
  TimestampMs at = now ? *now : 0;
  return LeaseHolder{.owner = owner, .host = "host-" + owner, .pid = 1, .user = "user-" + owner,
                     .acquired_at = at, .expires_at = at + lease_ms};
}

std::string owner_of(store::LockStore& s) {
  auto state = s.read();
  if (!state) return "error: " + state.error().message;
  return state->holder ? state->holder->owner : "";
}

bool acquire(store::LockStore& s, const LeaseHolder& h) {
  auto taken = s.try_acquire(h);
  EXPECT_TRUE(taken) << taken.error().message;
  return taken && *taken;
}

}  // namespace

void check_acquire_and_held(LockStoreHarness& h) {
  auto a = h.open();
  auto b = h.open();
  EXPECT_EQ(owner_of(*a), "") << "a new lock is free";
  LeaseHolder lease_a = lease(*a, "a");
  ASSERT_TRUE(acquire(*a, lease_a));
  EXPECT_FALSE(acquire(*b, lease(*b, "b"))) << "a live lease is held";
  auto state = b->read();
  ASSERT_TRUE(state && state->holder);
  EXPECT_EQ(state->holder->owner, "a");
  EXPECT_EQ(state->holder->host, "host-a");
  EXPECT_EQ(state->holder->user, "user-a");
  EXPECT_EQ(state->holder->pid, 1);
  EXPECT_EQ(state->holder->expires_at, lease_a.expires_at);
  EXPECT_TRUE(state->unknown.empty());
  EXPECT_TRUE(*a->holds(lease_a));
  EXPECT_FALSE(*b->holds(lease(*b, "b")));
  ASSERT_TRUE(a->release(lease_a));
  EXPECT_EQ(owner_of(*b), "") << "released: free";
  EXPECT_TRUE(acquire(*b, lease(*b, "b"))) << "and free to take";
}

void check_takeover_of_an_expired_lease(LockStoreHarness& h) {
  auto a = h.open();
  auto b = h.open();
  // Both connected and the lock's collection made first, so that the 2 s
  // lease is not spent on that (a new collection is slow on DocumentDB).
  ASSERT_TRUE(acquire(*b, lease(*b, "b")));
  ASSERT_TRUE(b->release(lease(*b, "b")));
  LeaseHolder lease_a = lease(*a, "a", 2'000);
  ASSERT_TRUE(acquire(*a, lease_a));
  EXPECT_FALSE(acquire(*b, lease(*b, "b"))) << "not expired yet";
  h.wait(2'500);
  LeaseHolder lease_b = lease(*b, "b");
  ASSERT_TRUE(acquire(*b, lease_b)) << "expired: taken over";
  EXPECT_EQ(owner_of(*a), "b");
  EXPECT_FALSE(*a->holds(lease_a));
  EXPECT_TRUE(*b->holds(lease_b));
  auto state = a->read();
  ASSERT_TRUE(state && state->holder);
  EXPECT_EQ(state->holder->expires_at, lease_b.expires_at) << "the new holder's lease, whole";
  EXPECT_EQ(state->holder->host, "host-b");
}

void check_renew_of_a_lease_taken_over_is_lost(LockStoreHarness& h) {
  auto a = h.open();
  auto b = h.open();
  LeaseHolder lease_a = lease(*a, "a", 200);
  ASSERT_TRUE(acquire(*a, lease_a));
  auto renewed = a->renew(lease_a, lease_a.expires_at + 100);
  ASSERT_TRUE(renewed) << renewed.error().message;
  EXPECT_TRUE(*renewed) << "ours: renewed";
  h.wait(500);
  LeaseHolder lease_b = lease(*b, "b");
  ASSERT_TRUE(acquire(*b, lease_b));
  renewed = a->renew(lease_a, lease_b.expires_at + 60'000);
  ASSERT_TRUE(renewed) << renewed.error().message;
  EXPECT_FALSE(*renewed) << "taken over: the renewal is lost";
  auto state = b->read();
  ASSERT_TRUE(state && state->holder);
  EXPECT_EQ(state->holder->owner, "b");
  EXPECT_EQ(state->holder->expires_at, lease_b.expires_at) << "and wrote nothing";
}

void check_release_by_a_non_owner_does_nothing(LockStoreHarness& h) {
  auto a = h.open();
  auto b = h.open();
  LeaseHolder lease_a = lease(*a, "a");
  ASSERT_TRUE(acquire(*a, lease_a));
  ASSERT_TRUE(b->release(lease(*b, "b")));
  EXPECT_EQ(owner_of(*a), "a") << "b released nothing of a's";
  EXPECT_TRUE(*a->holds(lease_a));
  ASSERT_TRUE(a->release(lease_a));
  ASSERT_TRUE(a->release(lease_a)) << "releasing twice is fine";
  EXPECT_EQ(owner_of(*a), "");
}

void check_clear_ends_only_the_lease_it_was_shown(LockStoreHarness& h) {
  auto a = h.open();
  auto b = h.open();
  LeaseHolder lease_a = lease(*a, "a");
  ASSERT_TRUE(acquire(*a, lease_a));
  EXPECT_FALSE(*b->clear(lease(*b, "someone-else"))) << "not the lease it was shown";
  EXPECT_EQ(owner_of(*b), "a");
  auto state = b->read();
  ASSERT_TRUE(state && state->holder);
  // Renewed after it was read (an `unlock` that saw it expired, and a
  // renewer that came back): live again, not cleared.
  ASSERT_TRUE(*a->renew(lease_a, lease_a.expires_at + 1000));
  EXPECT_FALSE(*b->clear(*state->holder)) << "renewed since it was read";
  EXPECT_EQ(owner_of(*b), "a");
  state = b->read();
  ASSERT_TRUE(state && state->holder);
  EXPECT_TRUE(*b->clear(*state->holder));
  EXPECT_EQ(owner_of(*b), "");
  EXPECT_FALSE(*a->holds(lease_a)) << "a cleared lease is lost to its holder";
  EXPECT_FALSE(*a->renew(lease_a, lease_a.expires_at + 1000));
  EXPECT_EQ(owner_of(*b), "") << "and its renewal does not bring it back";
}

void check_unknown_shape_blocks_until_cleared(LockStoreHarness& h) {
  auto a = h.open();
  h.write_unknown_shape();
  auto state = a->read();
  ASSERT_TRUE(state) << state.error().message;
  EXPECT_FALSE(state->holder.has_value());
  EXPECT_EQ(state->unknown.size(), 1u);
  h.wait(50);
  EXPECT_FALSE(acquire(*a, lease(*a, "a"))) << "a document of an unknown shape is never taken over";
  ASSERT_TRUE(a->clear_unknown());
  state = a->read();
  ASSERT_TRUE(state);
  EXPECT_TRUE(state->unknown.empty());
  EXPECT_TRUE(acquire(*a, lease(*a, "a")));
}

void check_a_stray_document_is_reported_and_blocks_nothing(LockStoreHarness& h) {
  auto a = h.open();
  h.write_stray();
  LeaseHolder lease_a = lease(*a, "a");
  EXPECT_TRUE(acquire(*a, lease_a)) << "only a lease document of an unknown shape is in the way";
  auto state = a->read();
  ASSERT_TRUE(state) << state.error().message;
  EXPECT_EQ(state->unknown.size(), 1u) << "reported all the same";
  ASSERT_TRUE(state->holder.has_value());
  EXPECT_EQ(state->holder->owner, lease_a.owner);
  ASSERT_TRUE(a->clear_unknown());
  state = a->read();
  ASSERT_TRUE(state);
  EXPECT_TRUE(state->unknown.empty());
  EXPECT_TRUE(*a->holds(lease_a)) << "clearing what is unknown leaves the lease";
}

void check_exactly_one_of_many_racing_runners_wins(LockStoreHarness& h) {
  constexpr int kRunners = 6;
  constexpr int kRounds = 10;
  std::vector<std::unique_ptr<store::LockStore>> stores;
  for (int i = 0; i < kRunners; ++i) stores.push_back(h.open());
  for (int round = 0; round < kRounds; ++round) {
    // Odd rounds race for an expired lease, even ones for a free lock.
    if (round % 2 == 1) {
      ASSERT_TRUE(acquire(*stores[0], lease(*stores[0], "gone-" + std::to_string(round), 50)));
      h.wait(150);
    }
    std::atomic<int> winners{0};
    std::vector<LeaseHolder> leases(kRunners);
    std::barrier start(kRunners);
    {
      std::vector<std::jthread> runners;
      for (int i = 0; i < kRunners; ++i) {
        leases[i] = lease(*stores[i], "r" + std::to_string(round) + "-" + std::to_string(i));
        runners.emplace_back([&, i] {
          start.arrive_and_wait();
          auto taken = stores[i]->try_acquire(leases[i]);
          if (taken && *taken) ++winners;
        });
      }
    }
    ASSERT_EQ(winners.load(), 1) << "round " << round;
    std::string owner = owner_of(*stores[0]);
    EXPECT_TRUE(owner.starts_with("r" + std::to_string(round) + "-")) << owner;
    for (int i = 0; i < kRunners; ++i) {
      if (leases[i].owner == owner) {
        ASSERT_TRUE(stores[i]->release(leases[i]));
      }
    }
    EXPECT_EQ(owner_of(*stores[0]), "");
  }
}

}  // namespace mongomigrate::testing
