#include "mongo/client_pool.h"

#include <algorithm>
#include <cstdint>
#include <limits>

#include <fmt/format.h>

#include "core/names.h"
#include "core/server_text.h"
#include "core/uri_redaction.h"
#include "mongo/migration_context.h"
#include "mongo/server_wait.h"
#include "mongo/value_bson.h"

namespace mongomigrate::mongo {

std::size_t fan_out_pool_size(int parallel) {
  constexpr std::size_t kPerDatabase = 3 + MigrationContext::kMaxParallel;
  return static_cast<std::size_t>(std::max(parallel, 1)) * kPerDatabase + 1;
}

Result<std::shared_ptr<ClientPool>> ClientPool::open(const std::string& uri_text, std::size_t max_clients,
                                                     std::function<void(const std::string&)> on_server_wait) {
  auto prepared = prepare_uri(uri_text);
  if (!prepared) return std::unexpected(prepared.error());
  auto pool = std::make_shared<ClientPool>(Key{});
  pool->redacted_uri_ = prepared->redacted;
  pool->secrets_ = prepared->secrets;
  // Server selection waits up to serverSelectionTimeoutMS (30 s unless the
  // URI says otherwise), as a single client's does (prepare_uri): long
  // enough for an election. A server that is gone costs that wait once per
  // database in flight, not per database: the fan-out then starts no other.
  bson_error_t error;
  pool->pool_.reset(mongoc_client_pool_new_with_error(prepared->uri.get(), &error));
  if (!pool->pool_) return std::unexpected(client_creation_error(error, *prepared));
  mongoc_client_pool_set_error_api(pool->pool_.get(), MONGOC_ERROR_API_VERSION_2);
  // The URI's maxPoolSize may only raise the size the owner counted.
  auto uri_max = static_cast<std::size_t>(std::max(0, mongoc_uri_get_option_as_int32(
                                                          prepared->uri.get(), MONGOC_URI_MAXPOOLSIZE, 0)));
  // libmongoc takes a 32-bit size: only --parallel above 64 million could reach it.
  pool->max_clients_ = std::min(std::max(max_clients, uri_max), std::size_t{std::numeric_limits<uint32_t>::max()});
  mongoc_client_pool_max_size(pool->pool_.get(), static_cast<uint32_t>(pool->max_clients_));
  if (on_server_wait) {  // before any client is popped, as libmongoc requires
    pool->server_wait_ =
        std::make_shared<ServerWaitNotice>(prepared->uri.get(), pool->secrets_, std::move(on_server_wait));
    mongoc_client_pool_set_apm_callbacks(pool->pool_.get(), ServerWaitNotice::callbacks().get(),
                                         pool->server_wait_.get());
  }
  return pool;
}

Result<Client> ClientPool::pop(const std::string& database) {
  if (auto named = check_database_name(database); !named) return std::unexpected(named.error());
  ClientPtr handle(mongoc_client_pool_try_pop(pool_.get()), ClientDeleter{pool_.get()});
  if (!handle) {
    return std::unexpected(Error{ErrorKind::kRefused,
                                 fmt::format("all {} connections of the fan-out's pool are in use: none is left "
                                             "for database {}",
                                             max_clients_, core::printable(database))});
  }
  return Client::pooled(std::move(handle), database, redacted_uri_, secrets_, shared_from_this());
}

Result<void> ClientPool::check_server() {
  std::lock_guard lock(check_mutex_);
  if (server_checked_) return *server_checked_;
  auto client = pop("admin");
  if (!client) return std::unexpected(client.error());
  auto checked = client->check_server();
  if (checked) server_checked_ = checked;  // a refusal is asked again (it ends the fan-out anyway)
  return checked;
}

Result<void> ClientPool::ping() {
  auto client = pop("admin");
  if (!client) return std::unexpected(client.error());
  OwnedBson command = to_bson(Doc{{"ping", 1}});
  ScopedBson reply;
  return client->run_command(command.get(), reply.get());
}

Result<std::vector<std::string>> ClientPool::list_databases() {
  auto client = pop("admin");
  if (!client) return std::unexpected(client.error());
  OwnedBson command = to_bson(Doc{{"listDatabases", 1}, {"nameOnly", true}});
  ScopedBson reply;
  if (auto r = client->run_command(command.get(), reply.get()); !r) return std::unexpected(r.error());
  std::vector<std::string> names;
  bson_iter_t it, databases;
  if (bson_iter_init_find(&it, reply.get(), "databases") && BSON_ITER_HOLDS_ARRAY(&it) &&
      bson_iter_recurse(&it, &databases)) {
    while (bson_iter_next(&databases)) {
      bson_iter_t entry;
      if (BSON_ITER_HOLDS_DOCUMENT(&databases) && bson_iter_recurse(&databases, &entry) &&
          bson_iter_find(&entry, "name") && BSON_ITER_HOLDS_UTF8(&entry)) {
        names.emplace_back(bson_iter_utf8(&entry, nullptr));
      }
    }
  }
  return names;
}

}  // namespace mongomigrate::mongo
