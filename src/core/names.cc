#include "core/names.h"

#include <algorithm>
#include <cctype>
#include <cstdint>

#include <fmt/format.h>

namespace mongomigrate::core {
namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Length of a run of digits starting at `pos`.
std::size_t digits_at(std::string_view s, std::size_t pos) {
  std::size_t n = 0;
  while (pos + n < s.size() && is_digit(s[pos + n])) ++n;
  return n;
}

// True when the version token ends at `end`: the name ends there or a
// separator follows.
bool token_ends(std::string_view s, std::size_t end) {
  return end == s.size() || s[end] == '-' || s[end] == '_' || s[end] == '.';
}

// Characters that must never reach a terminal raw: C0 controls, DEL, C1
// controls, and the invisible ones that reorder text or break lines (a name
// that displays as another, "Trojan Source").
bool is_unprintable(char32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x200E || cp == 0x200F || cp == 0x2028 ||
         cp == 0x2029 || (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

}  // namespace

bool starts_with_date(std::string_view s) {
  return s.size() >= 10 && digits_at(s, 0) == 4 && s[4] == '-' && digits_at(s, 5) == 2 &&
         s[7] == '-' && digits_at(s, 8) == 2;
}

char32_t invisible_character(std::string_view name) {
  for (std::size_t pos = 0; pos < name.size();) {
    Decoded d = decode_utf8(name, pos);
    char32_t c = d.code_point;
    if (c == 0xA0 || c == 0xAD || (c >= 0x200B && c <= 0x200D) || (c >= 0x2060 && c <= 0x2064) || c == 0xFEFF) {
      return c;
    }
    pos += std::max<std::size_t>(d.length, 1);
  }
  return 0;
}

Decoded decode_utf8(std::string_view text, std::size_t pos) {
  auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[pos + i]); };
  unsigned char lead = byte(0);
  if (lead < 0x80) return {lead, 1};
  std::size_t length;
  char32_t cp, min;
  if ((lead & 0xE0) == 0xC0) {
    length = 2, cp = lead & 0x1F, min = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3, cp = lead & 0x0F, min = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4, cp = lead & 0x07, min = 0x10000;
  } else {
    return {};
  }
  if (pos + length > text.size()) return {};
  for (std::size_t i = 1; i < length; ++i) {
    if ((byte(i) & 0xC0) != 0x80) return {};
    cp = (cp << 6) | (byte(i) & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return {};
  return {cp, length};
}

bool valid_utf8(std::string_view text) {
  for (std::size_t pos = 0; pos < text.size();) {
    std::size_t length = decode_utf8(text, pos).length;
    if (length == 0) return false;
    pos += length;
  }
  return true;
}

std::string printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  constexpr const char* kHex = "0123456789abcdef";
  for (std::size_t pos = 0; pos < text.size();) {
    Decoded d = decode_utf8(text, pos);
    if (d.length == 0 || (d.length == 1 && is_unprintable(d.code_point))) {
      unsigned char c = static_cast<unsigned char>(text[pos]);
      switch (c) {
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default: out += {'\\', 'x', kHex[c >> 4], kHex[c & 0xF]};
      }
      ++pos;
      continue;
    }
    if (is_unprintable(d.code_point)) {
      out += "\\u";
      for (int shift = 12; shift >= 0; shift -= 4) out.push_back(kHex[(d.code_point >> shift) & 0xF]);
    } else {
      out.append(text.substr(pos, d.length));
    }
    pos += d.length;
  }
  return out;
}

std::string derive_version(std::string_view name) {
  // A dotted "v1.2.3" must not be confused with the file extension, so look
  // at the name without it.
  if (auto dot = name.rfind('.'); dot != std::string_view::npos && dot > 0) {
    std::string_view ext = name.substr(dot + 1);
    if (!ext.empty() && digits_at(ext, 0) == 0) name = name.substr(0, dot);
  }
  if (starts_with_date(name) && token_ends(name, 10)) return std::string(name.substr(0, 10));
  if (std::size_t n = digits_at(name, 0); n > 0 && token_ends(name, n)) {
    return std::string(name.substr(0, n));
  }
  if (name.size() > 1 && (name[0] == 'v' || name[0] == 'V') && is_digit(name[1])) {
    // v<digits>(.<digits>)*
    std::size_t end = 1;
    while (true) {
      std::size_t n = digits_at(name, end);
      if (n == 0) return "";
      end += n;
      if (end < name.size() && name[end] == '.' && end + 1 < name.size() && is_digit(name[end + 1])) {
        ++end;
        continue;
      }
      break;
    }
    if (token_ends(name, end)) return std::string(name.substr(0, end));
  }
  return "";
}

std::string name_problem(std::string_view name) {
  if (name.empty()) return "the name is empty";
  if (name.find('/') != std::string_view::npos || name.find('\\') != std::string_view::npos) {
    return "a migration name cannot contain a path separator";
  }
  if (name.find("..") != std::string_view::npos) return "a migration name cannot contain \"..\"";
  if (name.front() == '.') return "a migration name cannot start with '.'";
  for (std::size_t pos = 0; pos < name.size();) {
    Decoded d = decode_utf8(name, pos);
    if (d.length == 0) return "a migration name must be valid UTF-8";
    if (is_unprintable(d.code_point)) return "a migration name cannot contain control characters";
    pos += d.length;
  }
  if (char32_t c = invisible_character(name)) {
    return fmt::format("a migration name cannot contain an invisible character (U+{:04X}): it would print like "
                       "another name",
                       static_cast<std::uint32_t>(c));
  }
  return "";
}

namespace {

// Whether `text` is valid UTF-8 with no character is_unprintable() names.
bool plain_text(std::string_view text, std::string* problem) {
  for (std::size_t pos = 0; pos < text.size();) {
    Decoded d = decode_utf8(text, pos);
    if (d.length == 0) {
      *problem = "it is not valid UTF-8";
      return false;
    }
    if (is_unprintable(d.code_point)) {
      *problem = d.code_point == 0 ? "it contains a NUL byte" : "it contains control characters";
      return false;
    }
    pos += d.length;
  }
  return true;
}

}  // namespace

std::string database_name_problem(std::string_view database) {
  auto refuse = [&](std::string_view why) {
    return fmt::format("invalid database name \"{}\": {}", printable(database), why);
  };
  if (database.empty()) return "invalid database name: it is empty";
  if (database.size() > kMaxDatabaseNameBytes) {
    return refuse(fmt::format("it is {} bytes long; MongoDB allows {} at most", database.size(),
                              kMaxDatabaseNameBytes));
  }
  if (database.find_first_of(std::string_view("/\\. \"$\0", 7)) != std::string_view::npos) {
    return refuse("MongoDB database names cannot contain '/', '\\', '.', ' ', '\"' or '$'");
  }
  if (std::string problem; !plain_text(database, &problem)) return refuse(problem);
  return "";
}

bool is_driver_managed_key(std::string_view key) {
  return key.starts_with('$') || key == "lsid" || key == "txnNumber" || key == "startTransaction" ||
         key == "autocommit";
}

std::string collection_name_problem(std::string_view collection) {
  auto refuse = [&](std::string_view why) {
    return fmt::format("invalid collection name \"{}\": {}", printable(collection), why);
  };
  if (collection.empty()) return "invalid collection name: it is empty";
  if (collection.find('$') != std::string_view::npos) {
    return refuse("MongoDB keeps names with '$' for its own namespaces");
  }
  if (collection.starts_with("system.")) return refuse("names starting with \"system.\" are reserved for MongoDB");
  if (collection.front() == '.') return refuse("a collection name cannot start with '.'");
  if (std::string problem; !plain_text(collection, &problem)) return refuse(problem);
  return "";
}

std::string tracking_namespace_problem(std::string_view database, std::string_view collection) {
  if (std::string problem = database_name_problem(database); !problem.empty()) return problem;
  if (std::string problem = collection_name_problem(collection); !problem.empty()) return problem;
  // The longest of the three names decides.
  std::string_view suffix = std::max(kEventsSuffix, kLockSuffix, [](std::string_view a, std::string_view b) {
    return a.size() < b.size();
  });
  std::size_t length = database.size() + 1 + collection.size() + suffix.size();
  if (length > kMaxNamespaceBytes) {
    return fmt::format("invalid collection name \"{}\": its events collection (\"{}\" added) in database \"{}\" "
                       "would make a namespace of {} bytes, over MongoDB's limit of {}",
                       printable(collection), suffix, printable(database), length, kMaxNamespaceBytes);
  }
  return "";
}

}  // namespace mongomigrate::core
