// MongoDB Extended JSON text to BSON and back, and a read-only view of a BSON
// document's fields: what the JSON migration parser (src/source) needs from
// libbson, so that it checks a file's shape without including it.
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mongomigrate::mongo {

// The one JSON object `text` holds (relaxed or canonical Extended JSON), as
// BSON. The error is the reason in words, for a message that names the file:
// "invalid JSON at line 3, column 5 (byte offset 21): trailing comma",
// "invalid JSON: incomplete (...)" (libbson gives no position then), or
// "invalid JSON: unexpected content after the top-level object". Anything
// after the object is an error, not ignored. A text that is not an object
// (e.g. an array) is a syntax error of libbson's wording; callers that want a
// clearer one check the first character themselves. A leading UTF-8
// byte-order mark is skipped; positions count the text's bytes, the mark's
// too; a NUL byte is an error of its own (a UTF-16 file, usually).
std::expected<std::vector<std::uint8_t>, std::string> parse_json_object(std::string_view text);

// What a field holds, in the words a message about a file's shape uses.
enum class FieldKind { kNumber, kString, kDocument, kArray, kBoolean, kNull, kOther };

// "a number", "a string", "a document", "an array", "a boolean", "null",
// "a non-document value".
const char* kind_in_words(FieldKind kind);

// One field of a BSON document. Views into the document's bytes: valid while
// they are.
struct Field {
  std::string_view key;
  FieldKind kind = FieldKind::kOther;
  std::string_view text;               // kString: the value
  std::span<const std::uint8_t> bson;  // kDocument, kArray: the embedded document (an array's keys are "0", "1", ...)
};

// The top-level fields of `document`, in order (duplicates kept); nullopt if
// the bytes are not a BSON document.
std::optional<std::vector<Field>> fields_of(std::span<const std::uint8_t> document);

// The path of the first key that appears twice in one document of
// `document`, at any depth ("up[0].insert"), or "" if none does.
std::string first_duplicate_key(std::span<const std::uint8_t> document);

// `document` as relaxed Extended JSON; "{}" if the bytes are empty or not a
// document.
std::string relaxed_json(std::span<const std::uint8_t> document);

}  // namespace mongomigrate::mongo
