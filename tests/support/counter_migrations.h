// Migrations that count their own runs, and what the tracking data says of
// them, for tests of runners that crash, race or lose their lease: a
// migration applied twice shows as a counter of 2.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "mongo/bson_handles.h"
#include "support/db_probe.h"

namespace mongomigrate::testing {

// Polls `condition` every 10 ms until it holds or `timeout` passes.
bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds timeout);
// Polls `moment` (a runner inside some step) until it is seen to hold, or
// `finished` (the runner is done) holds first, or `timeout` passes. True if
// `moment` was seen: a fast runner may be past it again by the time the
// caller acts, so the caller must not test `moment` a second time.
bool caught(const std::function<bool()>& moment, const std::function<bool()>& finished,
            std::chrono::milliseconds timeout);

mongo::OwnedBson parse_json(const std::string& text);
// Field `field` (a number) of a document given as JSON, if present.
std::optional<std::int64_t> number_in(const std::string& json, const char* field);

std::string counter_id(int n);      // "m001"
std::string migration_name(int n);  // "001-step.json"
// Adds one to the migration's own counter in "counters".
std::string counter_command(int n);
// A migration whose only command is counter_command(n).
std::string counter_migration(int n);
// The same with a down that deletes the counter (counter() is 0 again).
std::string revertible_counter_migration(int n);
// `commands` inserts of `docs` small documents each into "bulk": slow enough
// to be caught mid-run, then the counter as the last command (so a counter
// of 1 means the migration ran to its end).
std::string slow_migration(int n, int commands, int docs);
// Inserts {_id: id} into "things"; its down deletes it: what ran can be seen
// in the database.
std::string insert_migration(const std::string& id);

// Migration n's counter: how many times it ran to its end.
std::int64_t counter(DbProbe& p, int n);
// The record's status in the log itself ("" if none).
std::string log_status(DbProbe& p, const std::string& name);
// Takes the lease over for a runner "thief:1:feedface" (as after an expiry,
// or a forced unlock) for 2 s.
void steal_lease(DbProbe& p);

}  // namespace mongomigrate::testing
