#include "core/settings.h"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <chrono>
#include <optional>
#include <stdexcept>

#include "core/duration.h"
#include "core/names.h"
#include "core/uri_redaction.h"

namespace mongomigrate::core {
namespace {

constexpr std::array<SettingKey, 11> kKeys = {{
    {"uri", SettingType::kString, "--uri", "MONGODB_URI", "mongodb://localhost:27017"},
    {"db", SettingType::kString, "--db", "", ""},
    {"dir", SettingType::kString, "--dir", "", "migrations"},
    {"collection", SettingType::kString, "--collection", "", "migrationlogs"},
    {"by", SettingType::kString, "--by", "", ""},
    {"lock_timeout", SettingType::kDuration, "--lock-timeout", "", "5m"},
    {"lock_lease", SettingType::kDuration, "--lock-lease", "", "60s"},
    {"lock_renew", SettingType::kDuration, "--lock-renew", "", ""},
    {"naming", SettingType::kNaming, "", "", "timestamp"},
    {"strict_order", SettingType::kBoolean, "--strict-order", "", "false"},
    {"parallel", SettingType::kCount, "--parallel", "MONGO_MIGRATE_PARALLEL", "4"},
}};

bool name_start(char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; }
bool name_char(char c) { return name_start(c) || (c >= '0' && c <= '9'); }

std::string where(const std::string& path, const FileValue& value, const std::string& env) {
  std::string s = path + ":" + std::to_string(value.line);
  if (!env.empty()) s += " [env." + env + "]";
  return s;
}

// A setting as a message names it: `--lock-lease "1ms"` for a flag (or an
// environment variable), `mongo-migrate.toml:3: lock_lease: "1ms"` for the file.
std::string named(const Setting& s) {
  if (s.source == SettingSource::kFile) return s.origin + ": " + s.key + ": \"" + s.value + "\"";
  if (s.source == SettingSource::kDefault) return s.key + " \"" + s.value + "\" (the default)";
  return s.origin + " \"" + s.value + "\"";
}

// The lock settings, wherever each came from: each a duration within its
// maximum, the lease and the renewal interval longer than 0, the renewal
// (given, or a third of the lease) shorter than the lease. "" when they are
// fine, else one line naming the setting and where it came from.
std::string lock_settings_problem(const Settings& settings) {
  const Setting& timeout = settings.get("lock_timeout");
  const Setting& lease = settings.get("lock_lease");
  const Setting& renew = settings.get("lock_renew");
  std::optional<std::chrono::milliseconds> values[3];
  const Setting* all[3] = {&timeout, &lease, &renew};
  const std::chrono::milliseconds maxima[3] = {kMaxLockTimeout, kMaxLockLease, kMaxLockLease};
  const char* maxima_text[3] = {"7 days (168h)", "24h", "24h"};
  for (int i = 0; i < 3; ++i) {
    if (all[i]->key == "lock_renew" && all[i]->value.empty()) continue;  // a third of the lease
    values[i] = parse_duration(all[i]->value);
    if (!values[i]) return named(*all[i]) + " is not a duration (e.g. 500ms, 30s, 1m30s, 1.5h)";
    if (*values[i] > maxima[i]) return named(*all[i]) + " is longer than the maximum of " + maxima_text[i];
  }
  if (values[1]->count() == 0) return named(lease) + " must be longer than 0";
  if (!values[2]) {
    if (*values[1] / 3 == std::chrono::milliseconds(0)) {
      return named(lease) + " is too short: the lease is renewed every third of it, which rounds to 0 ms; give 3ms "
                            "or more (or set lock_renew, --lock-renew, shorter than the lease)";
    }
    return "";
  }
  if (values[2]->count() == 0) return named(renew) + " must be longer than 0";
  if (*values[2] >= *values[1]) {
    return named(renew) + " must be shorter than the lease, " + named(lease) + ", or the lease runs out between renewals";
  }
  return "";
}

}  // namespace

std::span<const SettingKey> setting_keys() { return kKeys; }

const SettingKey* find_setting_key(std::string_view name) {
  for (const SettingKey& k : kKeys) {
    if (k.name == name) return &k;
  }
  return nullptr;
}

std::optional<int> parse_count(std::string_view text) {
  int n = 0;
  const char* end = text.data() + text.size();
  auto [stop, ec] = std::from_chars(text.data(), end, n);  // no '+' or space; a '-' makes n < 1
  if (ec != std::errc() || stop != end || n < 1) return std::nullopt;
  return n;
}

std::string setting_key_list() {
  std::string s;
  for (const SettingKey& k : kKeys) {
    if (!s.empty()) s += ", ";
    s += k.name;
  }
  return s;
}

std::string_view to_string(SettingSource source) {
  switch (source) {
    case SettingSource::kDefault: return "default";
    case SettingSource::kFile: return "file";
    case SettingSource::kEnvironment: return "environment";
    case SettingSource::kFlag: return "flag";
  }
  return "default";
}

const Setting& Settings::get(std::string_view key) const {
  for (const Setting& s : items) {
    if (s.key == key) return s;
  }
  throw std::out_of_range("no setting " + std::string(key));
}

std::string database_in_uri(std::string_view uri) {
  std::size_t scheme = uri.find("://");
  if (scheme == std::string_view::npos) return "";
  // After the user-info: its password may hold a '/' or a '?'.
  std::string_view rest = uri.substr(host_list_start(uri));
  rest = rest.substr(0, rest.find('?'));
  std::size_t slash = rest.find('/');
  if (slash == std::string_view::npos) return "";
  return std::string(rest.substr(slash + 1));
}

std::expected<std::string, std::string> expand_variables(std::string_view text, const Getenv& getenv) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '$') {
      out.push_back(text[i]);
      continue;
    }
    if (i + 1 < text.size() && text[i + 1] == '$') {
      out.push_back('$');
      ++i;
      continue;
    }
    if (i + 1 >= text.size() || text[i + 1] != '{') {
      out.push_back('$');  // a lone '$' is itself ("pa$word")
      continue;
    }
    std::size_t close = text.find('}', i + 2);
    if (close == std::string_view::npos) return std::unexpected("\"${\" without a closing \"}\"");
    std::string_view name = text.substr(i + 2, close - i - 2);
    bool valid = !name.empty() && name_start(name[0]);
    for (char c : name) valid = valid && name_char(c);
    if (!valid) return std::unexpected("\"${" + std::string(name) + "}\" is not a variable name");
    std::optional<std::string> value = getenv(name);
    if (!value) return std::unexpected("${" + std::string(name) + "} is not set");
    out += *value;
    i = close;
  }
  return out;
}

std::string setting_value_problem(const SettingKey& key, std::string_view value) {
  std::string quoted = "\"" + std::string(value) + "\"";
  if (key.type == SettingType::kDuration && !(value.empty() && key.fallback.empty()) && !parse_duration(value)) {
    return quoted + " is not a duration (e.g. 500ms, 30s, 1m30s, 1.5h)";
  }
  if (key.type == SettingType::kCount && !parse_count(value)) return quoted + " is not a whole number of 1 or more";
  if (key.type == SettingType::kNaming && value != "timestamp" && value != "sequence") {
    return quoted + " is neither \"timestamp\" nor \"sequence\"";
  }
  return "";
}

std::expected<Settings, std::string> resolve_settings(const SettingLayers& layers, const Getenv& getenv) {
  Settings settings;
  const FileTable* env_table = nullptr;
  if (layers.file) settings.file = layers.file->path;
  if (!layers.env.empty()) {
    if (!layers.file) {
      return std::unexpected(layers.env_origin + " " + layers.env + ": there is no config file to choose [env." +
                             layers.env + "] from (" + layers.looked_for + " does not exist)");
    }
    auto found = layers.file->envs.find(layers.env);
    if (found == layers.file->envs.end()) {
      std::string tables;
      for (const auto& [name, table] : layers.file->envs) tables += (tables.empty() ? "" : ", ") + name;
      return std::unexpected(layers.file->path + ": " + layers.env_origin + " " + layers.env + ": no [env." +
                             layers.env + "] table" + (tables.empty() ? " (it has none)" : " (it has " + tables + ")"));
    }
    env_table = &found->second;
    settings.env = layers.env;
  }

  for (const SettingKey& key : kKeys) {
    Setting s{.key = std::string(key.name), .value = std::string(key.fallback)};
    const FileValue* file_value = nullptr;
    bool from_env_table = false;
    if (layers.file) {
      if (env_table) {
        if (auto it = env_table->find(key.name); it != env_table->end()) file_value = &it->second, from_env_table = true;
      }
      if (!file_value) {
        if (auto it = layers.file->top.find(key.name); it != layers.file->top.end()) file_value = &it->second;
      }
    }
    std::optional<std::string> env_value;
    if (!key.environment.empty()) {
      env_value = getenv(key.environment);
      if (env_value && env_value->empty()) env_value.reset();
    }
    // What the file says, expanded, for file_says_the_same (nullopt: nothing,
    // or a variable it names that is unset).
    auto file_text = [&]() -> std::optional<std::string> {
      if (!file_value) return std::nullopt;
      if (!file_value->is_string) return file_value->text;
      auto expanded = expand_variables(file_value->text, getenv);
      return expanded ? std::optional<std::string>(*expanded) : std::nullopt;
    };
    if (auto flag = layers.flags.find(key.name); flag != layers.flags.end()) {
      s.value = flag->second;
      s.source = SettingSource::kFlag;
      s.origin = std::string(key.flag);
      s.file_says_the_same = file_text() == s.value;
    } else if (env_value) {
      if (from_env_table) {
        // The table chosen with --env names where to run, and so does a
        // variable that may be left in the shell: when they disagree, which
        // one the user meant is unknown, and guessing may migrate the wrong
        // database. No value is shown (a URI holds a password).
        auto table_value = file_value->is_string ? expand_variables(file_value->text, getenv)
                                                 : std::expected<std::string, std::string>(file_value->text);
        if (!table_value || *table_value != *env_value) {
          return std::unexpected(fmt::format("{} and {} both set {}, to different values: unset {} or give {}",
                                             key.environment, where(layers.file->path, *file_value, layers.env),
                                             s.key, key.environment, key.flag));
        }
      }
      s.value = *env_value;
      s.source = SettingSource::kEnvironment;
      s.origin = std::string(key.environment);
      s.file_says_the_same = file_text() == s.value;
    } else if (file_value) {
      std::string origin = where(layers.file->path, *file_value, from_env_table ? layers.env : "");
      std::string value = file_value->text;
      if (file_value->is_string) {
        auto expanded = expand_variables(value, getenv);
        if (!expanded) return std::unexpected(origin + ": " + s.key + ": " + expanded.error());
        value = std::move(*expanded);
      }
      if (std::string problem = setting_value_problem(key, value); !problem.empty()) {
        return std::unexpected(origin + ": " + s.key + ": " + problem);
      }
      s.value = std::move(value);
      s.source = SettingSource::kFile;
      s.origin = std::move(origin);
    }
    settings.items.push_back(std::move(s));
  }
  if (std::string problem = lock_settings_problem(settings); !problem.empty()) return std::unexpected(problem);
  return settings;
}

std::string database_settings_problem(const Settings& settings) {
  const Setting& uri = settings.get("uri");
  const Setting& db = settings.get("db");
  SettingSource uri_source = uri.file_says_the_same ? SettingSource::kFile : uri.source;
  if (db.source == SettingSource::kDefault || db.source >= uri_source) return "";
  std::string in_uri = database_in_uri(uri.value);
  if (in_uri.empty() || in_uri == db.value) return "";
  return fmt::format("the URI from {} names database \"{}\" but db from {} says \"{}\": give --db to choose (an "
                     "authentication database goes in the URI's authSource= option)",
                     uri.origin, printable(in_uri), db.origin, printable(db.value));
}

}  // namespace mongomigrate::core
