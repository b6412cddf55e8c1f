// Timestamps for people and for JSON.
#pragma once

#include <string>

#include "mongomigrate/report.h"

namespace mongomigrate::core {

// "2026-11-25T14:53:02.123Z" (ISO 8601, UTC, milliseconds).
std::string iso8601(TimestampMs ms);

// Now, from the local clock.
TimestampMs now_ms();

}  // namespace mongomigrate::core
