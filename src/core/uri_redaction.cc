#include "core/uri_redaction.h"

namespace mongomigrate::core {

std::string redact_uri(std::string_view uri) {
  std::string out(uri);
  std::size_t scheme = out.find("://");
  std::size_t start = scheme == std::string::npos ? 0 : scheme + 3;
  // The user-info ends at the last '@' before the path, query or fragment.
  std::size_t host_end = out.find_first_of("/?#", start);
  std::size_t at = out.rfind('@', host_end == std::string::npos ? std::string::npos : host_end);
  // An unescaped '/' or '?' inside the password ends the search early; then
  // take the last '@' anywhere: over-redacting beats printing a password.
  if (at == std::string::npos || at < start) at = out.rfind('@');
  if (at == std::string::npos || at < start) return out;
  std::size_t colon = out.find(':', start);
  if (colon == std::string::npos || colon > at) return out;
  out.replace(colon + 1, at - colon - 1, "*****");
  return out;
}

std::string scrub(std::string text, std::string_view secret) {
  if (secret.empty()) return text;
  for (std::size_t pos = text.find(secret); pos != std::string::npos;
       pos = text.find(secret, pos + 5)) {
    text.replace(pos, secret.size(), "*****");
  }
  return text;
}

}  // namespace mongomigrate::core
