#include "core/server_text.h"

#include <regex>

namespace mongomigrate::core {

std::string one_line(std::string_view text) {
  static const std::regex go_frame(R"(\S+\.go:\d+ \(\S+\): )");
  std::string flat;
  flat.reserve(text.size());
  bool space = false;
  for (char c : text) {
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\v' || c == '\f') {
      space = !flat.empty();
      continue;
    }
    if (space) flat.push_back(' ');
    space = false;
    flat.push_back(c);
  }
  if (flat.find(".go:") == std::string::npos) return flat;
  return std::regex_replace(flat, go_frame, "");
}

}  // namespace mongomigrate::core
