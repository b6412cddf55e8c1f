#include "core/names.h"

#include <cctype>

namespace mongomigrate::core {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Length of a run of digits starting at `pos`.
std::size_t digits_at(std::string_view s, std::size_t pos) {
  std::size_t n = 0;
  while (pos + n < s.size() && is_digit(s[pos + n])) ++n;
  return n;
}

// "YYYY-MM-DD" at the start of `s`.
bool starts_with_date(std::string_view s) {
  return s.size() >= 10 && digits_at(s, 0) == 4 && s[4] == '-' && digits_at(s, 5) == 2 &&
         s[7] == '-' && digits_at(s, 8) == 2;
}

// True when the version token ends at `end`: the name ends there or a
// separator follows.
bool token_ends(std::string_view s, std::size_t end) {
  return end == s.size() || s[end] == '-' || s[end] == '_' || s[end] == '.';
}

}  // namespace

std::string derive_version(std::string_view name) {
  // A dotted "v1.2.3" must not be confused with the file extension, so look
  // at the name without it.
  if (auto dot = name.rfind('.'); dot != std::string_view::npos && dot > 0) {
    std::string_view ext = name.substr(dot + 1);
    if (!ext.empty() && digits_at(ext, 0) == 0) name = name.substr(0, dot);
  }
  if (starts_with_date(name) && token_ends(name, 10)) return std::string(name.substr(0, 10));
  if (std::size_t n = digits_at(name, 0); n > 0 && token_ends(name, n)) {
    return std::string(name.substr(0, n));
  }
  if (name.size() > 1 && (name[0] == 'v' || name[0] == 'V') && is_digit(name[1])) {
    // v<digits>(.<digits>)*
    std::size_t end = 1;
    while (true) {
      std::size_t n = digits_at(name, end);
      if (n == 0) return "";
      end += n;
      if (end < name.size() && name[end] == '.' && end + 1 < name.size() && is_digit(name[end + 1])) {
        ++end;
        continue;
      }
      break;
    }
    if (token_ends(name, end)) return std::string(name.substr(0, end));
  }
  return "";
}

std::string name_problem(std::string_view name) {
  if (name.empty()) return "the name is empty";
  if (name.find('/') != std::string_view::npos || name.find('\\') != std::string_view::npos) {
    return "a migration name cannot contain a path separator";
  }
  if (name.find("..") != std::string_view::npos) return "a migration name cannot contain \"..\"";
  if (name.front() == '.') return "a migration name cannot start with '.'";
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) return "a migration name cannot contain control characters";
  }
  return "";
}

}  // namespace mongomigrate::core
