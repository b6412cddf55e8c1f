#include "core/new_migration.h"

#include <fmt/format.h>

#include <cstdint>
#include <cstdio>
#include <optional>

#include "core/names.h"

namespace mongomigrate::core {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

struct Parsed {
  Naming naming;
  std::uint64_t value;  // the sequence number, or the timestamp's digits
  std::size_t width;
};

std::optional<std::chrono::sys_seconds> parse_timestamp(std::string_view d) {
  auto num = [&](std::size_t at, std::size_t n) {
    int v = 0;
    for (std::size_t i = at; i < at + n; ++i) v = v * 10 + (d[i] - '0');
    return v;
  };
  using namespace std::chrono;
  year_month_day ymd{year(num(0, 4)), month(static_cast<unsigned>(num(4, 2))), day(static_cast<unsigned>(num(6, 2)))};
  int h = num(8, 2), m = num(10, 2), s = num(12, 2);
  if (!ymd.ok() || int(ymd.year()) < 1970 || h > 23 || m > 59 || s > 59) return std::nullopt;
  return sys_days(ymd) + hours(h) + minutes(m) + seconds(s);
}

std::string format_timestamp(std::chrono::sys_seconds t) {
  using namespace std::chrono;
  sys_days day = floor<days>(t);
  year_month_day ymd{day};
  hh_mm_ss hms{t - day};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d%02u%02u%02d%02d%02d", int(ymd.year()), unsigned(ymd.month()), unsigned(ymd.day()),
                int(hms.hours().count()), int(hms.minutes().count()), int(hms.seconds().count()));
  return buf;
}

// The convention of one file name, if it follows one: leading digits then a
// non-digit or the end; a 14-digit date and time is a timestamp, fewer
// digits a sequence. "2024-01-15-x" (a date with dashes) follows neither;
// "002-2024-archive" is a sequence.
std::optional<Parsed> classify(std::string_view name) {
  if (!name.ends_with(".json") && !name.ends_with(".cc")) return std::nullopt;
  std::size_t n = 0;
  while (n < name.size() && is_digit(name[n])) ++n;
  if (n == 0 || n > 18) return std::nullopt;
  if (n == 4 && starts_with_date(name)) return std::nullopt;
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < n; ++i) value = value * 10 + static_cast<std::uint64_t>(name[i] - '0');
  if (n == 14 && parse_timestamp(name.substr(0, 14))) return Parsed{Naming::kTimestamp, value, n};
  if (n >= 14) return std::nullopt;
  return Parsed{Naming::kSequence, value, n};
}

void append_json_string(std::string& out, std::string_view s) {
  out.push_back('"');
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned char>(c));
          out += buf;
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

}  // namespace

std::expected<std::string, std::string> slug_description(std::string_view description) {
  std::string_view d = trim(description);
  if (d.empty()) return std::unexpected("the description is empty: say what the migration does, e.g. \"add user email index\"");
  for (char c : d) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return std::unexpected("the description has a control character");
  }
  if (!valid_utf8(d)) return std::unexpected("the description is not valid UTF-8");
  if (d.find('/') != std::string_view::npos || d.find('\\') != std::string_view::npos ||
      d.find("..") != std::string_view::npos) {
    return std::unexpected("the description \"" + std::string(d) +
                           "\" looks like a path: give words, e.g. \"add user email index\" (the file goes in --dir)");
  }
  std::string slug;
  for (char c : d) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    bool keep = (c >= 'a' && c <= 'z') || is_digit(c);
    if (keep) {
      slug.push_back(c);
    } else if (!slug.empty() && slug.back() != '-') {
      slug.push_back('-');
    }
  }
  while (!slug.empty() && slug.back() == '-') slug.pop_back();
  if (slug.empty()) {
    return std::unexpected("the description \"" + std::string(d) +
                           "\" has no ASCII letter or digit to name the file with");
  }
  constexpr std::size_t kMax = 60;
  if (slug.size() > kMax) {
    std::size_t cut = slug.rfind('-', kMax);
    slug.resize(cut != std::string::npos && cut > kMax / 2 ? cut : kMax);
    while (!slug.empty() && slug.back() == '-') slug.pop_back();
  }
  return slug;
}

std::expected<NextPrefix, std::string> next_prefix(const std::vector<std::string>& existing, Naming empty_default,
                                                   std::chrono::sys_seconds now) {
  std::size_t sequences = 0, timestamps = 0;
  std::optional<Parsed> top_sequence;
  std::optional<std::uint64_t> top_timestamp;
  std::string top_timestamp_text;
  for (const std::string& name : existing) {
    std::optional<Parsed> p = classify(name);
    if (!p) continue;
    if (p->naming == Naming::kSequence) {
      ++sequences;
      if (!top_sequence || p->value > top_sequence->value ||
          (p->value == top_sequence->value && p->width > top_sequence->width)) {
        top_sequence = p;
      }
    } else {
      ++timestamps;
      if (!top_timestamp || p->value > *top_timestamp) top_timestamp = p->value, top_timestamp_text = name.substr(0, 14);
    }
  }

  NextPrefix next;
  if (sequences == 0 && timestamps == 0) {
    next.naming = empty_default;
  } else if (sequences > timestamps) {
    next.naming = Naming::kSequence;
  } else {
    next.naming = Naming::kTimestamp;
  }
  if (sequences > 0 && timestamps > 0) {
    next.note = fmt::format("the directory mixes naming conventions ({} named by timestamp, {} by sequence number); "
                            "using {}",
                            timestamps, sequences,
                            next.naming == Naming::kSequence ? "a sequence number, the majority"
                            : sequences == timestamps        ? "a timestamp, as a tie goes to timestamps"
                                                             : "a timestamp, the majority");
  }

  if (next.naming == Naming::kSequence) {
    std::uint64_t value = top_sequence ? top_sequence->value + 1 : 1;
    std::size_t width = top_sequence ? top_sequence->width : 3;
    std::string digits = std::to_string(value);
    if (digits.size() > width) {
      return std::unexpected(fmt::format("the sequence is full: {} is the highest {}-digit number, and {} would sort "
                                         "before it; rename the files to a wider sequence or use timestamps",
                                         top_sequence->value, width, digits));
    }
    next.prefix = std::string(width - digits.size(), '0') + digits;
  } else {
    std::chrono::sys_seconds at = now;
    if (top_timestamp) {
      std::chrono::sys_seconds newest = *parse_timestamp(top_timestamp_text);
      if (at <= newest) at = newest + std::chrono::seconds(1);
    }
    next.prefix = format_timestamp(at);
    // Past 9999-12-31 23:59:59 the year takes a fifth digit, and a
    // 15-digit name sorts before every 14-digit one ("1" < "9"): it would
    // run first, not last.
    if (next.prefix.size() != 14) {
      return std::unexpected(fmt::format("the timestamps are full: {} is the latest 14-digit timestamp, and {} would "
                                         "sort before it; rename the files or use a sequence",
                                         top_timestamp ? top_timestamp_text : format_timestamp(now), next.prefix));
    }
  }
  return next;
}

std::string json_template(std::string_view description) {
  std::string out = "{\n  \"description\": ";
  append_json_string(out, trim(description));
  out += ",\n  \"up\": [],\n  \"down\": []\n}\n";
  return out;
}

std::string cpp_template(std::string_view description) {
  std::string literal;  // a JSON string is a valid C++ string literal for text without control characters
  append_json_string(literal, trim(description));
  return "// " + std::string(trim(description)) +
         "\n#include <mongomigrate/migration.h>\n\n"
         "using namespace mongomigrate;\n\n"
         "// ctx.command(...), ctx.create_index(...), ctx.update_many(...), ctx.for_each_batch(...); throw to fail.\n"
         "static void up([[maybe_unused]] Context& ctx) {\n"
         "}\n\n"
         "// Undo `up`. A migration that cannot be undone registers with MONGOMIGRATE_IRREVERSIBLE(description, up).\n"
         "static void down([[maybe_unused]] Context& ctx) {\n"
         "}\n\n"
         "MONGOMIGRATE_MIGRATION(" +
         literal + ", up, down);\n";
}

}  // namespace mongomigrate::core
