#include "runner/event_sender.h"

#include <fmt/format.h>

namespace mongomigrate::runner {

EventSender::EventSender(StoreOpener open_store) : open_store_(std::move(open_store)) {
  thread_ = std::thread([this] { write_loop(); });
}

EventSender::~EventSender() {
  (void)finish();
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

void EventSender::send(HistoryEvent event) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(event));
  }
  changed_.notify_all();
}

Result<void> EventSender::finish() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [this] { return queue_.empty() && !writing_; });
  if (!failure_) return {};
  // Said once: the caller reports it, and a later finish() only what failed since.
  Error error = std::move(*failure_);
  error.message = fmt::format("{} event(s) could not be recorded in the audit trail: {}", failed_, error.message);
  failure_.reset();
  failed_ = 0;
  return std::unexpected(std::move(error));
}

bool EventSender::failed() {
  std::lock_guard lock(mutex_);
  return failure_.has_value();
}

void EventSender::write_loop() {
  std::unique_ptr<store::LogStore> store;
  std::unique_lock lock(mutex_);
  while (true) {
    changed_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, nothing left
    HistoryEvent event = std::move(queue_.front());
    queue_.pop_front();
    writing_ = true;
    lock.unlock();
    Result<void> written;
    if (!store) {
      auto opened = open_store_();
      if (opened) {
        store = std::move(*opened);
      } else {
        written = std::unexpected(opened.error());
      }
    }
    if (store) written = store->append_event(event);
    lock.lock();
    if (!written) {
      ++failed_;
      if (!failure_) failure_ = written.error();
    }
    writing_ = false;
    changed_.notify_all();
  }
}

}  // namespace mongomigrate::runner
