#include "config_layer.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>

#include "config_file.h"
#include "core/settings.h"

namespace mongomigrate::cli {
namespace {

std::optional<std::string> env_var(std::string_view name) {
  const char* value = std::getenv(std::string(name).c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

std::string non_empty_env(const char* name) {
  const char* value = std::getenv(name);
  return value ? value : "";
}

// The option named `flag` if it was given, on the app or the command chosen.
const CLI::Option* given(const CLI::App& app, std::string_view flag) {
  std::string name(flag);
  if (const CLI::Option* o = app.get_option_no_throw(name); o && o->count() > 0) return o;
  for (const CLI::App* sub : app.get_subcommands()) {
    if (const CLI::Option* o = sub->get_option_no_throw(name); o && o->count() > 0) return o;
  }
  return nullptr;
}

}  // namespace

void add_config_options(CLI::App& app, GlobalOptions& o) {
  app.add_option("--config", o.config,
                 "config file (env MONGO_MIGRATE_CONFIG; default: mongo-migrate.toml here, if there is one)");
  app.add_option("--env", o.env, "use the config file's [env.NAME] table (env MONGO_MIGRATE_ENV)");
}

Result<void> apply_config(const CLI::App& app, GlobalOptions& o, bool for_init) {
  core::SettingLayers layers;
  for (const core::SettingKey& key : core::setting_keys()) {
    if (key.flag.empty()) continue;
    const CLI::Option* option = given(app, key.flag);
    if (!option) continue;
    layers.flags.emplace(std::string(key.name), key.type == core::SettingType::kBoolean
                                                    ? (option->as<bool>() ? "true" : "false")
                                                    : option->as<std::string>());
  }

  std::string path = o.config;
  bool named = true;  // a file named by --config or the environment must exist
  if (path.empty()) path = non_empty_env("MONGO_MIGRATE_CONFIG");
  if (path.empty()) path = kConfigFileName, named = false;
  layers.looked_for = path;
  if (!for_init) {
    struct stat st{};
    bool exists = ::stat(path.c_str(), &st) == 0 || errno != ENOENT;
    if (exists || named) {
      auto file = read_config_file(path);
      if (!file) return std::unexpected(file.error());
      layers.file = std::move(*file);
    }
    layers.env = o.env;
    layers.env_origin = "--env";
    if (layers.env.empty()) layers.env = non_empty_env("MONGO_MIGRATE_ENV"), layers.env_origin = "MONGO_MIGRATE_ENV";
  }

  auto settings = core::resolve_settings(layers, env_var);
  if (!settings) return std::unexpected(Error{ErrorKind::kUsage, settings.error()});
  o.uri = settings->get("uri").value;
  o.database = settings->get("db").value;
  o.directory = settings->get("dir").value;
  o.collection = settings->get("collection").value;
  o.by = settings->get("by").value;
  o.lock_timeout = settings->get("lock_timeout").value;
  o.lock_lease = settings->get("lock_lease").value;
  o.lock_renew = settings->get("lock_renew").value;
  o.naming = settings->get("naming").value;
  o.strict_order = settings->get("strict_order").value == "true";
  o.parallel = settings->get("parallel").value;
  o.config = for_init ? path : settings->file;
  o.settings = std::make_shared<const core::Settings>(std::move(*settings));
  return {};
}

}  // namespace mongomigrate::cli
