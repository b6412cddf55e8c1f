#include "core/server_text.h"

#include <algorithm>
#include <iterator>
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

bool is_failover_code(int code) {
  constexpr int kFailover[] = {10107 /* NotWritablePrimary */,    13435 /* NotPrimaryNoSecondaryOk */,
                               13436 /* NotPrimaryOrSecondary */, 189 /* PrimarySteppedDown */,
                               11602 /* InterruptedDueToReplStateChange */,
                               91 /* ShutdownInProgress */,        11600 /* InterruptedAtShutdown */};
  return std::ranges::find(kFailover, code) != std::end(kFailover);
}

std::string remedy(std::string_view message, int code, bool tracking) {
  if (message.find("Retryable writes are not supported") != std::string_view::npos) {
    return "this server does not support retryable writes (Amazon DocumentDB): add retryWrites=false to the URI";
  }
  constexpr int kDocumentValidationFailure = 121;
  if (tracking && (code == kDocumentValidationFailure || message.find("failed validation") != std::string_view::npos)) {
    return "a schema validator on a tracking collection (the log, its _events or _lock) refuses what "
           "mongo-migrate writes there (such as status \"running\", lockOwner, reverting): allow it, or remove "
           "the validator";
  }
  if (is_failover_code(code)) {
    // A tracking write is retried once a new primary is elected: refused
    // still, none was found in time. What to do next depends on the write,
    // and its caller says it.
    return tracking ? "no primary was found in time (an election or a restart; see serverSelectionTimeoutMS)"
                    : "the replica set's primary stepped down as it ran (an election or a restart)";
  }
  return "";
}

}  // namespace mongomigrate::core
