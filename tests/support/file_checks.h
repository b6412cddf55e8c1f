// Small helpers the C++-migration tests share: reading a file, its SHA-256
// computed independently of the product (OpenSSL, not src/source/sha256),
// and Extended JSON text turned into a Document.
#pragma once

#include <algorithm>
#include <string>

#include "mongomigrate/value.h"

namespace mongomigrate::testing {

// The whole file; "" if it cannot be read.
std::string read_file(const std::string& path);

// SHA-256 hex of the file's bytes; a test failure if the file is empty.
std::string sha256_file(const std::string& path);

// Parses Extended JSON; throws std::runtime_error on bad JSON.
Document parse_document(const std::string& json_text);

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// One line: non-empty, ends with a newline, and has no other.
inline bool one_line(const std::string& text) {
  return !text.empty() && text.back() == '\n' && std::count(text.begin(), text.end(), '\n') == 1;
}

}  // namespace mongomigrate::testing
