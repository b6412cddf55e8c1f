#include "core/name_resolution.h"

#include <algorithm>

#include <fmt/format.h>

#include "core/names.h"

namespace mongomigrate::core {
namespace {

bool ascii_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool extension_char(char c) { return ascii_letter(c) || (c >= '0' && c <= '9') || c == '+'; }

}  // namespace

std::string_view name_stem(std::string_view name) {
  std::size_t dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 1 == name.size()) return name;
  std::string_view ext = name.substr(dot + 1);
  if (!ascii_letter(ext.front()) || !std::ranges::all_of(ext, extension_char)) return name;
  return name.substr(0, dot);
}

NameResolution resolve_name(const std::vector<std::string_view>& known, std::string_view typed) {
  NameResolution r;
  for (std::string_view k : known) {
    if (k == typed) {
      r.outcome = NameResolution::Outcome::kFound;
      r.name = std::string(k);
      return r;
    }
  }
  for (std::string_view k : known) {
    if (k != typed && name_stem(k) == typed) r.candidates.emplace_back(k);
  }
  std::sort(r.candidates.begin(), r.candidates.end());
  r.candidates.erase(std::unique(r.candidates.begin(), r.candidates.end()), r.candidates.end());
  if (r.candidates.size() == 1) {
    r.outcome = NameResolution::Outcome::kFound;
    r.name = std::move(r.candidates.front());
    r.candidates.clear();
  } else if (r.candidates.size() > 1) {
    r.outcome = NameResolution::Outcome::kAmbiguous;
  }
  return r;
}

std::string ambiguous_name_message(std::string_view typed, const std::vector<std::string>& candidates) {
  std::vector<std::string> shown;
  shown.reserve(candidates.size());
  for (const std::string& c : candidates) shown.push_back(printable(c));
  return fmt::format("\"{}\" matches {} migrations: {}; give the full name", printable(typed), candidates.size(),
                     fmt::join(shown, ", "));
}

}  // namespace mongomigrate::core
