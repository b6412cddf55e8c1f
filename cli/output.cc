#include "output.h"

#include <locale.h>
#include <unistd.h>
#include <wchar.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "core/names.h"
#include "core/time_format.h"

namespace mongomigrate::cli {

namespace {
ColorMode color_mode = ColorMode::kAuto;

// wcwidth() of `cp` in a UTF-8 locale of this thread only (the process's
// locale stays "C"); nullopt when no UTF-8 locale can be had.
std::optional<int> c_library_width(char32_t cp) {
  static locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(nullptr));
  if (utf8 == static_cast<locale_t>(nullptr)) return std::nullopt;
  locale_t previous = uselocale(utf8);
  int width = wcwidth(static_cast<wchar_t>(cp));
  uselocale(previous);
  return width;
}

// Without a UTF-8 locale: the common zero-width and wide ranges.
int table_width(char32_t cp) {
  if ((cp >= 0x300 && cp <= 0x36F) || (cp >= 0x200B && cp <= 0x200F) || (cp >= 0xFE00 && cp <= 0xFE0F)) return 0;
  if ((cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) || (cp >= 0xAC00 && cp <= 0xD7A3) ||
      (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
      (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x1F300 && cp <= 0x1F64F) || (cp >= 0x1F900 && cp <= 0x1F9FF) ||
      (cp >= 0x20000 && cp <= 0x3FFFD)) {
    return 2;
  }
  return 1;
}

}  // namespace

std::optional<ColorMode> parse_color_mode(std::string_view word) {
  if (word == "auto") return ColorMode::kAuto;
  if (word == "always") return ColorMode::kAlways;
  if (word == "never") return ColorMode::kNever;
  return std::nullopt;
}

void set_color_mode(ColorMode mode) { color_mode = mode; }

std::size_t display_width(std::string_view text) {
  std::size_t width = 0;
  for (std::size_t pos = 0; pos < text.size();) {
    core::Decoded d = core::decode_utf8(text, pos);
    if (d.length == 0) {
      ++width, ++pos;
      continue;
    }
    int w = c_library_width(d.code_point).value_or(table_width(d.code_point));
    width += static_cast<std::size_t>(std::max(w, 0));
    pos += d.length;
  }
  return width;
}

bool use_color(int fd) {
  if (color_mode != ColorMode::kAuto) return color_mode == ColorMode::kAlways;
  if (!isatty(fd)) return false;
  if (const char* no = std::getenv("NO_COLOR"); no && *no) return false;
  if (const char* term = std::getenv("TERM"); term && std::strcmp(term, "dumb") == 0) return false;
  return true;
}

std::string paint(const std::string& text, Color color, bool enabled) {
  if (!enabled || color == Color::kNone) return text;
  const char* code = "";
  switch (color) {
    case Color::kGreen: code = "32"; break;
    case Color::kRed: code = "31"; break;
    case Color::kYellow: code = "33"; break;
    case Color::kCyan: code = "36"; break;
    case Color::kDim: code = "2"; break;
    case Color::kBold: code = "1"; break;
    case Color::kNone: break;
  }
  return fmt::format("\033[{}m{}\033[0m", code, text);
}

Table::Table(std::vector<std::string> headers) : headers_(std::move(headers)) {}

void Table::add_row(std::vector<std::string> cells, std::vector<Color> colors) {
  cells.resize(headers_.size());
  colors.resize(headers_.size(), Color::kNone);
  rows_.push_back(std::move(cells));
  colors_.push_back(std::move(colors));
}

std::string Table::render(bool color) const {
  std::vector<std::size_t> width(headers_.size());
  for (std::size_t c = 0; c < headers_.size(); ++c) {
    width[c] = display_width(headers_[c]);
    for (const auto& row : rows_) width[c] = std::max(width[c], display_width(row[c]));
  }
  std::string out;
  auto emit = [&](const std::vector<std::string>& cells, const std::vector<Color>* colors, Color all) {
    std::string line;
    for (std::size_t c = 0; c < cells.size(); ++c) {
      bool last = c + 1 == cells.size();
      // Padding goes outside the colour codes so trailing blanks can be trimmed.
      line += paint(cells[c], colors ? (*colors)[c] : all, color);
      if (!last) line += std::string(width[c] - display_width(cells[c]) + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line;
    out += '\n';
  };
  emit(headers_, nullptr, Color::kBold);
  for (std::size_t r = 0; r < rows_.size(); ++r) emit(rows_[r], &colors_[r], Color::kNone);
  return out;
}

std::string human_time(const std::optional<TimestampMs>& ms) {
  if (!ms) return "-";
  std::string iso = core::iso8601(*ms);  // 2026-11-25T14:53:02.123Z
  return iso.substr(0, 10) + " " + iso.substr(11, 8);
}

std::string human_duration(const std::optional<std::int64_t>& ms) {
  if (!ms) return "-";
  if (*ms < 1000) return fmt::format("{} ms", *ms);
  // Truncate to tenths: rounding would show 59,999 ms as "60.0 s".
  if (*ms < 60'000) return fmt::format("{}.{} s", *ms / 1000, (*ms % 1000) / 100);
  return fmt::format("{} min {} s", *ms / 60'000, (*ms % 60'000) / 1000);
}

Color status_color(MigrationStatus status) {
  switch (status) {
    case MigrationStatus::kApplied: return Color::kGreen;
    case MigrationStatus::kFailed:
    case MigrationStatus::kInterrupted: return Color::kRed;
    case MigrationStatus::kRunning: return Color::kCyan;
    case MigrationStatus::kReverted: return Color::kYellow;
    case MigrationStatus::kPending: return Color::kNone;
    case MigrationStatus::kInvalid:
    case MigrationStatus::kUnknown: return Color::kRed;
  }
  return Color::kNone;
}

}  // namespace mongomigrate::cli
