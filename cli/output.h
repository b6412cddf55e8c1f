// Output for people: aligned tables, colour only on a terminal, durations and
// times in a readable form. Everything for machines goes through JsonWriter.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mongomigrate/report.h"

namespace mongomigrate::cli {

enum class Color { kNone, kGreen, kRed, kYellow, kCyan, kDim, kBold };

// Whether stdout (fd 1) or stderr (fd 2) gets colour: a terminal, and
// NO_COLOR unset, and TERM not "dumb".
bool use_color(int fd);

// `text` wrapped in the ANSI sequence for `color` when `enabled`.
std::string paint(const std::string& text, Color color, bool enabled);

// A table whose columns are as wide as their widest cell. Colour codes in a
// cell do not count toward its width (cells carry colour separately).
class Table {
 public:
  explicit Table(std::vector<std::string> headers);
  void add_row(std::vector<std::string> cells, std::vector<Color> colors = {});
  std::string render(bool color) const;
  bool empty() const { return rows_.empty(); }

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
  std::vector<std::vector<Color>> colors_;
};

// "2026-11-25 14:53:02" (UTC) or "-".
std::string human_time(const std::optional<TimestampMs>& ms);
// "12 ms", "3.4 s", "2 min 5 s" or "-".
std::string human_duration(const std::optional<std::int64_t>& ms);

// The colour that goes with a status word.
Color status_color(MigrationStatus status);

}  // namespace mongomigrate::cli
