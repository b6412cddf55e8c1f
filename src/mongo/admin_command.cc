#include "mongo/admin_command.h"

#include <fmt/format.h>

#include <string>
#include <string_view>
#include <tuple>
#include <utility>

#include "core/names.h"
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

// The "db" of an $out / $merge target or a mapReduce `out` document, if
// it names one: `target` is the stage's value ($merge's `into`).
std::optional<std::string> named_database(const bson_iter_t& target) {
  if (!BSON_ITER_HOLDS_DOCUMENT(&target)) return std::nullopt;  // a collection name: this database
  bson_iter_t child;
  if (!bson_iter_recurse(&target, &child) || !bson_iter_find(&child, "db")) return std::nullopt;
  if (!BSON_ITER_HOLDS_UTF8(&child)) return std::string("(not a string)");
  uint32_t length = 0;
  const char* value = bson_iter_utf8(&child, &length);
  return std::string(value, length);
}

// The database an aggregate pipeline writes to through $out or $merge, if
// it names one other than `database`: "$out"/"$merge" and that name.
std::optional<std::pair<std::string, std::string>> pipeline_target(const bson_iter_t& pipeline,
                                                                   const std::string& database) {
  bson_iter_t stages;
  if (!BSON_ITER_HOLDS_ARRAY(&pipeline) || !bson_iter_recurse(&pipeline, &stages)) return std::nullopt;
  while (bson_iter_next(&stages)) {
    bson_iter_t stage;
    if (!BSON_ITER_HOLDS_DOCUMENT(&stages) || !bson_iter_recurse(&stages, &stage) || !bson_iter_next(&stage)) {
      continue;
    }
    std::string_view op = bson_iter_key(&stage);
    std::optional<std::string> db;
    if (op == "$out") {
      db = named_database(stage);
    } else if (op == "$merge") {
      bson_iter_t into;
      if (BSON_ITER_HOLDS_DOCUMENT(&stage) && bson_iter_recurse(&stage, &into) && bson_iter_find(&into, "into")) {
        db = named_database(into);
      }
    }
    if (db && *db != database) return std::pair(std::string(op), *db);
  }
  return std::nullopt;
}

}  // namespace

std::string other_database_problem(const bson_t* command, const std::string& database) {
  bson_iter_t it;
  if (!bson_iter_init(&it, command) || !bson_iter_next(&it)) return "";
  const std::string name = bson_iter_key(&it);
  bson_iter_init(&it, command);
  while (bson_iter_next(&it)) {
    std::string_view key = bson_iter_key(&it);
    if (key == "$db") {
      return fmt::format("{}: \"$db\" is not allowed: a migration's commands run on the database it is applied to",
                         name);
    }
    if (core::is_driver_managed_key(key)) {
      return fmt::format("{}: \"{}\" is not allowed: the driver sets it", name, key);
    }
    std::optional<std::string> db;
    std::string via;
    if (name == "aggregate" && key == "pipeline") {
      if (auto target = pipeline_target(it, database)) std::tie(via, db) = *target;
    } else if (name == "mapReduce" && key == "out") {
      db = named_database(it);
      via = "out";
      if (db && *db == database) db.reset();
    }
    if (db) {
      return fmt::format("{}: {} writes to database \"{}\", not the one the migration runs on (\"{}\"): a "
                         "migration's log is kept per database",
                         name, via, *db, database);
    }
  }
  if (auto admin = admin_form(command, database); !admin) return admin.error().message;
  return "";
}

std::string other_database_problem(std::span<const std::uint8_t> command, const std::string& database) {
  bson_t doc;
  if (!bson_init_static(&doc, command.data(), command.size())) return "";
  return other_database_problem(&doc, database);
}

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
