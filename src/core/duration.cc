#include "core/duration.h"

#include <cstdint>
#include <limits>

namespace mongomigrate::core {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_letter(char c) { return c >= 'a' && c <= 'z'; }

constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();

// value * scale + carry without overflow, or false.
bool mul_add(std::int64_t& value, std::int64_t scale, std::int64_t carry) {
  if (value > (kMax - carry) / scale) return false;
  value = value * scale + carry;
  return true;
}

}  // namespace

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  std::int64_t total = 0;
  std::size_t i = 0;
  bool bare = true;  // a single number without a unit means seconds
  if (text.empty()) return std::nullopt;
  while (i < text.size()) {
    // <digits>[.<digits>]
    std::size_t start = i;
    std::int64_t whole = 0;
    while (i < text.size() && is_digit(text[i])) {
      if (!mul_add(whole, 10, text[i] - '0')) return std::nullopt;
      ++i;
    }
    if (i == start) return std::nullopt;  // "5s", not ".5s" or "s"
    std::string_view fraction;
    if (i < text.size() && text[i] == '.') {
      std::size_t f = ++i;
      while (i < text.size() && is_digit(text[i])) ++i;
      fraction = text.substr(f, i - f);
      if (fraction.empty()) return std::nullopt;
    }
    std::size_t unit_start = i;
    while (i < text.size() && is_letter(text[i])) ++i;
    std::string_view unit = text.substr(unit_start, i - unit_start);
    std::int64_t scale = 0;
    if (unit.empty()) {
      if (!bare || i != text.size() || start != 0) return std::nullopt;  // only "90" alone
      scale = 1000;
    } else if (unit == "ms") {
      scale = 1;
    } else if (unit == "s") {
      scale = 1000;
    } else if (unit == "m" || unit == "min") {
      scale = 60'000;
    } else if (unit == "h") {
      scale = 3'600'000;
    } else {
      return std::nullopt;
    }
    bare = false;
    std::int64_t part = whole;
    if (!mul_add(part, scale, 0)) return std::nullopt;
    // The fraction must come to whole milliseconds: fraction * scale / 10^digits.
    std::int64_t numerator = 0, denominator = 1;
    for (char c : fraction) {
      if (!mul_add(numerator, 10, c - '0') || !mul_add(denominator, 10, 0)) return std::nullopt;
    }
    if (numerator > 0) {
      if (!mul_add(numerator, scale, 0) || numerator % denominator != 0) return std::nullopt;
      if (part > kMax - numerator / denominator) return std::nullopt;
      part += numerator / denominator;
    }
    if (total > kMax - part) return std::nullopt;
    total += part;
  }
  return std::chrono::milliseconds(total);
}

}  // namespace mongomigrate::core
