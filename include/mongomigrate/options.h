// The options and callbacks that the library's operations share with the
// code that runs migrations: the lock's timings, progress reports, who acts.
// Part of the public API (migrator.h includes it); no libmongoc types.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>

#include "mongomigrate/report.h"

namespace mongomigrate {

// The lease lock in `<collection>_lock` that every writing operation takes.
struct LockOptions {
  std::chrono::milliseconds lease{std::chrono::seconds(60)};        // how long a lease lasts unrenewed
  std::chrono::milliseconds renew_every{std::chrono::seconds(20)};  // lease / 3 by default
  std::chrono::milliseconds timeout{std::chrono::minutes(5)};       // how long to wait for a held lock
  std::chrono::milliseconds poll{std::chrono::milliseconds(250)};   // how often to look while waiting
};

// Called as a migration starts (just before its record is marked `running`)
// and as it ends (once its outcome is recorded).
struct ProgressEvent {
  enum class Kind { kStarting, kFinished } kind;
  const StepReport& step;
  // In a run of several migrations (`up`): this one's place, from 1, and
  // how many the run plans. 0 when the operation does not say.
  std::size_t position = 0;
  std::size_t total = 0;
};
using ProgressCallback = std::function<void(const ProgressEvent&)>;

// "$USER@hostname", the default for applied_by / reverted_by.
std::string default_actor();

}  // namespace mongomigrate
