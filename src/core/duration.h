// Durations given on the command line or in the config file: "90"
// (seconds), "500ms", "30s", "5m", "1h", and sums of them with decimal
// fractions, as Go writes them: "1m30s", "1.5s", "1h15m". Pure parsing, no I/O.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace mongomigrate::core {

// The longest lock settings (docs/commands.md): nobody waits a week for a
// lock or wants a dead runner's lease to outlive a day, so a longer value is
// a mistake; and deadlines computed from them stay far from any overflow.
// The renewal interval is shorter than the lease.
inline constexpr std::chrono::milliseconds kMaxLockTimeout = std::chrono::hours(24 * 7);
inline constexpr std::chrono::milliseconds kMaxLockLease = std::chrono::hours(24);

// One or more <number><unit> parts (units ms, s, m or min, h; any order;
// their sum), or a bare number of seconds. A number may have a decimal
// fraction as long as the part comes to whole milliseconds ("1.5s", not
// "1.0005s"). nullopt for anything else (empty, negative, spaces, unknown
// unit, overflow).
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

}  // namespace mongomigrate::core
