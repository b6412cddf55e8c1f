// A migration as loaded from its source: the unit the planner orders and the
// runner executes. Commands are kept as raw BSON bytes (what is sent) plus
// their relaxed Extended JSON text (what a dry run prints), so nothing outside
// src/source and src/mongo needs libbson.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mongomigrate::core {

struct Command {
  std::vector<std::uint8_t> bson;
  std::string json;
};

struct Migration {
  std::string name;         // file name, unique, the sort key
  std::string version;      // explicit in the file, else derived from the name
  std::string description;
  std::string checksum;     // SHA-256 hex of the file's raw bytes
  std::string path;         // where it was read from, for messages
  std::vector<Command> up;
  // nullopt: no `down` key, the migration is irreversible.
  // empty vector: `"down": []`, nothing to undo.
  std::optional<std::vector<Command>> down;
};

}  // namespace mongomigrate::core
