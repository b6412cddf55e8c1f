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

// An entry of the migration directory named like a migration that cannot be
// one: its content does not parse, its name is not valid, or it is not a file
// (a directory, a FIFO, a dangling link). The reading commands show it as
// `invalid`; the writing ones refuse to run while there is one.
struct InvalidMigration {
  std::string name;   // the entry's file name, as it is on disk (any bytes)
  std::string error;  // one line, without the path: "invalid JSON at line 3, ..."
  bool not_a_file = false;
};

}  // namespace mongomigrate::core
