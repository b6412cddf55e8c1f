// BSON of the tracking log's records and its events, in the seed's field
// names (DESIGN.md §3).
#pragma once

#include <bson/bson.h>

#include <optional>
#include <string>
#include <vector>

#include "core/log_record.h"
#include "mongomigrate/report.h"
#include "mongomigrate/value.h"

namespace mongomigrate::mongo {

// A record as read (its `_id` as hex if it is an ObjectId).
core::LogRecord record_from(const bson_t* doc);
HistoryEvent event_from(const bson_t* doc);

// The event's fields (name, action, at, by, ..., runner: {host, pid}); not `_id`.
Doc event_fields(const HistoryEvent& event);

// The ObjectId whose hex is `hex`; nullopt if it is not one.
std::optional<ObjectId> object_id(const std::string& hex);
// A new ObjectId, as hex.
std::string new_object_id();
// The filter of one record: `_id: ObjectId(id)`, or `name` for a record
// whose `_id` is not one.
Doc record_key(const std::string& id, const std::string& name);

}  // namespace mongomigrate::mongo
