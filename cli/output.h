// Output for people: tables aligned by display width, colour as --color says,
// durations and times in a readable form. Everything for machines goes
// through json_output.h.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mongomigrate/report.h"

namespace mongomigrate::cli {

enum class Color { kNone, kGreen, kRed, kYellow, kCyan, kDim, kBold };

// --color: auto (the default), always, never.
enum class ColorMode { kAuto, kAlways, kNever };
// nullopt for a word that is none of the three.
std::optional<ColorMode> parse_color_mode(std::string_view word);
// Set once from --color, before any output (process-wide).
void set_color_mode(ColorMode mode);

// Whether stdout (fd 1) or stderr (fd 2) gets colour: always with
// --color always, never with --color never; under auto, on a terminal with
// NO_COLOR unset (or empty) and TERM not "dumb".
bool use_color(int fd);

// The columns `text` takes on a terminal: a wide (East Asian) character
// counts 2, a combining mark or other zero-width character 0, any other
// character 1, and a byte that is not valid UTF-8 1. Cells are shown through
// core::printable, so there are no control characters to count.
std::size_t display_width(std::string_view text);

// `text` wrapped in the ANSI sequence for `color` when `enabled`.
std::string paint(const std::string& text, Color color, bool enabled);

// A table whose columns are as wide as their widest cell, by display width
// (wide CJK characters count 2). Colour codes in a cell do not count toward
// its width (cells carry colour separately).
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
