// Durations given on the command line: "90" (seconds), "500ms", "30s",
// "5m", "1h". Pure parsing, no I/O.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace mongomigrate::core {

// nullopt for anything else (empty, negative, unknown unit, overflow).
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

}  // namespace mongomigrate::core
