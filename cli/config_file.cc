#include "config_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <expected>

#define TOML_HEADER_ONLY 1
#define TOML_ENABLE_FORMATTERS 0
#include <toml++/toml.h>

#include <fmt/format.h>

namespace mongomigrate::cli {
namespace {

std::string_view type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    default: return "nothing";
  }
}

std::expected<std::string, std::string> read_whole_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::unexpected(std::strerror(errno));
  struct stat st{};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    int err = errno;
    ::close(fd);
    return std::unexpected(err && !S_ISDIR(st.st_mode) ? std::strerror(err) : "not a regular file");
  }
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return std::unexpected(std::strerror(err));
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return out;
}

Error bad(const std::string& path, int line, std::string_view key, std::string_view what) {
  // One line, whatever the key holds.
  std::string k(key);
  for (char& c : k) {
    if (static_cast<unsigned char>(c) < 0x20) c = '?';
  }
  return Error{ErrorKind::kUsage, fmt::format("{}:{}: {}: {}", path, line, k, what)};
}

// Checks and reads one table of settings (the top level or an [env.NAME]).
Result<core::FileTable> read_table(const std::string& path, const toml::table& table, const std::string& env) {
  bool top = env.empty();
  core::FileTable out;
  for (const auto& [key, node] : table) {
    int line = static_cast<int>(key.source().begin.line);
    if (top && key.str() == "env") continue;
    std::string shown = top ? std::string(key.str()) : "env." + env + "." + std::string(key.str());
    const core::SettingKey* setting = core::find_setting_key(key.str());
    if (!setting) {
      return std::unexpected(bad(path, line, shown,
                                 fmt::format("unknown key (keys: {}{})", core::setting_key_list(),
                                             top ? ", and [env.NAME] tables" : "")));
    }
    core::FileValue value{.line = line};
    switch (setting->type) {
      case core::SettingType::kString:
      case core::SettingType::kNaming:
        if (!node.is_string()) {
          return std::unexpected(bad(path, line, shown, fmt::format("expected a string, not {}", type_name(node))));
        }
        value.text = *node.value<std::string>();
        value.is_string = true;
        break;
      case core::SettingType::kCount:
        if (node.is_string()) {
          value.text = *node.value<std::string>();
          value.is_string = true;
        } else if (node.is_integer()) {
          value.text = std::to_string(*node.value<std::int64_t>());  // checked with the other values
        } else {
          return std::unexpected(
              bad(path, line, shown, fmt::format("expected a whole number of 1 or more, not {}", type_name(node))));
        }
        break;
      case core::SettingType::kDuration:
        if (node.is_string()) {
          value.text = *node.value<std::string>();
          value.is_string = true;
        } else if (node.is_integer() && *node.value<std::int64_t>() >= 0) {
          value.text = std::to_string(*node.value<std::int64_t>());  // seconds
        } else {
          return std::unexpected(bad(path, line, shown,
                                     fmt::format("expected a duration such as \"30s\" or \"1m30s\" (or a number of "
                                                 "seconds), not {}",
                                                 node.is_integer() ? "a negative integer" : type_name(node))));
        }
        break;
      case core::SettingType::kBoolean:
        if (!node.is_boolean()) {
          return std::unexpected(
              bad(path, line, shown, fmt::format("expected true or false, not {}", type_name(node))));
        }
        value.text = *node.value<bool>() ? "true" : "false";
        break;
    }
    // Checked here too, in every table and whether a flag overrides it or
    // not: a bad value in [env.prod] must not wait for the deploy that
    // chooses it. A value holding '$' is checked once expanded.
    if (value.text.find('$') == std::string::npos) {
      if (std::string problem = core::setting_value_problem(*setting, value.text); !problem.empty()) {
        return std::unexpected(bad(path, line, shown, problem));
      }
    }
    out.emplace(key.str(), std::move(value));
  }
  return out;
}

}  // namespace

Result<core::ConfigFile> read_config_file(const std::string& path) {
  auto bytes = read_whole_file(path);
  if (!bytes) {
    return std::unexpected(Error{ErrorKind::kUsage, fmt::format("cannot read the config file {}: {}", path, bytes.error())});
  }
  toml::table root;
  try {
    root = toml::parse(*bytes, path);
  } catch (const toml::parse_error& e) {
    std::string description(e.description());
    for (char& c : description) {
      if (c == '\n' || c == '\r') c = ' ';
    }
    return std::unexpected(Error{ErrorKind::kUsage, fmt::format("{}:{}: invalid TOML: {}", path,
                                                                e.source().begin.line, description)});
  }

  core::ConfigFile file{.path = path};
  auto top = read_table(path, root, "");
  if (!top) return std::unexpected(top.error());
  file.top = std::move(*top);
  if (const toml::node* envs = root.get("env")) {
    int line = static_cast<int>(envs->source().begin.line);
    const toml::table* tables = envs->as_table();
    if (!tables) {
      return std::unexpected(bad(path, line, "env", fmt::format("expected [env.NAME] tables, not {}", type_name(*envs))));
    }
    for (const auto& [name, node] : *tables) {
      const toml::table* table = node.as_table();
      if (!table) {
        return std::unexpected(bad(path, static_cast<int>(name.source().begin.line), "env." + std::string(name.str()),
                                   fmt::format("expected a table [env.{}], not {}", name.str(), type_name(node))));
      }
      auto settings = read_table(path, *table, std::string(name.str()));
      if (!settings) return std::unexpected(settings.error());
      file.envs.emplace(name.str(), std::move(*settings));
    }
  }
  return file;
}

}  // namespace mongomigrate::cli
