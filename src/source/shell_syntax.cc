#include "source/shell_syntax.h"

#include <algorithm>
#include <cctype>
#include <regex>

#include <fmt/format.h>

namespace mongomigrate::source {
namespace {

bool is_identifier_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$'; }

// The Extended JSON of a constructor called with `argument` (the text of its
// one literal argument, unquoted; empty when it had none).
std::string extended_json(std::string_view constructor, const std::string& argument, bool quoted) {
  std::string value = argument.empty() ? "..." : argument;
  if (constructor == "ObjectId") return fmt::format(R"({{"$oid": "{}"}})", argument.empty() ? "<24 hex digits>" : value);
  if (constructor == "NumberLong") return fmt::format(R"({{"$numberLong": "{}"}})", value);
  if (constructor == "NumberInt") return fmt::format(R"({{"$numberInt": "{}"}})", value);
  if (constructor == "NumberDecimal") return fmt::format(R"({{"$numberDecimal": "{}"}})", value);
  // ISODate / new Date: a string is an ISO-8601 date, a number milliseconds.
  if (!argument.empty() && !quoted) return fmt::format(R"({{"$date": {{"$numberLong": "{}"}}}})", argument);
  // Extended JSON needs a time and a zone, which the shell does without: a
  // bare date is midnight UTC there, a time without a zone is taken as UTC.
  static const std::regex kBareDate(R"(^\d{4}-\d{2}-\d{2}$)");
  static const std::regex kNoZone(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$)");
  if (std::regex_match(value, kBareDate)) value += "T00:00:00Z";
  if (std::regex_match(value, kNoZone)) value += "Z";
  return fmt::format(R"({{"$date": "{}"}})", argument.empty() ? "2024-01-01T00:00:00Z" : value);
}

}  // namespace

std::string shell_syntax_hint(std::string_view text) {
  static const std::regex kCall(
      R"re(^(new\s+Date|ISODate|ObjectId|NumberLong|NumberInt|NumberDecimal)\s*\(\s*(?:"([^"\n]*)"|'([^'\n]*)'|(-?[0-9][0-9.]*))?\s*\))re");
  bool in_string = false;
  std::size_t line = 1;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\n') ++line;
    if (in_string) {
      if (c == '\\') {
        ++i;  // the escaped character, whatever it is
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
      continue;
    }
    if (!std::isalpha(static_cast<unsigned char>(c)) || (i > 0 && is_identifier_char(text[i - 1]))) continue;
    // The regex only where one of its words starts: run at every identifier
    // of a large file it took seconds.
    std::string_view word = text.substr(i, 6);
    if (!word.starts_with("new") && !word.starts_with("ISODat") && !word.starts_with("Object") &&
        !word.starts_with("Number")) {
      continue;
    }
    std::cmatch match;
    // At most a line's worth: the regex has nothing to do further on.
    std::string_view rest = text.substr(i, std::min<std::size_t>(text.size() - i, 256));
    if (!std::regex_search(rest.data(), rest.data() + rest.size(), match, kCall)) continue;
    std::string constructor = match[1].str();
    if (constructor.starts_with("new")) constructor = "new Date";
    bool quoted = match[2].matched || match[3].matched;
    std::string argument = match[2].matched ? match[2].str() : match[3].matched ? match[3].str() : match[4].str();
    std::string_view call_name = constructor == "new Date" ? std::string_view("Date") : std::string_view(constructor);
    return fmt::format("line {} has the shell's {}, which is not JSON: write {}", line, match[0].str(),
                       extended_json(call_name, argument, quoted));
  }
  return "";
}

}  // namespace mongomigrate::source
