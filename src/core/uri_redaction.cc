#include "core/uri_redaction.h"

namespace mongomigrate::core {

std::string redact_uri(std::string_view uri) {
  std::string out(uri);
  std::size_t scheme = out.find("://");
  std::size_t start = scheme == std::string::npos ? 0 : scheme + 3;
  // The user-info ends at an '@'. A password may hold unescaped '@', '/' or
  // ':' (an invalid URI, but one a person may type), so take the last '@'
  // before the options: over-redacting beats printing part of a password.
  std::size_t options = out.find('?', start);
  std::size_t at = out.rfind('@', options == std::string::npos ? std::string::npos : options);
  if (at == std::string::npos || at < start) at = out.rfind('@');  // the '?' was in the password
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
