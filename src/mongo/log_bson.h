// BSON of the tracking log's records and its events, in the seed's field
// names (DESIGN.md §3).
#pragma once

#include <bson/bson.h>

#include <string>
#include <vector>

#include "core/log_record.h"
#include "mongomigrate/report.h"

namespace mongomigrate::mongo {

// A record as read (its `_id` as hex if it is an ObjectId).
core::LogRecord record_from(const bson_t* doc);
HistoryEvent event_from(const bson_t* doc);

// The record's fields that are set (status, name, ...); not `_id`.
void append_record_fields(bson_t* doc, const core::LogRecord& record);
// The event's fields (name, action, at, by, ..., runner: {host, pid}); not `_id`.
void append_event_fields(bson_t* doc, const HistoryEvent& event);

// `_id: ObjectId(hex)`; false if `hex` is not an ObjectId.
bool append_object_id(bson_t* doc, const std::string& hex);
// A new ObjectId, as hex.
std::string new_object_id();

}  // namespace mongomigrate::mongo
