#include "runner/runner.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "core/exception_text.h"
#include "core/time_format.h"

namespace mongomigrate::runner {
namespace {

std::int64_t elapsed_ms(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start)
      .count();
}

std::string host_name() {
  char buffer[256] = {};
  if (gethostname(buffer, sizeof buffer - 1) != 0) return "unknown-host";
  return buffer;
}

}  // namespace

RunnerIdentity RunnerIdentity::current(std::string actor) {
  return RunnerIdentity{actor.empty() ? default_actor() : std::move(actor), host_name(),
                        static_cast<std::int64_t>(getpid())};
}

Runner::Runner(store::Target& target, store::LogStore& store, RunnerIdentity identity, std::string lock_owner,
               RunnerHooks hooks, LeaseCheck check_lease, EventSender::StoreOpener open_events)
    : target_(target),
      store_(store),
      identity_(std::move(identity)),
      lock_owner_(std::move(lock_owner)),
      hooks_(std::move(hooks)),
      check_lease_(std::move(check_lease)) {
  if (open_events) events_ = std::make_unique<EventSender>(std::move(open_events));
}

Result<void> Runner::finish_events() { return events_ ? events_->finish() : Result<void>{}; }

void Runner::notify(ProgressEvent::Kind kind, const StepReport& step) const {
  if (hooks_.on_progress) hooks_.on_progress(ProgressEvent{kind, step});
}

Result<std::unique_ptr<store::BodyContext>> Runner::open_body(const core::Migration& m, const store::Claim& claim,
                                                              bool down, bool fresh) {
  if (!m.compiled) return std::unique_ptr<store::BodyContext>();
  std::optional<Document> checkpoint;
  if (!down && !fresh) {
    auto saved = store_.load_checkpoint(m.name);
    if (!saved) return std::unexpected(saved.error());
    checkpoint = std::move(*saved);
  }
  if (checkpoint && hooks_.restart) {
    // --restart: the old checkpoint goes before the body runs, so that a
    // restart that fails before its first batch is not resumed from it.
    if (auto cleared = store_.set_metadata(claim, "checkpoint", Value()); !cleared) {
      return std::unexpected(cleared.error());
    }
    checkpoint.reset();
  }
  return target_.open_context(
      {.migration = m, .claim = claim, .log = store_,
       .hooks = {.on_batch = hooks_.on_batch, .on_log = hooks_.on_log, .stop = hooks_.stop},
       .checkpoint = std::move(checkpoint), .save_checkpoints = !down});
}

Result<std::string> Runner::execute(const core::Migration& m, store::BodyContext* body, bool down) {
  if (!body) return run_commands(down ? m.down.value_or(std::vector<core::Command>{}) : m.up);
  std::string failure;
  // The boundary of user code: whatever it throws becomes the recorded error.
  try {
    (down ? m.compiled->down : m.compiled->up)(*body);
  } catch (...) {
    failure = core::current_exception_text();
  }
  if (body->transport_error()) return std::unexpected(*body->transport_error());
  return failure;
}

Error Runner::give_back(Error why, const store::Claim& claim, const store::ClaimRequest& request,
                        std::string_view stays) {
  if (auto back = store_.release_claim(claim, request); !back) {
    why.message += fmt::format(" and {} ({})", stays, back.error().message);
  }
  return why;
}

Result<std::string> Runner::run_commands(const std::vector<core::Command>& commands) {
  for (std::size_t i = 0; i < commands.size(); ++i) {
    if (i > 0 && hooks_.stop && hooks_.stop->load() != 0) {
      return fmt::format("interrupted by signal {} after command {} of {}", hooks_.stop->load(), i,
                         commands.size());
    }
    auto ran = target_.run_migration_command(commands[i]);
    if (ran) continue;
    if (ran.error().kind == ErrorKind::kDatabase) return std::unexpected(ran.error());
    return "command " + std::to_string(i + 1) + " of " + std::to_string(commands.size()) + ": " +
           ran.error().message;
  }
  return std::string();
}

HistoryEvent Runner::event_of(const core::Migration& m, const char* action, std::int64_t duration_ms,
                              const std::string& error) const {
  HistoryEvent event;
  event.name = m.name;
  event.action = action;
  event.at = core::now_ms();
  event.by = identity_.actor;
  event.duration_ms = duration_ms;
  event.error = error;
  event.checksum = m.checksum;
  event.host = identity_.host;
  event.pid = identity_.pid;
  return event;
}

Result<void> Runner::record_event(const core::Migration& m, const char* action, std::int64_t duration_ms,
                                  const std::string& error) {
  if (!events_) return store_.append_event(event_of(m, action, duration_ms, error));
  events_->send(event_of(m, action, duration_ms, error));
  return {};
}

std::future<Result<void>> Runner::start_lease_check() {
  if (check_lease_) return check_lease_();
  std::promise<Result<void>> always;
  always.set_value({});
  return always.get_future();
}

Result<void> Runner::lease_held(std::future<Result<void>>& check, const std::string& what_stays) {
  // A runner paused past its lease must not run what it claims: its
  // successor may be about to (and then finds it interrupted), or may have
  // claimed it (then the claim was refused). The check is read on another
  // connection while the claim is written, a round trip less per migration;
  // whichever lands first, the claim is what makes a migration run once.
  auto ours = check.get();
  if (ours) return {};
  Error lost = ours.error();
  lost.message += "; " + what_stays;
  return std::unexpected(std::move(lost));
}

Error Runner::claim_failed(Error failed, std::future<Result<void>>& check, const std::string& what_stays) {
  // A refusal may be a successor's doing: it took the lease over and changed
  // the record since this runner read it. Then the lost lease is the reason
  // (exit 4, a `stopped` event), not the record.
  if (failed.kind != ErrorKind::kRefused || !check.valid()) return failed;
  if (auto held = lease_held(check, what_stays); !held) return held.error();
  return failed;
}

Result<void> Runner::give_back_held_claim() {
  if (!held_) return {};
  HeldClaim held = std::move(*held_);
  held_.reset();
  if (auto back = store_.release_claim(held.claim, held.request); !back) {
    Error error = back.error();
    error.message = fmt::format("{} was claimed but not started, and stays marked running: giving its claim back "
                                "failed: {}",
                                held.claim.name, error.message);
    return std::unexpected(std::move(error));
  }
  return {};
}

Runner::~Runner() { (void)give_back_held_claim(); }

Result<StepReport> Runner::apply(const core::Migration& m, const std::vector<std::string>& refuse_statuses,
                                 const std::optional<core::LogRecord>& seen, const core::Migration* next) {
  std::optional<HeldClaim> held;
  if (held_ && held_->claim.name == m.name) {
    held = std::move(held_);
    held_.reset();
  } else if (auto back = give_back_held_claim(); !back) {
    return std::unexpected(back.error());
  }
  if (!held && seen && std::ranges::find(refuse_statuses, seen->status) != refuse_statuses.end()) {
    return std::unexpected(Error{ErrorKind::kRefused, fmt::format("cannot start {}: it is {}", m.name, seen->status)});
  }
  StepReport step;
  step.name = m.name;
  notify(ProgressEvent::Kind::kStarting, step);
  store::ClaimRequest request{.seen = seen, .owner = lock_owner_, .by = identity_.actor};
  std::future<Result<void>> lease_check;
  store::Claim claim;
  if (held) {
    // Claimed with the previous migration's outcome.
    request = std::move(held->request);
    claim = std::move(held->claim);
    lease_check = std::move(held->lease_check);
  } else {
    lease_check = start_lease_check();
    auto claimed = store_.claim_run(m, request);
    if (!claimed) return std::unexpected(claim_failed(claimed.error(), lease_check, m.name + " was not started"));
    claim = std::move(*claimed);
  }
  if (auto r = lease_held(lease_check, m.name + " was not started"); !r) {
    // Nothing ran: the record goes back to what it was, as if never claimed
    // (a successor that read it meanwhile may show it interrupted once).
    return std::unexpected(give_back(r.error(), claim, request, "stays marked running"));
  }
  auto body = open_body(m, claim, /*down=*/false, /*fresh=*/!seen);
  if (!body) {
    // As above: nothing of it ran, so its record goes back.
    Error not_started = body.error();
    not_started.message = fmt::format("{} was not started: {}", m.name, not_started.message);
    return std::unexpected(give_back(std::move(not_started), claim, request, "stays marked running"));
  }
  auto start = std::chrono::steady_clock::now();
  auto failure = execute(m, body->get(), /*down=*/false);
  if (!failure) {  // server lost: the record stays `running` as evidence
    Error lost = failure.error();
    lost.message = fmt::format("{} did not finish and stays recorded as running: {}", m.name, lost.message);
    return std::unexpected(std::move(lost));
  }
  step.duration_ms = elapsed_ms(start);
  // The outcome first, whatever became of the previous migration's event
  // (written while this one ran): the log is never behind, however slow the
  // audit trail. That event is waited for next, before this one's is sent,
  // so the trail is never more than this outcome and the one before behind.
  // An audit trail known to be failing stops the run: no next claim then.
  bool events_failing = events_ && events_->failed();

  if (failure->empty()) {
    step.outcome = StepOutcome::kApplied;
    if (auto r = record_applied(m, claim, step.duration_ms, events_failing ? nullptr : next); !r) {
      Error error = r.error();
      // A fenced write (kLockLost) says why itself; any other failure may
      // have left the record `running`, which blocks `up` until a person
      // has looked.
      error.message = error.kind == ErrorKind::kLockLost
                          ? fmt::format("{} ran to its end, but recording it applied failed: {}", m.name,
                                        error.message)
                          : fmt::format("{} ran to its end, but recording it applied failed: {}; if its record "
                                        "still says running, check, then `mark {} --as applied`",
                                        m.name, error.message, m.name);
      return std::unexpected(std::move(error));
    }
  } else {
    step.outcome = StepOutcome::kFailed;
    step.error = *failure;
    if (auto r = store_.finish_failed(m, claim, step.error, step.duration_ms); !r) {
      Error error = r.error();
      error.message = fmt::format("{} failed ({}), and recording it failed too: {}", m.name, step.error,
                                  error.message);
      return std::unexpected(std::move(error));
    }
  }
  const char* action = step.outcome == StepOutcome::kApplied ? "applied" : "failed";
  if (auto previous_event = finish_events(); !previous_event) {
    return std::unexpected(
        recorded_but(m, action, previous_event.error(), event_of(m, action, step.duration_ms, step.error)));
  }
  if (auto event = record_event(m, action, step.duration_ms, step.error); !event) {
    return std::unexpected(event.error());
  }
  notify(ProgressEvent::Kind::kFinished, step);
  return step;
}

Error Runner::recorded_but(const core::Migration& m, const char* recorded_as, Error events_failed,
                           const HistoryEvent& own_event) {
  // The run stops at an audit trail that cannot be written, but the log
  // holds this migration's outcome, which the caller's report will not.
  // Its own event is written here and now, not queued behind the one that
  // failed, so that no more is lost than the message says.
  if (auto own = store_.append_event(own_event); !own) {
    events_failed.message += fmt::format("; nor could {}'s own event be recorded: {}", m.name, own.error().message);
  }
  // The next migration, claimed with this outcome before the failure was
  // known, does not start: its claim goes back.
  if (auto back = give_back_held_claim(); !back) events_failed.message += "; " + back.error().message;
  events_failed.message = fmt::format("{} is recorded {}, but {}", m.name, recorded_as, events_failed.message);
  return events_failed;
}

Result<void> Runner::record_applied(const core::Migration& m, const store::Claim& claim, std::int64_t duration_ms,
                                    const core::Migration* next) {
  bool stopping = hooks_.stop && hooks_.stop->load() != 0;
  // A runner that knows its lease lost claims nothing more: a successor
  // reading the log would find the claim and take it for an interrupted run.
  bool lost = hooks_.lease_lost && hooks_.lease_lost();
  if (!next || stopping || lost) return store_.finish_applied(m, claim, identity_.actor, core::now_ms(), duration_ms);
  store::ClaimRequest next_request{.seen = std::nullopt, .owner = lock_owner_, .by = identity_.actor};
  auto lease_check = start_lease_check();
  auto written = store_.finish_applied_and_claim_run(m, claim, identity_.actor, core::now_ms(), duration_ms, *next,
                                                     next_request);
  if (!written) return std::unexpected(written.error());
  // A claim refused or failed here is made again, and reported, by apply(next).
  if (*written) held_ = HeldClaim{std::move(**written), std::move(next_request), std::move(lease_check)};
  return {};
}

Result<StepReport> Runner::revert(const core::Migration& m, const core::LogRecord& seen) {
  StepReport step;
  step.name = m.name;
  notify(ProgressEvent::Kind::kStarting, step);
  if (m.down && m.down->empty()) {
    step.warnings.push_back(m.name + " has an empty \"down\": nothing was undone, it is marked reverted");
  }
  // The crash evidence, as for `up`: a revert that dies half-way shows as
  // interrupted, not as still applied.
  auto lease_check = start_lease_check();
  store::ClaimRequest request{.seen = seen, .owner = lock_owner_, .by = identity_.actor};
  auto claim = store_.claim_revert(m, request);
  if (!claim) return std::unexpected(claim_failed(claim.error(), lease_check, m.name + "'s down was not started"));
  if (auto r = lease_held(lease_check, m.name + "'s down was not started"); !r) {
    // Nothing ran: the record goes back to applied, as apply() gives its
    // claim back; left running, reverting, it would read as a revert that
    // stopped half-way.
    Error lost = give_back(r.error(), *claim, request, "stays marked running, being reverted");
    return std::unexpected(Error{lost.kind, fmt::format("stopped before reverting {}: the migration lock was lost "
                                                        "({})",
                                                        m.name, lost.message)});
  }
  auto body = open_body(m, *claim, /*down=*/true, /*fresh=*/false);
  if (!body) {
    Error not_started = body.error();
    not_started.message = fmt::format("{}'s down was not started: {}", m.name, not_started.message);
    return std::unexpected(
        give_back(std::move(not_started), *claim, request, "stays marked running, being reverted"));
  }
  auto start = std::chrono::steady_clock::now();
  auto failure = execute(m, body->get(), /*down=*/true);
  if (!failure) {  // server lost: the record stays `running` as evidence
    Error lost = failure.error();
    lost.message = fmt::format("{} did not finish reverting and stays recorded as running: {}", m.name, lost.message);
    return std::unexpected(std::move(lost));
  }
  step.duration_ms = elapsed_ms(start);
  // As in apply(): the outcome first, then the previous revert's event
  // (written while this one ran) is waited for.

  if (failure->empty()) {
    step.outcome = StepOutcome::kReverted;
    if (auto r = store_.finish_reverted(m, *claim, identity_.actor, core::now_ms()); !r) {
      Error error = r.error();
      error.message = error.kind == ErrorKind::kLockLost
                          ? fmt::format("{}'s down ran to its end, but its outcome was not recorded: the migration "
                                        "lock was lost and the write, fenced on this runner's lease, matched "
                                        "nothing (another runner has claimed the record since)",
                                        m.name)
                          : fmt::format("{}'s down ran to its end, but recording it reverted failed: {}; if its "
                                        "record still says running, check, then `mark {} --as reverted`",
                                        m.name, error.message, m.name);
      return std::unexpected(std::move(error));
    }
    if (auto previous_event = finish_events(); !previous_event) {
      return std::unexpected(
          recorded_but(m, "reverted", previous_event.error(), event_of(m, "reverted", step.duration_ms, "")));
    }
    if (auto event = record_event(m, "reverted", step.duration_ms, ""); !event) {
      return std::unexpected(event.error());
    }
  } else {
    step.outcome = StepOutcome::kFailed;
    step.error = *failure;
    if (auto r = store_.note_revert_failed(m, *claim, step.error); !r) {
      // Whatever failed, the down's own error is said: it is written nowhere else.
      Error error = r.error();
      error.message =
          error.kind == ErrorKind::kLockLost
              ? fmt::format("{}'s down failed ({}), and that was not recorded: the migration lock was lost and the "
                            "write, fenced on this runner's lease, matched nothing (another runner has claimed the "
                            "record since)",
                            m.name, step.error)
              : fmt::format("{}'s down failed ({}), and recording that failed too: {}; its record still says "
                            "running, being reverted",
                            m.name, step.error, error.message);
      return std::unexpected(std::move(error));
    }
    if (auto previous_event = finish_events(); !previous_event) {
      return std::unexpected(recorded_but(m, "as a failed revert", previous_event.error(),
                                          event_of(m, "revert_failed", step.duration_ms, step.error)));
    }
    if (auto event = record_event(m, "revert_failed", step.duration_ms, step.error); !event) {
      return std::unexpected(event.error());
    }
  }
  notify(ProgressEvent::Kind::kFinished, step);
  return step;
}

}  // namespace mongomigrate::runner
