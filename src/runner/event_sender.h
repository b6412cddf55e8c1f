// Writes a run's events (`<collection>_events`, the audit trail of
// `history`) on a connection and a thread of their own, so that a
// migration's event is written while the next migration runs. The log
// itself is not affected: a migration's claim and outcome are written in
// line and the log is never behind. The runner waits for the event right
// after writing the next migration's outcome (Runner::apply,
// Runner::revert), before sending that one's: the trail is one event behind
// the log while a migration runs, two for the moment between an outcome and
// its event. A slow event never holds an outcome back.
//
// Contract: send() queues the event and returns at once. finish() waits
// until every event sent has been written or has failed, and returns the
// first failure since the previous finish() (kDatabase, naming how many
// events were not recorded), so each failure is reported once. failed()
// says, without waiting, whether one is waiting to be reported. The store is opened on the thread, on its first
// event. The destructor calls finish() and ignores its result.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "mongomigrate/error.h"
#include "mongomigrate/report.h"
#include "store/log_store.h"

namespace mongomigrate::runner {

class EventSender {
 public:
  using StoreOpener = std::function<Result<std::unique_ptr<store::LogStore>>()>;

  explicit EventSender(StoreOpener open_store);
  ~EventSender();
  EventSender(const EventSender&) = delete;
  EventSender& operator=(const EventSender&) = delete;

  void send(HistoryEvent event);
  Result<void> finish();
  bool failed();

 private:
  void write_loop();

  StoreOpener open_store_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<HistoryEvent> queue_;  // sent, not yet taken by the thread
  bool writing_ = false;            // the thread holds an event it is writing
  bool stopping_ = false;
  std::optional<Error> failure_;  // the first one
  int failed_ = 0;                // events not recorded
  std::thread thread_;
};

}  // namespace mongomigrate::runner
