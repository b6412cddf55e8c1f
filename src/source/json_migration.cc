#include "source/json_migration.h"

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "core/names.h"
#include "mongo/extended_json.h"
#include "source/sha256.h"
#include "source/shell_syntax.h"

namespace mongomigrate::source {
namespace {

using mongo::Field;
using mongo::FieldKind;
using mongo::kind_in_words;

Error bad(std::string_view path, std::string_view what) {
  return Error{ErrorKind::kBadInput, fmt::format("{}: {}", path, what)};
}

Result<std::vector<core::Command>> read_commands(std::string_view path, const char* key, const Field& field) {
  if (field.kind != FieldKind::kArray) {
    return std::unexpected(bad(path, fmt::format("\"{}\" must be an array of command documents, not {}", key,
                                                 kind_in_words(field.kind))));
  }
  std::optional<std::vector<Field>> items = mongo::fields_of(field.bson);
  if (!items) return std::unexpected(bad(path, fmt::format("\"{}\" is not a valid array", key)));
  std::vector<core::Command> commands;
  commands.reserve(items->size());
  for (std::size_t index = 0; index < items->size(); ++index) {
    const Field& item = (*items)[index];
    if (item.kind != FieldKind::kDocument) {
      return std::unexpected(bad(path, fmt::format("{}[{}] must be a command document, not {}", key, index,
                                                   kind_in_words(item.kind))));
    }
    if (item.bson.size() > kMaxCommandBytes) {
      return std::unexpected(bad(path, fmt::format("{}[{}] is {} bytes as BSON, over the {} bytes a MongoDB server "
                                                   "accepts (maxBsonObjectSize)",
                                                   key, index, item.bson.size(), kMaxCommandBytes)));
    }
    // An empty BSON document is 5 bytes: its length and the terminating 0.
    if (item.bson.size() <= 5) {
      return std::unexpected(bad(path, fmt::format("{}[{}] is an empty document, not a command", key, index)));
    }
    if (std::optional<std::vector<Field>> fields = mongo::fields_of(item.bson)) {
      for (const Field& f : *fields) {
        if (core::is_driver_managed_key(f.key)) {
          return std::unexpected(bad(
              path, fmt::format("{}[{}]: \"{}\" is not allowed in a command: {}", key, index,
                                core::printable(f.key),
                                f.key == "$db" ? "a migration's commands run on the database it is applied to"
                                               : "the driver sets it")));
        }
      }
    }
    commands.push_back(core::Command{std::vector<std::uint8_t>(item.bson.begin(), item.bson.end())});
  }
  return commands;
}

}  // namespace

Result<core::Migration> parse_json_migration(std::string_view name, std::string_view path,
                                             std::string_view bytes) {
  std::string_view text = bytes;
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);  // UTF-8 byte-order mark
  if (bytes.starts_with("\xFF\xFE") || bytes.starts_with("\xFE\xFF")) {
    return std::unexpected(bad(path, "the file is UTF-16 (it starts with a UTF-16 byte-order mark): save it as UTF-8"));
  }
  std::size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return std::unexpected(bad(path, "the file is empty"));
  if (text[first] != '{') {
    return std::unexpected(bad(path, "expected a JSON object ({ \"up\": [...], ... }) at the top level"));
  }

  auto doc = mongo::parse_json_object(bytes);  // positions in the file's bytes, its byte-order mark too
  if (!doc) {
    std::string message = doc.error();
    if (std::string hint = shell_syntax_hint(text); !hint.empty()) message += "; " + hint;
    return std::unexpected(bad(path, message));
  }
  if (std::string duplicate = mongo::first_duplicate_key(*doc); !duplicate.empty()) {
    return std::unexpected(
        bad(path, fmt::format("\"{}\" appears twice: a key may appear only once in a document", duplicate)));
  }

  core::Migration m;
  m.name = std::string(name);
  m.path = std::string(path);
  m.checksum = sha256_hex(bytes);
  bool has_up = false, has_version = false;

  // Each key appears once: first_duplicate_key() above saw to it.
  std::optional<std::vector<Field>> fields = mongo::fields_of(*doc);
  if (!fields) return std::unexpected(bad(path, "invalid document"));
  for (const Field& field : *fields) {
    auto string_field = [&](std::string& out) -> Result<void> {
      if (field.kind != FieldKind::kString) {
        return std::unexpected(bad(path, fmt::format("\"{}\" must be a string, not {}", field.key,
                                                     kind_in_words(field.kind))));
      }
      out.assign(field.text);
      return {};
    };
    Result<void> ok;
    if (field.key == "up") {
      has_up = true;
      auto commands = read_commands(path, "up", field);
      if (!commands) return std::unexpected(commands.error());
      m.up = std::move(*commands);
    } else if (field.key == "down") {
      auto commands = read_commands(path, "down", field);
      if (!commands) return std::unexpected(commands.error());
      m.down = std::move(*commands);
    } else if (field.key == "description") {
      ok = string_field(m.description);
    } else if (field.key == "version") {
      has_version = true;
      ok = string_field(m.version);
    } else {
      return std::unexpected(bad(path, fmt::format("unknown key \"{}\" (allowed: description, version, up, down)",
                                                   core::printable(field.key))));
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

std::string command_json(const core::Command& command) { return mongo::relaxed_json(command.bson); }

}  // namespace mongomigrate::source
