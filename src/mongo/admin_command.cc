#include "mongo/admin_command.h"

#include <string_view>

namespace mongomigrate::mongo {
namespace {

// `name` as a namespace: a collection of `database` if it has no dot.
std::string qualified(std::string_view name, const std::string& database) {
  if (name.find('.') != std::string_view::npos) return std::string(name);
  return database + "." + std::string(name);
}

}  // namespace

std::optional<OwnedBson> admin_form(const bson_t* command, const std::string& database) {
  bson_iter_t it;
  if (!bson_iter_init(&it, command) || !bson_iter_next(&it) ||
      std::string_view(bson_iter_key(&it)) != "renameCollection") {
    return std::nullopt;
  }
  OwnedBson admin(bson_new());
  bson_iter_init(&it, command);
  while (bson_iter_next(&it)) {
    std::string_view key = bson_iter_key(&it);
    if ((key == "renameCollection" || key == "to") && BSON_ITER_HOLDS_UTF8(&it)) {
      uint32_t length = 0;
      const char* value = bson_iter_utf8(&it, &length);
      std::string name = qualified(std::string_view(value, length), database);
      bson_append_utf8(admin.get(), key.data(), static_cast<int>(key.size()), name.data(),
                       static_cast<int>(name.size()));
    } else {
      bson_append_iter(admin.get(), key.data(), static_cast<int>(key.size()), &it);
    }
  }
  return admin;
}

}  // namespace mongomigrate::mongo
