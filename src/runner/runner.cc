#include "runner/runner.h"

#include <unistd.h>

#include <chrono>

#include <fmt/format.h>

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

Runner::Runner(mongo::Client& client, mongo::TrackingStore& store, RunnerIdentity identity, std::string lock_owner,
               ProgressCallback on_progress, const std::atomic<int>* stop)
    : client_(client),
      store_(store),
      identity_(std::move(identity)),
      lock_owner_(std::move(lock_owner)),
      on_progress_(std::move(on_progress)),
      stop_(stop) {}

void Runner::notify(ProgressEvent::Kind kind, const StepReport& step) const {
  if (on_progress_) on_progress_(ProgressEvent{kind, step});
}

Result<std::string> Runner::run_commands(const std::vector<core::Command>& commands) {
  for (std::size_t i = 0; i < commands.size(); ++i) {
    if (i > 0 && stop_ && stop_->load() != 0) {
      return fmt::format("interrupted by signal {} after command {} of {}", stop_->load(), i, commands.size());
    }
    auto ran = client_.run_migration_command(commands[i]);
    if (ran) continue;
    if (ran.error().kind == ErrorKind::kDatabase) return std::unexpected(ran.error());
    return "command " + std::to_string(i + 1) + " of " + std::to_string(commands.size()) + ": " +
           ran.error().message;
  }
  return std::string();
}

Result<void> Runner::record_event(const core::Migration& m, const char* action, std::int64_t duration_ms,
                                  const std::string& error) {
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
  return store_.append_event(event);
}

Result<StepReport> Runner::apply(const core::Migration& m, const std::vector<std::string>& refuse_statuses) {
  StepReport step;
  step.name = m.name;
  notify(ProgressEvent::Kind::kStarting, step);
  if (auto begun = store_.begin(m, identity_.actor, refuse_statuses, lock_owner_); !begun) {
    return std::unexpected(begun.error());
  }

  auto start = std::chrono::steady_clock::now();
  auto failure = run_commands(m.up);
  if (!failure) {  // server lost: the record stays `running` as evidence
    Error lost = failure.error();
    lost.message = fmt::format("{} did not finish and stays recorded as running: {}", m.name, lost.message);
    return std::unexpected(std::move(lost));
  }
  step.duration_ms = elapsed_ms(start);

  if (failure->empty()) {
    step.outcome = StepOutcome::kApplied;
    if (auto r = store_.finish_applied(m, identity_.actor, core::now_ms(), step.duration_ms); !r) {
      return std::unexpected(r.error());
    }
    if (auto r = record_event(m, "applied", step.duration_ms, ""); !r) return std::unexpected(r.error());
  } else {
    step.outcome = StepOutcome::kFailed;
    step.error = *failure;
    if (auto r = store_.finish_failed(m, step.error, step.duration_ms); !r) return std::unexpected(r.error());
    if (auto r = record_event(m, "failed", step.duration_ms, step.error); !r) return std::unexpected(r.error());
  }
  notify(ProgressEvent::Kind::kFinished, step);
  return step;
}

Result<StepReport> Runner::revert(const core::Migration& m) {
  StepReport step;
  step.name = m.name;
  notify(ProgressEvent::Kind::kStarting, step);
  if (m.down && m.down->empty()) {
    step.warnings.push_back(m.name + " has an empty \"down\": nothing was undone, it is marked reverted");
  }
  auto start = std::chrono::steady_clock::now();
  auto failure = run_commands(m.down.value_or(std::vector<core::Command>{}));
  if (!failure) return std::unexpected(failure.error());
  step.duration_ms = elapsed_ms(start);

  if (failure->empty()) {
    step.outcome = StepOutcome::kReverted;
    if (auto r = store_.finish_reverted(m, identity_.actor, core::now_ms()); !r) return std::unexpected(r.error());
    if (auto r = record_event(m, "reverted", step.duration_ms, ""); !r) return std::unexpected(r.error());
  } else {
    step.outcome = StepOutcome::kFailed;
    step.error = *failure;
    if (auto r = store_.note_revert_failed(m, step.error); !r) return std::unexpected(r.error());
    if (auto r = record_event(m, "revert_failed", step.duration_ms, step.error); !r) {
      return std::unexpected(r.error());
    }
  }
  notify(ProgressEvent::Kind::kFinished, step);
  return step;
}

}  // namespace mongomigrate::runner
