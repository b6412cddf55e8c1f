// The run journal: what runners holding the lease have started and finished
// that the tracking log may not show yet. Value types and pure merging, no
// BSON.
//
// Why it exists: `up` must leave evidence before each migration executes and
// record each outcome, and do it cheaply. Before a migration starts, the
// runner inserts a claim for it into the lock collection: an insert costs the
// same on any server and at any log size (on FerretDB v1 every update of the
// log costs time proportional to the log), and the claim's unique `_id` makes
// sure only one runner ever starts that migration. The claim also carries the
// outcomes (and events) finished since the previous claim. Outcomes move into
// the log and the events collection in batches, by insert, and the claims are
// then deleted; at the end of a run at the latest.
//
// Contract:
// - `done` records and `events` carry the ObjectId (hex) they will be
//   inserted with, so moving them into the log twice inserts them once.
// - A reader that holds no lease sees the log as it will be by merging the
//   journal into it (merge_journal, merge_events); whoever takes the lease,
//   or clears it with `unlock`, first moves every claim into the log.
#pragma once

#include <string>
#include <vector>

#include "core/log_record.h"
#include "mongomigrate/report.h"

namespace mongomigrate::core {

struct JournaledRecord {
  std::string id;  // ObjectId, 24 hex digits
  LogRecord record;
  std::string claimer;  // the lease owner of the runner that finished it
};

struct JournaledEvent {
  std::string id;  // ObjectId, 24 hex digits
  HistoryEvent event;
};

struct Journal {
  // Claimed migrations, as they would be marked running (lock_owner: the
  // claiming runner's lease). One with no outcome anywhere is running.
  std::vector<LogRecord> started;
  std::vector<JournaledRecord> done;
  std::vector<JournaledEvent> events;

  bool empty() const { return started.empty() && done.empty() && events.empty(); }
};

// The log as it is once `journal` has been moved into it: a done record
// replaces a missing record of its name, or a `running` one of the same
// runner (its own evidence, or what a recovery made of its claim); any other
// record is the log's own word (another runner's `running` one included). A
// started migration with no outcome shows as `running` under its claimer
// where the log has no record of it. Readers read the journal before the
// log, so that a move between the two reads shows in the log: an entry in
// both is the log's.
std::vector<LogRecord> merge_journal(std::vector<LogRecord> records, const Journal& journal);

// The history with the journal's events not yet moved, newest first (by `at`;
// on a tie the journal's event is the newer), at most `limit`. An event
// already in `newest_first` (moved after the journal was read) is not added
// twice.
std::vector<HistoryEvent> merge_events(std::vector<HistoryEvent> newest_first, const Journal& journal, int limit);

}  // namespace mongomigrate::core
