#include "output.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "core/time_format.h"

namespace mongomigrate::cli {

bool use_color(int fd) {
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
    width[c] = headers_[c].size();
    for (const auto& row : rows_) width[c] = std::max(width[c], row[c].size());
  }
  std::string out;
  auto emit = [&](const std::vector<std::string>& cells, const std::vector<Color>* colors, Color all) {
    std::string line;
    for (std::size_t c = 0; c < cells.size(); ++c) {
      bool last = c + 1 == cells.size();
      // Padding goes outside the colour codes so trailing blanks can be trimmed.
      line += paint(cells[c], colors ? (*colors)[c] : all, color);
      if (!last) line += std::string(width[c] - cells[c].size() + 2, ' ');
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
  }
  return Color::kNone;
}

}  // namespace mongomigrate::cli
