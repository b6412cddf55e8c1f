#include "mongo/extended_json.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <regex>
#include <system_error>
#include <unordered_set>

#include <fmt/format.h>

#include "core/names.h"
#include "mongo/bson_handles.h"

namespace mongomigrate::mongo {
namespace {

struct JsonReaderDeleter {
  void operator()(bson_json_reader_t* r) const { bson_json_reader_destroy(r); }
};

// Calls visit(i) for each byte i < end of `text` that is not inside a
// string literal (the quotes that open and close one are visited). Strings
// are skipped whole, escapes included.
template <class Visit>
void outside_strings(std::string_view text, std::size_t end, Visit&& visit) {
  bool in_string = false, escaped = false;
  for (std::size_t i = 0; i < end && i < text.size(); ++i) {
    char c = text[i];
    if (in_string && escaped) {
      escaped = false;
    } else if (in_string && c == '\\') {
      escaped = true;
    } else if (in_string && c != '"') {
      // inside the string
    } else {
      if (c == '"') in_string = !in_string;
      visit(i);
    }
  }
}

// Where the text stands at byte `offset`, as a JSON scanner sees it: the
// open brackets around it (innermost last), the last character outside a
// string and white space before it, and where the top-level value closed
// (npos while it is open).
struct ScanState {
  std::string open;
  char last = '\0';
  std::size_t closed_at = std::string_view::npos;
};
ScanState scan_to(std::string_view text, std::size_t offset) {
  ScanState state;
  outside_strings(text, offset, [&](std::size_t i) {
    char c = text[i];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') return;
    state.last = c;
    if (c == '{' || c == '[') {
      state.open.push_back(c);
    } else if ((c == '}' || c == ']') && !state.open.empty()) {
      state.open.pop_back();
      if (state.open.empty() && state.closed_at == std::string_view::npos) state.closed_at = i + 1;
    }
  });
  return state;
}

std::string line_and_column(std::string_view text, std::size_t offset) {
  std::size_t line = 1, column = 1;
  for (std::size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return fmt::format("line {}, column {} (byte offset {})", line, column, offset);
}

// libbson reports `Got parse error at "x", position 21: "TRAILING_COMMA"`;
// turn the position into line and column and the code into words. Its
// words for two common mistakes say nothing to a person ("cant insert",
// "special expected"): text after the top-level object and a key without
// quotes get a sentence of their own.
std::string describe_syntax_error(std::string_view text, const char* message) {
  static const std::regex kPattern(R"(position (\d+): \"([A-Z_]+)\")");
  std::cmatch match;
  if (!std::regex_search(message, match, kPattern)) {
    if (std::string_view(message) == "Incomplete JSON") {
      // libbson gives no position here; name the usual causes instead.
      return "invalid JSON: incomplete (a missing comma, bracket or brace, or the file is cut short)";
    }
    return fmt::format("invalid JSON: {}", message);
  }
  std::size_t offset = std::stoul(match[1].str());
  if (offset > text.size()) offset = text.size();
  ScanState state = scan_to(text, offset);
  std::string reason;
  if (state.closed_at != std::string_view::npos) {
    // libbson reads on past the object and trips over what follows it.
    reason = "unexpected text after the closing } of the top-level object";
  } else if (match[2].str() == "SPECIAL_EXPECTED" && !state.open.empty() && state.open.back() == '{' &&
             (state.last == '{' || state.last == ',')) {
    reason = "keys must be quoted strings (\"key\": value)";
  } else {
    reason = match[2].str();
    for (char& c : reason) c = c == '_' ? ' ' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return fmt::format("invalid JSON at {}: {}", line_and_column(text, offset), reason);
}

FieldKind kind_of(bson_type_t t) {
  switch (t) {
    case BSON_TYPE_DOUBLE:
    case BSON_TYPE_INT32:
    case BSON_TYPE_INT64:
    case BSON_TYPE_DECIMAL128: return FieldKind::kNumber;
    case BSON_TYPE_UTF8: return FieldKind::kString;
    case BSON_TYPE_DOCUMENT: return FieldKind::kDocument;
    case BSON_TYPE_ARRAY: return FieldKind::kArray;
    case BSON_TYPE_BOOL: return FieldKind::kBoolean;
    case BSON_TYPE_NULL: return FieldKind::kNull;
    default: return FieldKind::kOther;
  }
}

bool init_static(bson_t* doc, std::span<const std::uint8_t> bytes) {
  return !bytes.empty() && bson_init_static(doc, bytes.data(), bytes.size());
}

// Finds the first key that appears twice in one document, at any depth. JSON
// allows duplicate keys and libbson keeps both, but the server reads one of
// them and a dry run shows the other, so a migration file may hold none.
// Every file is walked on every load (10,000 files for `status`), so nothing
// is allocated per key: the keys are views into the BSON, and the path is
// built only for the duplicate found.
class DuplicateKeyFinder {
 public:
  // The path of the first duplicate key in `doc` ("up[0].insert"), or "".
  std::string find(const bson_t* doc) {
    bson_iter_t it;
    if (!bson_iter_init(&it, doc) || !walk(&it, /*in_array=*/false)) return "";
    std::string path;
    for (const Step& step : path_) {
      if (step.in_array) {
        path += fmt::format("[{}]", step.key);
      } else {
        if (!path.empty()) path += '.';
        path += core::printable(step.key);
      }
    }
    return path;
  }

 private:
  struct Step {
    std::string_view key;
    bool in_array;
  };

  // True once a duplicate is found; path_ then leads to it.
  bool walk(bson_iter_t* it, bool in_array) {
    std::size_t first = keys_.size();  // this document's keys are keys_[first..]
    std::unordered_set<std::string_view> many;  // only for documents with many keys
    while (bson_iter_next(it)) {
      std::string_view key(bson_iter_key(it), bson_iter_key_len(it));
      path_.push_back({key, in_array});
      if (!in_array) {
        // Most documents have a few keys: a scan beats hashing them.
        constexpr std::size_t kScanned = 16;
        std::size_t count = keys_.size() - first;
        bool seen;
        if (count < kScanned) {
          seen = std::find(keys_.begin() + static_cast<std::ptrdiff_t>(first), keys_.end(), key) != keys_.end();
        } else {
          if (many.empty()) many.insert(keys_.begin() + static_cast<std::ptrdiff_t>(first), keys_.end());
          seen = !many.insert(key).second;
        }
        if (seen) return true;
        keys_.push_back(key);
      }
      bson_iter_t child;
      if ((BSON_ITER_HOLDS_DOCUMENT(it) || BSON_ITER_HOLDS_ARRAY(it)) && bson_iter_recurse(it, &child)) {
        std::size_t mark = keys_.size();
        if (walk(&child, BSON_ITER_HOLDS_ARRAY(it))) return true;
        keys_.resize(mark);
      }
      path_.pop_back();
    }
    return false;
  }

  std::vector<std::string_view> keys_;  // of the documents being walked, outermost first
  std::vector<Step> path_;
};

// The first integer literal outside a string that a 64-bit integer cannot
// hold, with where it starts; libbson wraps such a number around (20 digits
// and more) into another one without a word. "" when there is none.
std::string out_of_range_integer(std::string_view text) {
  std::string problem;
  std::size_t past_number = 0;  // where the number being read ends
  outside_strings(text, text.size(), [&](std::size_t i) {
    char c = text[i];
    if (!problem.empty() || i < past_number || (c != '-' && (c < '0' || c > '9'))) return;
    std::size_t end = i + (c == '-' ? 1 : 0);
    while (end < text.size() && text[end] >= '0' && text[end] <= '9') ++end;
    bool integer = end == text.size() || (text[end] != '.' && text[end] != 'e' && text[end] != 'E');
    std::string_view token = text.substr(i, end - i);
    std::int64_t value = 0;
    if (integer && token != "-" &&
        std::from_chars(token.data(), token.data() + token.size(), value).ec == std::errc::result_out_of_range) {
      problem = fmt::format("invalid JSON at {}: the integer {} does not fit in 64 bits; write it as a double "
                            "({}.0) or as {{\"$numberDecimal\": \"{}\"}}",
                            line_and_column(text, i), token, token, token);
    }
    // Past the rest of the number (fraction, exponent).
    while (end < text.size() && (std::isdigit(static_cast<unsigned char>(text[end])) || text[end] == '.' ||
                                 text[end] == 'e' || text[end] == 'E' || text[end] == '+' || text[end] == '-')) {
      ++end;
    }
    past_number = end;
  });
  return problem;
}

}  // namespace

std::expected<std::vector<std::uint8_t>, std::string> parse_json_object(std::string_view text) {
  // A UTF-8 byte-order mark is read as three spaces, so that every position
  // reported counts the file's own bytes.
  std::string without_mark;
  if (text.starts_with("\xEF\xBB\xBF")) {
    without_mark.reserve(text.size());
    without_mark.append("   ").append(text.substr(3));
    text = without_mark;
  }
  // libbson's message quotes the byte it stopped at with %c: a NUL would cut
  // it short, leaving no position and no reason.
  if (std::size_t nul = text.find('\0'); nul != std::string_view::npos) {
    return std::unexpected(fmt::format("invalid JSON at {}: a NUL byte (is the file UTF-16? save it as UTF-8)",
                                       line_and_column(text, nul)));
  }
  // A reader, not bson_new_from_json: that stops after the first object and
  // would silently ignore a second one after it.
  std::unique_ptr<bson_json_reader_t, JsonReaderDeleter> reader(bson_json_data_reader_new(false, 0));
  bson_json_data_reader_ingest(reader.get(), reinterpret_cast<const uint8_t*>(text.data()), text.size());
  bson_error_t error;
  ScopedBson doc;
  if (bson_json_reader_read(reader.get(), doc.get(), &error) != 1) {
    return std::unexpected(describe_syntax_error(text, error.message));
  }
  ScopedBson rest;
  if (bson_json_reader_read(reader.get(), rest.get(), &error) != 0) {
    return std::unexpected("invalid JSON: unexpected content after the top-level object");
  }
  // libbson skips a comma after the object and what follows it ("{...}, {}").
  std::size_t start = text.find_first_not_of(" \t\r\n");
  std::size_t end = scan_to(text, text.size()).closed_at;
  if (start != std::string_view::npos && text[start] == '{' && end != std::string_view::npos) {
    if (std::size_t extra = text.find_first_not_of(" \t\r\n", end); extra != std::string_view::npos) {
      return std::unexpected(fmt::format("invalid JSON at {}: unexpected text after the closing }} of the top-level "
                                         "object",
                                         line_and_column(text, extra)));
    }
  }
  if (std::string problem = out_of_range_integer(text); !problem.empty()) return std::unexpected(problem);
  const std::uint8_t* data = bson_get_data(doc.get());
  return std::vector<std::uint8_t>(data, data + doc.get()->len);
}

const char* kind_in_words(FieldKind kind) {
  switch (kind) {
    case FieldKind::kNumber: return "a number";
    case FieldKind::kString: return "a string";
    case FieldKind::kDocument: return "a document";
    case FieldKind::kArray: return "an array";
    case FieldKind::kBoolean: return "a boolean";
    case FieldKind::kNull: return "null";
    case FieldKind::kOther: break;
  }
  return "a non-document value";
}

std::optional<std::vector<Field>> fields_of(std::span<const std::uint8_t> document) {
  bson_t doc;
  bson_iter_t it;
  if (!init_static(&doc, document) || !bson_iter_init(&it, &doc)) return std::nullopt;
  std::vector<Field> fields;
  while (bson_iter_next(&it)) {
    Field field{.key = std::string_view(bson_iter_key(&it), bson_iter_key_len(&it)),
                .kind = kind_of(bson_iter_type(&it))};
    if (field.kind == FieldKind::kString) {
      uint32_t length = 0;
      const char* text = bson_iter_utf8(&it, &length);
      field.text = std::string_view(text, length);
    } else if (field.kind == FieldKind::kDocument || field.kind == FieldKind::kArray) {
      uint32_t length = 0;
      const uint8_t* data = nullptr;
      if (field.kind == FieldKind::kDocument) {
        bson_iter_document(&it, &length, &data);
      } else {
        bson_iter_array(&it, &length, &data);
      }
      field.bson = std::span<const std::uint8_t>(data, length);
    }
    fields.push_back(field);
  }
  return fields;
}

std::string first_duplicate_key(std::span<const std::uint8_t> document) {
  bson_t doc;
  if (!init_static(&doc, document)) return "";
  return DuplicateKeyFinder().find(&doc);
}

std::string relaxed_json(std::span<const std::uint8_t> document) {
  bson_t doc;
  if (!init_static(&doc, document)) return "{}";
  BsonString json(bson_as_relaxed_extended_json(&doc, nullptr));
  return json ? std::string(json.get()) : std::string("{}");
}

}  // namespace mongomigrate::mongo
