#include "core/database_selection.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <map>

#include <fmt/format.h>

#include "core/names.h"

namespace mongomigrate::core {
namespace {

std::string_view trimmed(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// The name, or why it cannot be one; `where` prefixes the message.
std::expected<std::string, std::string> checked_name(std::string_view name, const std::string& where) {
  if (name.empty()) return std::unexpected(where + "an empty database name");
  if (std::string problem = database_name_problem(name); !problem.empty()) {
    return std::unexpected(where + problem);
  }
  if (char32_t c = invisible_character(name)) {
    return std::unexpected(where + fmt::format("database name \"{}\" holds an invisible character (U+{:04X}): "
                                               "retype it",
                                               printable(name), static_cast<std::uint32_t>(c)));
  }
  return std::string(name);
}

std::expected<std::shared_ptr<const std::regex>, std::string> compile(const std::string& pattern,
                                                                      const char* option) {
  if (pattern.empty()) return nullptr;
  try {
    return std::make_shared<const std::regex>(pattern, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    return std::unexpected(std::string(option) + " \"" + pattern + "\" is not a valid regular expression: " +
                           e.what());
  }
}

}  // namespace

std::expected<std::vector<std::string>, std::string> parse_database_list(std::string_view text) {
  if (trimmed(text).empty()) return std::unexpected(std::string("--dbs: no database named"));
  std::vector<std::string> names;
  std::size_t start = 0;
  while (true) {
    std::size_t comma = text.find(',', start);
    std::string_view part = trimmed(text.substr(start, comma == std::string_view::npos ? text.npos : comma - start));
    auto name = checked_name(part, "--dbs: ");
    if (!name) return std::unexpected(name.error());
    names.push_back(std::move(*name));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return names;
}

std::expected<std::vector<std::string>, std::string> parse_database_lines(std::string_view text,
                                                                          std::string_view source) {
  std::vector<std::string> names;
  std::size_t line_number = 0;
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // a UTF-8 byte-order mark (Notepad's "UTF-8 with BOM")
  while (!text.empty()) {
    ++line_number;
    std::size_t end = text.find('\n');
    std::string_view line = trimmed(text.substr(0, end));
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (line.empty() || line.front() == '#') continue;
    auto name = checked_name(line, std::string(source) + ":" + std::to_string(line_number) + ": ");
    if (!name) return std::unexpected(name.error());
    names.push_back(std::move(*name));
  }
  return names;
}

std::expected<DatabaseFilter, std::string> DatabaseFilter::make(const std::string& match,
                                                                const std::string& exclude) {
  DatabaseFilter filter;
  auto m = compile(match, "--match");
  if (!m) return std::unexpected(m.error());
  auto x = compile(exclude, "--exclude");
  if (!x) return std::unexpected(x.error());
  filter.match_ = std::move(*m);
  filter.exclude_ = std::move(*x);
  return filter;
}

bool DatabaseFilter::keeps(const std::string& name) const {
  if (match_ && !std::regex_search(name, *match_)) return false;
  if (exclude_ && std::regex_search(name, *exclude_)) return false;
  return true;
}

std::string case_clash_problem(const std::vector<std::string>& names) {
  std::map<std::string, const std::string*> by_folded;
  for (const std::string& name : names) {
    std::string folded = name;
    for (char& c : folded) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto [it, inserted] = by_folded.emplace(std::move(folded), &name);
    if (!inserted && *it->second != name) {
      return fmt::format("databases \"{}\" and \"{}\" differ only in case: MongoDB holds only one of such names",
                         printable(*it->second), printable(name));
    }
  }
  return "";
}

bool is_system_database(std::string_view name) { return name == "admin" || name == "local" || name == "config"; }

std::vector<std::string> select_databases(std::vector<std::string> names, const DatabaseFilter& filter,
                                          bool drop_system) {
  std::erase_if(names,
                [&](const std::string& n) { return (drop_system && is_system_database(n)) || !filter.keeps(n); });
  std::ranges::sort(names);
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

int exit_code_severity(int code) {
  switch (code) {
    case 0: return 0;
    case 5: return 1;
    case 1: return 2;
    case 4: return 3;
    case 3: return 4;
    case 2: return 5;
    default: return code > 128 ? 7 : 6;
  }
}

int worst_exit_code(std::span<const int> codes) {
  int worst = 0;
  for (int code : codes) {
    if (exit_code_severity(code) > exit_code_severity(worst)) worst = code;
  }
  return worst;
}

}  // namespace mongomigrate::core
