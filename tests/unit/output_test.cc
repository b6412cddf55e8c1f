#include "output.h"

#include <unistd.h>

#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace mongomigrate::cli {
namespace {

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// `text` without ANSI SGR sequences (ESC '[' ... 'm').
std::string strip_ansi(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\033' && i + 1 < text.size() && text[i + 1] == '[') {
      std::size_t m = text.find('m', i);
      if (m == std::string::npos) break;
      i = m;
      continue;
    }
    out.push_back(text[i]);
  }
  return out;
}

Table sample_table() {
  Table t({"NAME", "STATUS", "DURATION"});
  t.add_row({"001-add-user-email-index.json", "applied", "12 ms"},
            {Color::kNone, Color::kGreen, Color::kNone});
  t.add_row({"002-x.json", "failed", "3.4 s"}, {Color::kNone, Color::kRed, Color::kNone});
  t.add_row({"v1.0.0-long-name-here.json", "pending", "-"});
  return t;
}

// ---------------------------------------------------------------- paint

TEST(Paint, DisabledOrNoneIsPlain) {
  EXPECT_EQ(paint("x", Color::kGreen, false), "x");
  EXPECT_EQ(paint("x", Color::kNone, true), "x");
  EXPECT_EQ(paint("x", Color::kNone, false), "x");
}

TEST(Paint, EnabledWrapsInSgrCodes) {
  EXPECT_EQ(paint("ok", Color::kGreen, true), "\033[32mok\033[0m");
  EXPECT_EQ(paint("no", Color::kRed, true), "\033[31mno\033[0m");
  EXPECT_EQ(paint("w", Color::kYellow, true), "\033[33mw\033[0m");
  EXPECT_EQ(paint("c", Color::kCyan, true), "\033[36mc\033[0m");
  EXPECT_EQ(paint("d", Color::kDim, true), "\033[2md\033[0m");
  EXPECT_EQ(paint("b", Color::kBold, true), "\033[1mb\033[0m");
}

// ---------------------------------------------------------------- Table

TEST(Table, RendersAlignedColumnsWithoutColor) {
  std::string out = sample_table().render(false);
  EXPECT_EQ(out,
            "NAME                           STATUS   DURATION\n"
            "001-add-user-email-index.json  applied  12 ms\n"
            "002-x.json                     failed   3.4 s\n"
            "v1.0.0-long-name-here.json     pending  -\n");
}

TEST(Table, EverySecondColumnStartsAtTheSameOffset) {
  Table t({"N", "STATUS"});
  t.add_row({"a", "x"});
  t.add_row({"a-much-longer-name.json", "applied"});
  t.add_row({"", "pending"});
  t.add_row({"mid-length", ""});
  std::vector<std::string> ls = lines(t.render(false));
  ASSERT_EQ(ls.size(), 5u);
  const std::size_t offset = std::string("a-much-longer-name.json").size() + 2;
  const std::vector<std::string> second = {"STATUS", "x", "applied", "pending", ""};
  for (std::size_t i = 0; i < ls.size(); ++i) {
    if (second[i].empty()) {
      EXPECT_LE(ls[i].size(), offset) << "line " << i << ": '" << ls[i] << "'";
      continue;
    }
    ASSERT_GE(ls[i].size(), offset) << "line " << i << ": '" << ls[i] << "'";
    EXPECT_EQ(ls[i].substr(offset), second[i]) << "line " << i << ": '" << ls[i] << "'";
    EXPECT_EQ(ls[i][offset - 1], ' ') << "line " << i;
  }
}

TEST(Table, TrailingSpacesAreTrimmed) {
  Table t({"NAME", "STATUS", "BY"});
  t.add_row({"001.json", "applied", ""});
  t.add_row({"002-longer.json", "", ""});
  t.add_row({"003.json", "pending", "alice"});
  std::string out = t.render(false);
  for (const std::string& line : lines(out)) {
    ASSERT_FALSE(line.empty());
    EXPECT_NE(line.back(), ' ') << "'" << line << "'";
  }
  EXPECT_EQ(out,
            "NAME             STATUS   BY\n"
            "001.json         applied\n"
            "002-longer.json\n"
            "003.json         pending  alice\n");
}

TEST(Table, MissingCellsAreBlank) {
  Table t({"A", "B", "C"});
  t.add_row({"1"});
  t.add_row({"2", "two", "II"});
  EXPECT_EQ(t.render(false), "A  B    C\n1\n2  two  II\n");
}

TEST(Table, HeadersOnly) {
  Table t({"NAME", "STATUS"});
  EXPECT_TRUE(t.empty());
  EXPECT_EQ(t.render(false), "NAME  STATUS\n");
  t.add_row({"x", "y"});
  EXPECT_FALSE(t.empty());
}

TEST(Table, NoAnsiCodesWithoutColor) {
  std::string out = sample_table().render(false);
  EXPECT_EQ(out.find('\033'), std::string::npos) << out;
}

TEST(Table, AnsiCodesWithColor) {
  std::string out = sample_table().render(true);
  EXPECT_NE(out.find("\033[1m"), std::string::npos) << out;   // bold headers
  EXPECT_NE(out.find("\033[32m"), std::string::npos) << out;  // green "applied"
  EXPECT_NE(out.find("\033[31m"), std::string::npos) << out;  // red "failed"
  EXPECT_NE(out.find("\033[0m"), std::string::npos) << out;
}

TEST(Table, ColorCodesDoNotCountTowardWidth) {
  Table t = sample_table();
  EXPECT_EQ(strip_ansi(t.render(true)), t.render(false));
}

TEST(Table, TrailingSpacesAreTrimmedWithColorToo) {
  Table t({"NAME", "STATUS", "BY"});
  // "failed" is padded to the width of "applied" inside its colour codes.
  t.add_row({"001.json", "failed", ""}, {Color::kNone, Color::kRed, Color::kNone});
  t.add_row({"002.json", "applied", "bob"}, {Color::kNone, Color::kGreen, Color::kNone});
  EXPECT_EQ(strip_ansi(t.render(true)), t.render(false));
}

// ---------------------------------------------------------------- human_duration

TEST(HumanDuration, Absent) { EXPECT_EQ(human_duration(std::nullopt), "-"); }

TEST(HumanDuration, Milliseconds) {
  EXPECT_EQ(human_duration(0), "0 ms");
  EXPECT_EQ(human_duration(12), "12 ms");
  EXPECT_EQ(human_duration(999), "999 ms");
}

TEST(HumanDuration, Seconds) {
  EXPECT_EQ(human_duration(1000), "1.0 s");
  EXPECT_EQ(human_duration(3400), "3.4 s");
  EXPECT_EQ(human_duration(59'000), "59.0 s");
}

TEST(HumanDuration, Minutes) {
  EXPECT_EQ(human_duration(60'000), "1 min 0 s");
  EXPECT_EQ(human_duration(125'000), "2 min 5 s");
  EXPECT_EQ(human_duration(125'999), "2 min 5 s");
  EXPECT_EQ(human_duration(3'600'000), "60 min 0 s");
}

TEST(HumanDuration, JustUnderAMinuteDoesNotRoundUpToSixtySeconds) {
  // 59.999 s must not print as "60.0 s" (60 s is "1 min 0 s").
  std::string out = human_duration(59'999);
  EXPECT_NE(out, "60.0 s");
  EXPECT_TRUE(out == "59.9 s" || out == "1 min 0 s") << out;
}

// ---------------------------------------------------------------- human_time

TEST(HumanTime, Absent) { EXPECT_EQ(human_time(std::nullopt), "-"); }

TEST(HumanTime, UtcWithoutMillis) {
  EXPECT_EQ(human_time(0), "1970-01-01 00:00:00");
  EXPECT_EQ(human_time(1700000000123), "2023-11-14 22:13:20");
  EXPECT_EQ(human_time(951782400999), "2000-02-29 00:00:00");
}

// ---------------------------------------------------------------- status_color

TEST(StatusColor, OnePerStatus) {
  EXPECT_EQ(status_color(MigrationStatus::kApplied), Color::kGreen);
  EXPECT_EQ(status_color(MigrationStatus::kFailed), Color::kRed);
  EXPECT_EQ(status_color(MigrationStatus::kInterrupted), Color::kRed);
  EXPECT_EQ(status_color(MigrationStatus::kRunning), Color::kCyan);
  EXPECT_EQ(status_color(MigrationStatus::kReverted), Color::kYellow);
  EXPECT_EQ(status_color(MigrationStatus::kPending), Color::kNone);
  EXPECT_EQ(status_color(MigrationStatus::kInvalid), Color::kRed);
}

// ---------------------------------------------------------------- use_color

TEST(UseColor, NeverForAPipe) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  EXPECT_FALSE(use_color(fds[0]));
  EXPECT_FALSE(use_color(fds[1]));
  close(fds[0]);
  close(fds[1]);
}

TEST(UseColor, NeverForAClosedDescriptor) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  close(fds[0]);
  close(fds[1]);
  EXPECT_FALSE(use_color(fds[0]));
}

// ---------------------------------------------------------------- display width

TEST(DisplayWidth, WideCharactersCountTwoAndCombiningMarksZero) {
  EXPECT_EQ(display_width(""), 0u);
  EXPECT_EQ(display_width("abc"), 3u);
  EXPECT_EQ(display_width("中文"), 4u);
  EXPECT_EQ(display_width("e\xcc\x81"), 1u) << "e + U+0301";
  EXPECT_EQ(display_width("\xc3\xa9t\xc3\xa9"), 3u) << "precomposed é";
  EXPECT_EQ(display_width("\xff"), 1u) << "a byte that is not UTF-8";
}

TEST(Table, AlignsWideAndCombiningCharactersByDisplayWidth) {
  Table t({"NAME", "STATUS"});
  t.add_row({"中文.json", "applied"});
  t.add_row({"cafe\xcc\x81.json", "pending"});
  t.add_row({"abcdefghi", "failed"});
  EXPECT_EQ(lines(t.render(false)), (std::vector<std::string>{"NAME       STATUS", "中文.json  applied",
                                                              "cafe\xcc\x81.json  pending", "abcdefghi  failed"}));
}

// ---------------------------------------------------------------- colour mode

TEST(ColorMode, ParsesTheThreeWords) {
  EXPECT_EQ(parse_color_mode("auto"), ColorMode::kAuto);
  EXPECT_EQ(parse_color_mode("always"), ColorMode::kAlways);
  EXPECT_EQ(parse_color_mode("never"), ColorMode::kNever);
  EXPECT_EQ(parse_color_mode("purple"), std::nullopt);
  EXPECT_EQ(parse_color_mode(""), std::nullopt);
}

TEST(ColorMode, AlwaysAndNeverOverrideTheTerminalTest) {
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  set_color_mode(ColorMode::kAlways);
  EXPECT_TRUE(use_color(fds[1])) << "a pipe, coloured on request";
  set_color_mode(ColorMode::kNever);
  EXPECT_FALSE(use_color(fds[1]));
  set_color_mode(ColorMode::kAuto);
  EXPECT_FALSE(use_color(fds[1]));
  close(fds[0]);
  close(fds[1]);
}

}  // namespace
}  // namespace mongomigrate::cli
