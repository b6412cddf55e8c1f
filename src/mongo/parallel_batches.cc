#include "mongo/parallel_batches.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "mongo/data_ops.h"

namespace mongomigrate::mongo {

bool ParallelOutcome::all_done() const {
  return std::ranges::all_of(partitions, [](const PartitionProgress& p) { return p.done; });
}

namespace {

// What the workers and the coordinator share, under `mutex`.
class Board {
 public:
  Board(std::vector<PartitionProgress> partitions, const std::atomic<int>* stop)
      : progress_(std::move(partitions)), posted_(progress_.size(), 0), saved_(progress_.size(), 0), stop_(stop) {}

  bool stopping() const { return failed_.load() || (stop_ && stop_->load() != 0); }

  void fail(std::exception_ptr failure, std::optional<Error> database_error = std::nullopt) {
    std::lock_guard lock(mutex_);
    if (!outcome_.failure) {
      outcome_.failure = std::move(failure);
      outcome_.database_error = std::move(database_error);
    }
    failed_.store(true);
    changed_.notify_all();
  }
  void fail(const Error& error) {
    fail(std::make_exception_ptr(MigrationError(error.message)),
         error.kind == ErrorKind::kDatabase ? std::optional<Error>(error) : std::nullopt);
  }

  // A worker's progress after a batch; returns once it is saved (or the run fails).
  void post_and_wait(std::size_t index, const PartitionProgress& progress) {
    std::unique_lock lock(mutex_);
    progress_[index] = progress;
    std::uint64_t mine = ++posted_[index];
    changed_.notify_all();
    changed_.wait(lock, [&] { return saved_[index] >= mine || failed_.load(); });
  }

  void start_worker() {
    std::lock_guard lock(mutex_);
    ++running_;
  }
  void worker_ended() {
    std::lock_guard lock(mutex_);
    --running_;
    changed_.notify_all();
  }

  // The coordinator's loop: saves what the workers post until all have ended.
  ParallelOutcome coordinate(const ParallelBatches& run) {
    std::vector<PartitionProgress> snapshot;
    while (true) {
      std::vector<std::pair<std::size_t, std::uint64_t>> unsaved;
      {
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return running_ == 0 || has_unsaved(); });
        for (std::size_t i = 0; i < progress_.size(); ++i) {
          if (posted_[i] > saved_[i]) unsaved.emplace_back(i, posted_[i]);
        }
        if (unsaved.empty() && running_ == 0) break;
        snapshot = progress_;
      }
      for (auto [index, sequence] : unsaved) {
        if (!run.save) continue;
        // A throw here (bad_alloc) must fail the run, not leave this loop:
        // the workers wait for their progress to be saved or the run failed.
        try {
          if (auto saved = run.save(index, snapshot[index]); !saved) fail(saved.error());
        } catch (...) {
          fail(std::current_exception());
        }
      }
      {
        std::lock_guard lock(mutex_);
        for (auto [index, sequence] : unsaved) saved_[index] = std::max(saved_[index], sequence);
        changed_.notify_all();
      }
      if (run.on_progress) {
        try {
          run.on_progress(snapshot);
        } catch (...) {
          fail(std::current_exception());
        }
      }
    }
    std::lock_guard lock(mutex_);
    outcome_.partitions = progress_;
    return std::move(outcome_);
  }

 private:
  bool has_unsaved() const {
    for (std::size_t i = 0; i < progress_.size(); ++i) {
      if (posted_[i] > saved_[i]) return true;
    }
    return false;
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<PartitionProgress> progress_;
  std::vector<std::uint64_t> posted_, saved_;
  int running_ = 0;
  ParallelOutcome outcome_;
  std::atomic<bool> failed_{false};
  const std::atomic<int>* stop_;
};

void work(Board& board, const ParallelBatches& run, std::size_t index, PartitionProgress partition,
          Client& client) {
  BatchQuery query = run.query;
  query.filter = core::range_filter(run.query.filter, partition.range, partition.last_id);
  auto cursor = BatchCursor::open(client, query, std::nullopt);
  if (!cursor) return board.fail(cursor.error());
  while (!board.stopping()) {
    auto batch = (*cursor)->next();
    if (!batch) return board.fail(batch.error());
    if (batch->empty()) {
      partition.done = true;
      return board.post_and_wait(index, partition);
    }
    std::vector<WriteOp> writes;
    try {
      writes = run.fn(std::span<const Document>(*batch));
    } catch (...) {
      return board.fail(std::current_exception());
    }
    auto written = bulk_write(client, query.collection, writes);
    if (!written) return board.fail(written.error());
    partition.totals += BatchResult{.scanned = static_cast<std::int64_t>(batch->size()),
                                    .matched = written->matched,
                                    .modified = written->modified,
                                    .inserted = written->inserted + written->upserted,
                                    .deleted = written->deleted,
                                    .batches = 1};
    partition.last_id = batch->back().id();
    board.post_and_wait(index, partition);
  }
}

}  // namespace

ParallelOutcome run_parallel_batches(ParallelBatches run) {
  auto unfinished = std::ranges::count_if(run.partitions, [](const PartitionProgress& p) { return !p.done; });
  if (static_cast<std::size_t>(unfinished) != run.clients.size()) {
    throw std::logic_error("run_parallel_batches: one client per unfinished partition");
  }
  Board board(run.partitions, run.stop);
  {
    std::vector<std::jthread> workers;
    std::size_t next_client = 0;
    try {
      for (std::size_t i = 0; i < run.partitions.size(); ++i) {
        if (run.partitions[i].done) continue;
        board.start_worker();
        try {
          workers.emplace_back([&board, &run, i, &client = run.clients.at(next_client++)] {
            try {
              work(board, run, i, run.partitions[i], client);
            } catch (...) {  // e.g. std::bad_alloc: still the run's failure, never std::terminate
              board.fail(std::current_exception());
            }
            board.worker_ended();
          });
        } catch (...) {
          board.worker_ended();  // it never started
          throw;
        }
      }
    } catch (...) {
      // A thread that cannot be started (the process's thread limit): the
      // run's failure. The workers already started stop after their batch;
      // the coordinator below still saves what they post, so none waits for
      // ever on a save.
      board.fail(std::current_exception());
    }
    ParallelOutcome outcome = board.coordinate(run);
    return outcome;  // the workers have all ended; their threads join here
  }
}

}  // namespace mongomigrate::mongo
