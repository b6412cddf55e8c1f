// A migration as loaded from its source (a JSON file or a compiled-in C++
// migration): the unit the planner orders and the runner executes. Commands are
// kept as raw BSON bytes (what is sent); source::command_json() renders one as
// relaxed Extended JSON for a dry run, so nothing outside src/source and
// src/mongo needs libbson.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mongomigrate/migration.h"

namespace mongomigrate::core {

struct Command {
  std::vector<std::uint8_t> bson;
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
  // A C++ migration compiled into the program (then `up`/`down` above are
  // unused): points into the program's registry, which lives until exit.
  const CompiledMigration* compiled = nullptr;

  bool reversible() const { return compiled ? static_cast<bool>(compiled->down) : down.has_value(); }
  // "the compiled-in 004-x.cc" or the file path, for messages.
  std::string origin() const { return compiled ? "the compiled-in " + name : path; }
};

}  // namespace mongomigrate::core
