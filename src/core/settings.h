// The effective settings of a command (DESIGN.md §4): each key from a flag,
// else its environment variable, else the config file (an [env.NAME] table
// over the top level), else the default. Pure logic: reading the TOML file
// is cli/config_file.cc's job, the environment is passed in.
#pragma once

#include <expected>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mongomigrate::core {

enum class SettingType {
  kString,
  kDuration,  // a string parse_duration accepts (a TOML integer is a number of seconds)
  kBoolean,
  kNaming,    // "timestamp" or "sequence"
  kCount,     // a whole number of 1 or more: parse_count (a TOML integer, or a string of digits)
};

// A key of the config file and the flag / environment variable that set the same setting.
struct SettingKey {
  std::string_view name;
  SettingType type;
  std::string_view flag;         // "" when there is none
  std::string_view environment;  // "" when there is none
  std::string_view fallback;     // the default value
};

// Why `value` cannot be `key`'s ("" when it can): a duration that does not
// parse, a count that is not a whole number of 1 or more, a naming that is
// neither "timestamp" nor "sequence". The value is quoted, never a URI.
std::string setting_value_problem(const SettingKey& key, std::string_view value);

// Every key a config file may set, in the order `config` shows them.
std::span<const SettingKey> setting_keys();
// nullptr for an unknown key.
const SettingKey* find_setting_key(std::string_view name);
// "uri, db, dir, ..." for messages.
std::string setting_key_list();

// A whole number of 1 or more written in decimal digits ("4"); nullopt for
// anything else ("0", "-1", "4x", "", a number past int).
std::optional<int> parse_count(std::string_view text);

enum class SettingSource { kDefault, kFile, kEnvironment, kFlag };
// "default", "file", "environment", "flag".
std::string_view to_string(SettingSource source);

// A value as the config file gives it, before ${VAR} expansion.
struct FileValue {
  std::string text;     // a TOML string as written; an integer or boolean as its decimal / true / false
  bool is_string = false;  // only strings have ${VAR} expanded
  int line = 0;
};
using FileTable = std::map<std::string, FileValue, std::less<>>;

// A parsed, type-checked config file.
struct ConfigFile {
  std::string path;
  FileTable top;
  std::map<std::string, FileTable, std::less<>> envs;  // [env.NAME] tables
};

struct SettingLayers {
  std::map<std::string, std::string, std::less<>> flags;  // key -> value of its flag, when given
  std::optional<ConfigFile> file;
  std::string looked_for;  // the path searched when there is no file (for messages)
  std::string env;         // the [env.NAME] table chosen, "" for none
  std::string env_origin;  // "--env" or "MONGO_MIGRATE_ENV"
};

struct Setting {
  std::string key;
  std::string value;
  SettingSource source = SettingSource::kDefault;
  // Where it came from: "--uri", "MONGODB_URI", "mongo-migrate.toml:3",
  // "mongo-migrate.toml:9 [env.prod]"; "" for a default.
  std::string origin;
  // Set by a flag or variable that the config file sets to this same value
  // too (`uri = "${MONGODB_URI}"`): the file says it as well.
  bool file_says_the_same = false;
};

struct Settings {
  std::vector<Setting> items;  // setting_keys() order
  std::string file;            // the config file read, "" for none
  std::string env;             // the [env.NAME] table used, "" for none
  const Setting& get(std::string_view key) const;
};

// The database in a MongoDB URI's path ("app" in "mongodb://h:27017/app?x=1"),
// "" when it has none. For showing the default of `db`; the driver decides.
std::string database_in_uri(std::string_view uri);

// Looks up an environment variable; nullopt when unset.
using Getenv = std::function<std::optional<std::string>(std::string_view)>;

// `text` with every ${NAME} replaced by the variable's value ("$$" is one
// "$"). An unset variable is an error, never an empty string; so are "${"
// without "}" and a name that is not [A-Za-z_][A-Za-z0-9_]*. The message
// names the variable, never a value.
std::expected<std::string, std::string> expand_variables(std::string_view text, const Getenv& getenv);

// Resolves every key. Environment variables are read through `getenv`
// (empty counts as unset). Errors, as one line naming the file, line and
// key where there is one: an env table chosen with no file or one the file
// lacks; an unset ${VAR} in a value that is used; a file value that is not
// a duration or naming word; a lock setting, from wherever it came (flag,
// environment or file), that is not a duration, is longer than its maximum
// (core/duration.h), is 0 (the lease, the renewal), or a renewal interval
// (given, or a third of the lease) not shorter than the lease. Other flag
// values are checked by their commands.
std::expected<Settings, std::string> resolve_settings(const SettingLayers& layers, const Getenv& getenv);

// Why `settings` cannot say which database to run on ("" when they can): a
// URI whose path names a database, set above a `db` that names another
// (--uri or MONGODB_URI over the file's db, unless the file sets the URI to
// that same value too): the file's db would win unseen, and which was meant
// is unknown. Set at the same layer, db is the database and the URI's path
// where to authenticate. Not for a run over many databases, which neither
// selects.
std::string database_settings_problem(const Settings& settings);

}  // namespace mongomigrate::core
