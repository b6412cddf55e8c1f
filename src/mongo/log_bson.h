// BSON of the tracking log's records, its events and the run journal's
// entries, in the seed's field names (DESIGN.md §3). One place, so a record
// journaled in a claim and the same record inserted into the log are alike.
#pragma once

#include <bson/bson.h>

#include <string>
#include <vector>

#include "core/journal.h"
#include "core/log_record.h"
#include "mongomigrate/report.h"

namespace mongomigrate::mongo {

core::LogRecord record_from(const bson_t* doc);
HistoryEvent event_from(const bson_t* doc);
// Appends the journaled records (events) of the array at `array`, each
// with its `_id`.
void read_journaled(const bson_iter_t& array, std::vector<core::JournaledRecord>& out);
void read_journaled(const bson_iter_t& array, std::vector<core::JournaledEvent>& out);

// The record's fields that are set (status, name, ...); not `_id`.
void append_record_fields(bson_t* doc, const core::LogRecord& record);
// The event's fields (name, action, at, by, ..., runner: {host, pid}); not `_id`.
void append_event_fields(bson_t* doc, const HistoryEvent& event);
// An array of journaled records (events), each with its `_id`.
void append_journaled(bson_t* parent, const char* key, const std::vector<core::JournaledRecord>& records);
void append_journaled(bson_t* parent, const char* key, const std::vector<core::JournaledEvent>& events);

// `_id: ObjectId(hex)`; false if `hex` is not an ObjectId.
bool append_object_id(bson_t* doc, const std::string& hex);
// A new ObjectId, as hex.
std::string new_object_id();

}  // namespace mongomigrate::mongo
