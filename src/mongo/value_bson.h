// Converting the public Value/Document types to and from libbson.
#pragma once

#include <bson/bson.h>

#include <string_view>

#include "mongo/bson_handles.h"
#include "mongomigrate/value.h"

namespace mongomigrate::mongo {

// Appends `value` under `key` (length-counted, so keys need no NUL).
// Throws std::invalid_argument rather than drop a field: a key holding a
// NUL byte, a RawValue whose bytes are not a one-field document, or a
// document past BSON's size limit.
void append_value(bson_t* doc, std::string_view key, const Value& value);

// A Doc value as a BSON document; throws std::invalid_argument when the
// value is not a document.
OwnedBson to_bson(const Value& document);

// A copy of `doc` as a Document.
Document to_document(const bson_t* doc);

// The value an iterator points at, as a Value.
Value value_at(const bson_iter_t& it);

}  // namespace mongomigrate::mongo
