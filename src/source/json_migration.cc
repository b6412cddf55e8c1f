#include "source/json_migration.h"


#include <algorithm>
#include <cstddef>
#include <memory>
#include <regex>
#include <string_view>
#include <unordered_set>
#include <vector>

#include <fmt/format.h>

#include "core/names.h"
#include "mongo/bson_handles.h"
#include "source/sha256.h"
#include "source/shell_syntax.h"

namespace mongomigrate::source {
namespace {

using mongo::BsonString;
using mongo::OwnedBson;

struct JsonReaderDeleter {
  void operator()(bson_json_reader_t* r) const { bson_json_reader_destroy(r); }
};

Error bad(std::string_view path, std::string_view what) {
  return Error{ErrorKind::kBadInput, fmt::format("{}: {}", path, what)};
}

// libbson reports `Got parse error at "x", position 21: "TRAILING_COMMA"`;
// turn the position into line and column and the code into words.
std::string describe_syntax_error(std::string_view bytes, const char* message) {
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
  if (offset > bytes.size()) offset = bytes.size();
  std::size_t line = 1, column = 1;
  for (std::size_t i = 0; i < offset; ++i) {
    if (bytes[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  std::string reason = match[2].str();
  for (char& c : reason) c = c == '_' ? ' ' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return fmt::format("invalid JSON at line {}, column {} (byte offset {}): {}", line, column, offset,
                     reason);
}

const char* type_name(bson_type_t t) {
  switch (t) {
    case BSON_TYPE_DOUBLE: return "a number";
    case BSON_TYPE_UTF8: return "a string";
    case BSON_TYPE_DOCUMENT: return "a document";
    case BSON_TYPE_ARRAY: return "an array";
    case BSON_TYPE_BOOL: return "a boolean";
    case BSON_TYPE_NULL: return "null";
    case BSON_TYPE_INT32:
    case BSON_TYPE_INT64:
    case BSON_TYPE_DECIMAL128: return "a number";
    default: return "a non-document value";
  }
}

Result<std::vector<core::Command>> read_commands(std::string_view path, const char* key,
                                                 const bson_iter_t& field) {
  if (!BSON_ITER_HOLDS_ARRAY(&field)) {
    return std::unexpected(bad(path, fmt::format("\"{}\" must be an array of command documents, not {}",
                                                 key, type_name(bson_iter_type(&field)))));
  }
  std::vector<core::Command> commands;
  bson_iter_t item;
  if (!bson_iter_recurse(&field, &item)) {
    return std::unexpected(bad(path, fmt::format("\"{}\" is not a valid array", key)));
  }
  std::size_t index = 0;
  for (; bson_iter_next(&item); ++index) {
    if (!BSON_ITER_HOLDS_DOCUMENT(&item)) {
      return std::unexpected(bad(path, fmt::format("{}[{}] must be a command document, not {}", key,
                                                   index, type_name(bson_iter_type(&item)))));
    }
    uint32_t length = 0;
    const uint8_t* data = nullptr;
    bson_iter_document(&item, &length, &data);
    if (length > kMaxCommandBytes) {
      return std::unexpected(bad(path, fmt::format("{}[{}] is {} bytes as BSON, over the {} bytes a MongoDB server "
                                                   "accepts (maxBsonObjectSize)",
                                                   key, index, length, kMaxCommandBytes)));
    }
    bson_t command;
    if (!bson_init_static(&command, data, length)) {
      return std::unexpected(bad(path, fmt::format("{}[{}] is not a valid document", key, index)));
    }
    if (bson_count_keys(&command) == 0) {
      return std::unexpected(bad(path, fmt::format("{}[{}] is an empty document, not a command", key, index)));
    }
    commands.push_back(core::Command{std::vector<std::uint8_t>(data, data + length)});
  }
  return commands;
}

// Finds the first key that appears twice in one document of a migration
// file, at any depth. JSON allows duplicate keys and libbson keeps both, but
// the server reads one of them and a dry run shows the other, so a migration
// file may hold none. Every file is walked on every load (10,000 files for
// `status`), so nothing is allocated per key: the keys are views into the
// BSON, and the path is built only for the duplicate found.
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

}  // namespace

Result<core::Migration> parse_json_migration(std::string_view name, std::string_view path,
                                             std::string_view bytes) {
  std::string_view text = bytes;
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // UTF-8 byte-order mark
  std::size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return std::unexpected(bad(path, "the file is empty"));
  if (text[first] != '{') {
    return std::unexpected(bad(path, "expected a JSON object ({ \"up\": [...], ... }) at the top level"));
  }

  // A reader, not bson_new_from_json: that stops after the first object and
  // would silently ignore a second one after it.
  std::unique_ptr<bson_json_reader_t, JsonReaderDeleter> reader(bson_json_data_reader_new(false, 0));
  bson_json_data_reader_ingest(reader.get(), reinterpret_cast<const uint8_t*>(text.data()), text.size());
  bson_error_t error;
  OwnedBson doc(bson_new());
  if (bson_json_reader_read(reader.get(), doc.get(), &error) != 1) {
    std::string message = describe_syntax_error(text, error.message);
    if (std::string hint = shell_syntax_hint(text); !hint.empty()) message += "; " + hint;
    return std::unexpected(bad(path, message));
  }
  mongo::ScopedBson rest;
  if (bson_json_reader_read(reader.get(), rest.get(), &error) != 0) {
    return std::unexpected(bad(path, "invalid JSON: unexpected content after the top-level object"));
  }

  {
    if (std::string duplicate = DuplicateKeyFinder().find(doc.get()); !duplicate.empty()) {
      return std::unexpected(
          bad(path, fmt::format("\"{}\" appears twice: a key may appear only once in a document", duplicate)));
    }
  }

  core::Migration m;
  m.name = std::string(name);
  m.path = std::string(path);
  m.checksum = sha256_hex(bytes);
  bool has_up = false, has_down = false, has_description = false, has_version = false;

  bson_iter_t it;
  if (!bson_iter_init(&it, doc.get())) return std::unexpected(bad(path, "invalid document"));
  while (bson_iter_next(&it)) {
    std::string_view key = bson_iter_key(&it);
    auto duplicate = [&](bool& seen) -> bool {
      if (seen) return true;
      seen = true;
      return false;
    };
    auto string_field = [&](std::string& out) -> Result<void> {
      if (!BSON_ITER_HOLDS_UTF8(&it)) {
        return std::unexpected(bad(path, fmt::format("\"{}\" must be a string, not {}", key,
                                                     type_name(bson_iter_type(&it)))));
      }
      uint32_t len = 0;
      const char* s = bson_iter_utf8(&it, &len);
      out.assign(s, len);
      return {};
    };
    Result<void> ok;
    if (key == "up" || key == "down") {
      bool& seen = key == "up" ? has_up : has_down;
      if (duplicate(seen)) return std::unexpected(bad(path, fmt::format("\"{}\" appears twice", key)));
      auto commands = read_commands(path, key == "up" ? "up" : "down", it);
      if (!commands) return std::unexpected(commands.error());
      if (key == "up") {
        m.up = std::move(*commands);
      } else {
        m.down = std::move(*commands);
      }
    } else if (key == "description") {
      if (duplicate(has_description)) return std::unexpected(bad(path, "\"description\" appears twice"));
      ok = string_field(m.description);
    } else if (key == "version") {
      if (duplicate(has_version)) return std::unexpected(bad(path, "\"version\" appears twice"));
      ok = string_field(m.version);
    } else {
      return std::unexpected(bad(path, fmt::format("unknown key \"{}\" (allowed: description, version, up, down)", key)));
    }
    if (!ok) return std::unexpected(ok.error());
  }
  if (!has_up) return std::unexpected(bad(path, "missing \"up\": an array of command documents"));
  if (!has_version) m.version = core::derive_version(name);
  return m;
}

std::string oversized_command(const core::Migration& migration, bool down, std::size_t limit) {
  if (migration.compiled) return "";
  const std::vector<core::Command>* commands = &migration.up;
  if (down) {
    if (!migration.down) return "";
    commands = &*migration.down;
  }
  for (std::size_t i = 0; i < commands->size(); ++i) {
    std::size_t length = (*commands)[i].bson.size();
    if (length > limit) {
      return fmt::format("{}: {}[{}] is {} bytes as BSON, over the {} bytes this server accepts (its "
                         "maxBsonObjectSize); nothing was run",
                         migration.path, down ? "down" : "up", i, length, limit);
    }
  }
  return "";
}

std::string command_json(const core::Command& command) {
  bson_t doc;
  if (!bson_init_static(&doc, command.bson.data(), command.bson.size())) return "{}";
  BsonString json(bson_as_relaxed_extended_json(&doc, nullptr));
  return json ? std::string(json.get()) : std::string("{}");
}

}  // namespace mongomigrate::source
