// Keeping passwords out of output. libmongoc 1.23 has no redaction helper.
#pragma once

#include <string>
#include <string_view>

namespace mongomigrate::core {

// The URI with the password of its user-info (between "user:" and the '@'
// that ends the user-info) replaced by "*****". Works on text that does not
// parse as a URI too, so a malformed URI can be quoted in an error safely.
std::string redact_uri(std::string_view uri);

// `text` with every occurrence of `secret` replaced by "*****" (no-op for an
// empty secret). Applied to every error message that may quote server or
// driver text.
std::string scrub(std::string text, std::string_view secret);

}  // namespace mongomigrate::core
