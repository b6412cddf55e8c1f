// The lock session of every writing operation (DESIGN.md §5): take the lease,
// keep it renewed while the body runs, stop when it is lost, release it.
#include <fmt/format.h>

#include "migrator_impl.h"

namespace mongomigrate {

Result<std::optional<std::string>> LockSession::why_lost() {
  if (keeper_.lost()) return keeper_.lost_reason();
  auto ours = keeper_.still_held();
  if (!ours) return std::unexpected(ours.error());
  if (*ours) return std::optional<std::string>();
  return std::optional<std::string>("taken over or cleared by another process");
}

Result<void> LockSession::still_ours(const std::string& before) {
  auto why = why_lost();
  if (!why) return std::unexpected(why.error());
  if (!*why) return {};
  return std::unexpected(
      Error{ErrorKind::kLockLost, fmt::format("stopped before {}: the migration lock was lost ({})", before, **why)});
}

Error LockSession::explain_refusal(Error refusal) {
  if (refusal.kind != ErrorKind::kRefused) return refusal;
  auto why = why_lost();
  if (!why || !*why) return refusal;
  return Error{ErrorKind::kLockLost, fmt::format("{} (the migration lock was lost: {})", refusal.message, **why)};
}

std::future<Result<void>> LockSession::check_async() {
  // Deferred: the caller's get() turns the renewal thread's answer into why.
  return std::async(std::launch::deferred, [this, held = keeper_.check_held()]() mutable -> Result<void> {
    auto ours = held.get();
    if (!ours) return std::unexpected(ours.error());
    if (*ours) return {};
    return std::unexpected(Error{ErrorKind::kLockLost, keeper_.lost() ? keeper_.lost_reason()
                                                                      : "taken over or cleared by another process"});
  });
}

Result<std::unique_ptr<runner::LeaseKeeper>> Migrator::Impl::take_lock(const std::string& by) {
  if (auto server = check_server(); !server) return std::unexpected(server.error());
  // Before the lock is written: a log that is another tool's is refused.
  if (auto ours = log().check_ours(); !ours) return std::unexpected(ours.error());
  runner::RunnerIdentity me = runner::RunnerIdentity::current(by);
  LeaseHolder identity{.owner = "", .host = me.host, .pid = me.pid, .user = me.actor};
  return runner::LeaseKeeper::acquire(lock(), seams.open_lock, std::move(identity), options.lock,
                                      options.on_lock_wait, options.stop);
}

runner::Runner Migrator::Impl::make_runner(const std::string& actor, LockSession& session, runner::RunnerHooks hooks,
                                           bool background_events) {
  hooks.stop = options.stop;
  hooks.lease_lost = [&session] { return session.lost(); };
  // With each claim, before the first command: the lease must still be
  // ours (a runner paused past it must not run what it just claimed).
  auto check = [&session] { return session.check_async(); };
  return runner::Runner(*seams.target, log(), runner::RunnerIdentity::current(actor), session.owner(),
                        std::move(hooks), std::move(check),
                        background_events ? seams.open_events : runner::EventSender::StoreOpener{});
}

Error Migrator::Impl::lease_lost(const std::string& name, const std::string& why, const std::string& by,
                                 std::size_t applied_in_run, bool started) {
  (void)record_event(name, "stopped", by, "lease lost: " + why);
  return Error{ErrorKind::kLockLost,
               fmt::format("stopped {} {}: the migration lock was lost ({}); {} migration(s) applied in this run",
                           started ? "at" : "before", name, why, applied_in_run)};
}

}  // namespace mongomigrate
