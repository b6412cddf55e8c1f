#include "mongo/admin_command.h"

#include <fmt/format.h>

#include <string>
#include <string_view>

#include "mongo/value_bson.h"

namespace mongomigrate::mongo {
namespace {

// `name` (the value of `field`) as a namespace of `database`, or why not.
Result<std::string> qualified(std::string_view field, std::string_view name, const std::string& database) {
  auto refuse = [&](std::string_view why) {
    return std::unexpected(Error{ErrorKind::kMigrationFailed,
                                 fmt::format("renameCollection: {} \"{}\" {}", field, name, why)});
  };
  if (name.empty() || name.front() == '.' || name.back() == '.') {
    return refuse("is not a collection name");
  }
  std::size_t dot = name.find('.');
  if (dot == std::string_view::npos) return database + "." + std::string(name);
  if (name.substr(0, dot) != database) {
    return refuse(fmt::format("names database \"{}\", not the one the migration runs on (\"{}\"); write "
                              "\"{}.{}\" for a collection of that one",
                              name.substr(0, dot), database, database, name));
  }
  return std::string(name);
}

}  // namespace

Result<std::optional<OwnedBson>> admin_form(const bson_t* command, const std::string& database) {
  bson_iter_t it;
  if (!bson_iter_init(&it, command) || !bson_iter_next(&it) ||
      std::string_view(bson_iter_key(&it)) != "renameCollection") {
    return std::optional<OwnedBson>();
  }
  Doc admin;
  bson_iter_init(&it, command);
  while (bson_iter_next(&it)) {
    std::string key = bson_iter_key(&it);
    if ((key == "renameCollection" || key == "to") && BSON_ITER_HOLDS_UTF8(&it)) {
      uint32_t length = 0;
      const char* value = bson_iter_utf8(&it, &length);
      auto name = qualified(key, std::string_view(value, length), database);
      if (!name) return std::unexpected(name.error());
      admin.emplace_back(std::move(key), std::move(*name));
    } else {
      admin.emplace_back(std::move(key), value_at(it));
    }
  }
  return std::optional<OwnedBson>(to_bson(admin));
}

}  // namespace mongomigrate::mongo
