#include "core/settings.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <map>

namespace mongomigrate::core {
namespace {

Getenv env_of(std::map<std::string, std::string> vars) {
  return [vars](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

FileValue str(std::string text, int line) { return {.text = std::move(text), .is_string = true, .line = line}; }

ConfigFile sample() {
  ConfigFile f{.path = "mongo-migrate.toml"};
  f.top["uri"] = str("mongodb://app:${DB_PASSWORD}@db:27017/app", 1);
  f.top["dir"] = str("db/migrations", 2);
  f.top["lock_timeout"] = {.text = "90", .line = 3};
  f.envs["prod"]["uri"] = str("mongodb://prod/app", 6);
  f.envs["prod"]["collection"] = str("prodlogs", 7);
  f.envs["test"] = {};
  return f;
}

TEST(ExpandVariables, ReplacesEachVariable) {
  Getenv env = env_of({{"A", "x"}, {"LONG_NAME_2", "y z"}, {"EMPTY", ""}});
  EXPECT_EQ(expand_variables("${A}-${LONG_NAME_2}", env), "x-y z");
  EXPECT_EQ(expand_variables("plain", env), "plain");
  EXPECT_EQ(expand_variables("[${EMPTY}]", env), "[]");  // set but empty is a value
  EXPECT_EQ(expand_variables("$$ and $${A} and pa$word and $", env), "$ and ${A} and pa$word and $");
}

TEST(ExpandVariables, AnUnsetVariableIsAnErrorNotAnEmptyString) {
  auto r = expand_variables("mongodb://u:${DB_PASSWORD}@h", env_of({}));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), "${DB_PASSWORD} is not set");
}

TEST(ExpandVariables, RejectsMalformedReferences) {
  for (const char* bad : {"${", "${A", "${}", "${1A}", "${A-B}", "x${ A}"}) {
    EXPECT_FALSE(expand_variables(bad, env_of({{"A", "x"}}))) << bad;
  }
}

TEST(ResolveSettings, DefaultsWithoutAnyLayer) {
  auto s = resolve_settings({}, env_of({}));
  ASSERT_TRUE(s) << s.error();
  EXPECT_EQ(s->items.size(), setting_keys().size());
  EXPECT_EQ(s->get("uri").value, "mongodb://localhost:27017");
  EXPECT_EQ(s->get("dir").value, "migrations");
  EXPECT_EQ(s->get("collection").value, "migrationlogs");
  EXPECT_EQ(s->get("lock_timeout").value, "5m");
  EXPECT_EQ(s->get("naming").value, "timestamp");
  EXPECT_EQ(s->get("strict_order").value, "false");
  EXPECT_EQ(s->get("uri").source, SettingSource::kDefault);
  EXPECT_EQ(s->file, "");
}

TEST(ResolveSettings, FlagBeatsEnvironmentBeatsFileBeatsDefault) {
  SettingLayers layers{.file = sample()};
  Getenv env = env_of({{"DB_PASSWORD", "pw"}, {"MONGODB_URI", "mongodb://fromenv/x"}});

  auto file_only = resolve_settings(layers, env_of({{"DB_PASSWORD", "pw"}}));
  ASSERT_TRUE(file_only) << file_only.error();
  EXPECT_EQ(file_only->get("uri").value, "mongodb://app:pw@db:27017/app");
  EXPECT_EQ(file_only->get("uri").source, SettingSource::kFile);
  EXPECT_EQ(file_only->get("uri").origin, "mongo-migrate.toml:1");
  EXPECT_EQ(file_only->get("lock_timeout").value, "90");
  EXPECT_EQ(file_only->get("collection").source, SettingSource::kDefault);

  auto with_env = resolve_settings(layers, env);
  ASSERT_TRUE(with_env) << with_env.error();
  EXPECT_EQ(with_env->get("uri").value, "mongodb://fromenv/x");
  EXPECT_EQ(with_env->get("uri").source, SettingSource::kEnvironment);
  EXPECT_EQ(with_env->get("uri").origin, "MONGODB_URI");

  layers.flags["uri"] = "mongodb://flag/y";
  layers.flags["dir"] = "other";
  auto with_flag = resolve_settings(layers, env);
  ASSERT_TRUE(with_flag) << with_flag.error();
  EXPECT_EQ(with_flag->get("uri").value, "mongodb://flag/y");
  EXPECT_EQ(with_flag->get("uri").source, SettingSource::kFlag);
  EXPECT_EQ(with_flag->get("uri").origin, "--uri");
  EXPECT_EQ(with_flag->get("dir").value, "other");
}

TEST(ResolveSettings, AnEmptyEnvironmentVariableCountsAsUnset) {
  auto s = resolve_settings({.file = sample()}, env_of({{"MONGODB_URI", ""}, {"DB_PASSWORD", "pw"}}));
  ASSERT_TRUE(s) << s.error();
  EXPECT_EQ(s->get("uri").source, SettingSource::kFile);
}

TEST(ResolveSettings, AnEnvTableOverridesTheTopLevel) {
  SettingLayers layers{.file = sample(), .env = "prod", .env_origin = "--env"};
  auto s = resolve_settings(layers, env_of({}));  // the top-level uri's ${DB_PASSWORD} is not used, so not needed
  ASSERT_TRUE(s) << s.error();
  EXPECT_EQ(s->env, "prod");
  EXPECT_EQ(s->get("uri").value, "mongodb://prod/app");
  EXPECT_EQ(s->get("uri").origin, "mongo-migrate.toml:6 [env.prod]");
  EXPECT_EQ(s->get("collection").value, "prodlogs");
  EXPECT_EQ(s->get("dir").value, "db/migrations");  // not in the table: the top level
  EXPECT_EQ(s->get("dir").origin, "mongo-migrate.toml:2");
}

// `--env staging` with a production MONGODB_URI left in the shell: which
// one was meant is unknown, so neither wins (a flag still decides).
TEST(ResolveSettings, AChosenEnvTableAndAVariableThatDisagreeAreRefused) {
  SettingLayers layers{.file = sample(), .env = "prod", .env_origin = "--env"};
  auto clash = resolve_settings(layers, env_of({{"MONGODB_URI", "mongodb://u:secret@elsewhere/app"}}));
  ASSERT_FALSE(clash);
  EXPECT_EQ(clash.error(),
            "MONGODB_URI and mongo-migrate.toml:6 [env.prod] both set uri, to different values: unset MONGODB_URI or "
            "give --uri");
  EXPECT_EQ(clash.error().find("secret"), std::string::npos);

  auto same = resolve_settings(layers, env_of({{"MONGODB_URI", "mongodb://prod/app"}}));
  ASSERT_TRUE(same) << same.error();
  EXPECT_EQ(same->get("uri").value, "mongodb://prod/app");

  SettingLayers flagged = layers;
  flagged.flags["uri"] = "mongodb://flag/app";
  auto flag = resolve_settings(flagged, env_of({{"MONGODB_URI", "mongodb://elsewhere/app"}}));
  ASSERT_TRUE(flag) << flag.error();
  EXPECT_EQ(flag->get("uri").value, "mongodb://flag/app");

  // A table that does not set it: the variable beats the top level, as documented.
  SettingLayers test_table{.file = sample(), .env = "test", .env_origin = "MONGO_MIGRATE_ENV"};
  auto top = resolve_settings(test_table, env_of({{"MONGODB_URI", "mongodb://fromenv/x"}}));
  ASSERT_TRUE(top) << top.error();
  EXPECT_EQ(top->get("uri").value, "mongodb://fromenv/x");
}

// The file says db = "staging" and the deploy passes a URI naming "prod":
// the file's db would win unseen, so it is refused, naming both; at the
// same layer db decides (the URI's path is where to authenticate).
std::string database_problem(const SettingLayers& layers, const Getenv& env) {
  auto s = resolve_settings(layers, env);
  EXPECT_TRUE(s) << s.error();
  return s ? database_settings_problem(*s) : "";
}

TEST(DatabaseSettingsProblem, AUriNamingADatabaseOverADbThatNamesAnotherIsRefused) {
  ConfigFile f{.path = "mongo-migrate.toml"};
  f.top["db"] = str("staging", 4);
  SettingLayers layers{.file = f};
  layers.flags["uri"] = "mongodb://u:secret@h/prod";
  EXPECT_EQ(database_problem(layers, env_of({})),
            "the URI from --uri names database \"prod\" but db from mongo-migrate.toml:4 says \"staging\": give --db "
            "to choose (an authentication database goes in the URI's authSource= option)");

  std::string from_env = database_problem({.file = f}, env_of({{"MONGODB_URI", "mongodb://h/prod?tls=false"}}));
  EXPECT_NE(from_env.find("the URI from MONGODB_URI names database \"prod\""), std::string::npos) << from_env;

  for (const char* agrees : {"mongodb://h/staging", "mongodb://h/", "mongodb://h", "mongodb://h/?x=1"}) {
    layers.flags["uri"] = agrees;
    EXPECT_EQ(database_problem(layers, env_of({})), "") << agrees;
  }
  layers.flags["uri"] = "mongodb://h/prod";
  layers.flags["db"] = "staging";  // both flags: db decides
  EXPECT_EQ(database_problem(layers, env_of({})), "");
  f.top["uri"] = str("mongodb://h/admin", 1);  // both in the file: db decides
  EXPECT_EQ(database_problem({.file = f}, env_of({})), "");
}

// `uri = "${MONGODB_URI}"` beside `db` in the file: the file says both,
// though the variable is read first, so db decides; a file URI the
// variable overrides with another one does not.
TEST(DatabaseSettingsProblem, AFileUriThatIsTheVariableCountsAsTheFiles) {
  ConfigFile f{.path = "mongo-migrate.toml"};
  f.top["db"] = str("app", 2);
  f.top["uri"] = str("${MONGODB_URI}", 1);
  Getenv env = env_of({{"MONGODB_URI", "mongodb://u:p@h/admin"}});
  auto s = resolve_settings({.file = f}, env);
  ASSERT_TRUE(s) << s.error();
  EXPECT_EQ(s->get("uri").source, SettingSource::kEnvironment);
  EXPECT_TRUE(s->get("uri").file_says_the_same);
  EXPECT_EQ(database_settings_problem(*s), "");

  f.top["uri"] = str("mongodb://h/app", 1);
  EXPECT_NE(database_problem({.file = f}, env), "") << "the variable overrides the file's URI";
}

TEST(ResolveSettings, AnUnsetVariableInAUsedValueNamesFileLineAndKey) {
  auto s = resolve_settings({.file = sample()}, env_of({}));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error(), "mongo-migrate.toml:1: uri: ${DB_PASSWORD} is not set");
}

TEST(ResolveSettings, AnUnknownEnvTableIsAnErrorListingTheTables) {
  auto s = resolve_settings({.file = sample(), .env = "staging", .env_origin = "MONGO_MIGRATE_ENV"}, env_of({}));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error(), "mongo-migrate.toml: MONGO_MIGRATE_ENV staging: no [env.staging] table (it has prod, test)");
}

TEST(ResolveSettings, AnEnvWithoutAFileIsAnError) {
  auto s = resolve_settings({.looked_for = "mongo-migrate.toml", .env = "prod", .env_origin = "--env"}, env_of({}));
  ASSERT_FALSE(s);
  EXPECT_NE(s.error().find("--env prod"), std::string::npos) << s.error();
  EXPECT_NE(s.error().find("mongo-migrate.toml does not exist"), std::string::npos) << s.error();
}

TEST(ResolveSettings, FileValuesAreChecked) {
  ConfigFile f{.path = "c.toml"};
  f.top["lock_lease"] = str("forever", 4);
  auto s = resolve_settings({.file = f}, env_of({}));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error(), "c.toml:4: lock_lease: \"forever\" is not a duration (e.g. 500ms, 30s, 1m30s, 1.5h)");

  f.top["lock_lease"] = str("1m30s", 4);
  f.top["naming"] = str("random", 5);
  s = resolve_settings({.file = f}, env_of({}));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error(), "c.toml:5: naming: \"random\" is neither \"timestamp\" nor \"sequence\"");

  f.top["naming"] = str("${NAMING}", 5);
  s = resolve_settings({.file = f}, env_of({{"NAMING", "sequence"}}));
  ASSERT_TRUE(s) << s.error();
  EXPECT_EQ(s->get("naming").value, "sequence");
  EXPECT_EQ(s->get("lock_lease").value, "1m30s");
}

TEST(ResolveSettings, ParallelIsAWholeNumberOfOneOrMore) {
  ConfigFile f{.path = "c.toml"};
  f.top["parallel"] = FileValue{.text = "8", .line = 3};  // a TOML integer
  auto s = resolve_settings({.file = f}, env_of({}));
  ASSERT_TRUE(s) << s.error();
  EXPECT_EQ(s->get("parallel").value, "8");
  for (const char* bad : {"0", "-2", "4x", "", "99999999999"}) {
    f.top["parallel"] = str(bad, 3);
    s = resolve_settings({.file = f}, env_of({}));
    ASSERT_FALSE(s) << bad;
    EXPECT_EQ(s.error(), fmt::format("c.toml:3: parallel: \"{}\" is not a whole number of 1 or more", bad));
  }
}

TEST(ParseCount, OnlyDecimalDigitsOfOneOrMore) {
  EXPECT_EQ(parse_count("1"), 1);
  EXPECT_EQ(parse_count("16"), 16);
  for (const char* bad : {"0", "-1", "+3", " 3", "3 ", "3.0", "0x10", "", "2147483648"}) {
    EXPECT_EQ(parse_count(bad), std::nullopt) << bad;
  }
}

// resolve_settings with these flags (key -> value) and file values.
std::expected<Settings, std::string> resolve_lock(std::map<std::string, std::string, std::less<>> flags,
                                                  FileTable file = {}) {
  SettingLayers layers{.flags = std::move(flags)};
  if (!file.empty()) layers.file = ConfigFile{.path = "mongo-migrate.toml", .top = std::move(file)};
  return resolve_settings(layers, env_of({}));
}

TEST(ResolveSettings, LockSettingsFromFlagsAreCheckedAndNamed) {
  // `config --lock-timeout 1e9s` was shown with exit 0.
  auto s = resolve_lock({{"lock_timeout", "1e9s"}});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error(), "--lock-timeout \"1e9s\" is not a duration (e.g. 500ms, 30s, 1m30s, 1.5h)");
  s = resolve_lock({{"lock_timeout", "3000000h"}});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error(), "--lock-timeout \"3000000h\" is longer than the maximum of 7 days (168h)");
  s = resolve_lock({{"lock_lease", "9000000h"}});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error(), "--lock-lease \"9000000h\" is longer than the maximum of 24h");
  s = resolve_lock({{"lock_lease", "1m"}, {"lock_renew", "25h"}});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error(), "--lock-renew \"25h\" is longer than the maximum of 24h");
  EXPECT_TRUE(resolve_lock({{"lock_timeout", "168h"}, {"lock_lease", "24h"}, {"lock_renew", "23h"}}));
  EXPECT_TRUE(resolve_lock({{"lock_timeout", "0s"}}));  // try once
}

TEST(ResolveSettings, TheLeaseAndItsRenewalAreCheckedTogether) {
  // `status --lock-lease 1ms` spoke of a renewal interval nobody had set.
  auto s = resolve_lock({{"lock_lease", "1ms"}});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error(), "--lock-lease \"1ms\" is too short: the lease is renewed every third of it, which rounds to "
                       "0 ms; give 3ms or more (or set lock_renew, --lock-renew, shorter than the lease)");
  EXPECT_TRUE(resolve_lock({{"lock_lease", "3ms"}}));
  s = resolve_lock({{"lock_lease", "0s"}});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error(), "--lock-lease \"0s\" must be longer than 0");
  s = resolve_lock({{"lock_renew", "2m"}});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error(), "--lock-renew \"2m\" must be shorter than the lease, lock_lease \"60s\" (the default), or "
                       "the lease runs out between renewals");
  s = resolve_lock({{"lock_renew", "0ms"}});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error(), "--lock-renew \"0ms\" must be longer than 0");
}

TEST(ResolveSettings, LockSettingsFromTheFileAreCheckedAndNamed) {
  // lock_lease = "0s" in mongo-migrate.toml passed `config`.
  auto s = resolve_lock({}, {{"lock_lease", str("0s", 3)}});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error(), "mongo-migrate.toml:3: lock_lease: \"0s\" must be longer than 0");
  s = resolve_lock({}, {{"lock_lease", str("30s", 3)}, {"lock_renew", {.text = "40", .line = 4}}});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error(), "mongo-migrate.toml:4: lock_renew: \"40\" must be shorter than the lease, "
                       "mongo-migrate.toml:3: lock_lease: \"30s\", or the lease runs out between renewals");
  // A flag over the file: the flag is what is checked.
  EXPECT_TRUE(resolve_lock({{"lock_lease", "30s"}}, {{"lock_lease", str("0s", 3)}}));
}

TEST(DatabaseInUri, ThePathBeforeTheOptions) {
  EXPECT_EQ(database_in_uri("mongodb://localhost:27017/app"), "app");
  EXPECT_EQ(database_in_uri("mongodb://u:p@a:1,b:2/app?replicaSet=rs&x=/y"), "app");
  EXPECT_EQ(database_in_uri("mongodb+srv://cluster.example.com/shop?retryWrites=true"), "shop");
  EXPECT_EQ(database_in_uri("mongodb://localhost:27017"), "");
  EXPECT_EQ(database_in_uri("mongodb://localhost:27017/"), "");
  EXPECT_EQ(database_in_uri("mongodb://localhost/?authSource=admin"), "");
  EXPECT_EQ(database_in_uri("not a uri"), "");
}

TEST(DatabaseInUri, APasswordWithASlashOrAQuestionMarkIsNotThePath) {
  // Once "word@127.0.0.1:27217/db", showing half the password as the database.
  EXPECT_EQ(database_in_uri("mongodb://admin:secret/word@127.0.0.1:27217/db"), "db");
  EXPECT_EQ(database_in_uri("mongodb://admin:se/cr?etpw@127.0.0.1:27217/db"), "db");
  EXPECT_EQ(database_in_uri("mongodb://admin:se/cr?etpw@127.0.0.1:27217"), "");
  EXPECT_EQ(database_in_uri("mongodb://h:27017/app?appname=me@laptop"), "app");
}

TEST(SettingKeys, CoverEveryGlobalOption) {
  EXPECT_EQ(setting_key_list(), "uri, db, dir, collection, by, lock_timeout, lock_lease, lock_renew, naming, strict_order, parallel");
  ASSERT_NE(find_setting_key("uri"), nullptr);
  EXPECT_EQ(find_setting_key("uri")->environment, "MONGODB_URI");
  EXPECT_EQ(find_setting_key("url"), nullptr);
}

}  // namespace
}  // namespace mongomigrate::core
