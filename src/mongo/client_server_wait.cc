// Client::on_server_wait: libmongoc's heartbeat-failed event, which a single
// client raises on its own thread while server selection waits.
#include <fmt/format.h>

#include "core/server_text.h"
#include "core/uri_redaction.h"
#include "mongo/client.h"

namespace mongomigrate::mongo {

struct Client::ServerWait {
  std::function<void(const std::string&)> on_wait;
  std::vector<std::string> secrets;
  std::int32_t timeout_ms = 0;
  std::size_t seeds = 0;  // hosts the URI names (none for mongodb+srv)
  bool told = false;
  bool writable_known = false;     // the driver knows a server it can write to
  std::size_t servers_known = 0;   // servers in the driver's view of the deployment
  int failures = 0;

  static void topology_changed(const mongoc_apm_topology_changed_t* event) {
    auto* wait = static_cast<ServerWait*>(mongoc_apm_topology_changed_get_context(event));
    const mongoc_topology_description_t* now = mongoc_apm_topology_changed_get_new_description(event);
    wait->writable_known = mongoc_topology_description_has_writable_server(now);
    std::size_t count = 0;
    mongoc_server_description_t** servers = mongoc_topology_description_get_servers(now, &count);
    mongoc_server_descriptions_destroy_all(servers, count);
    wait->servers_known = count;
  }

  // The one server of a single-host URI that fails is waited for: told at
  // once. Of several (a replica set), one that is down fails at every scan
  // while the primary answers and nothing waits: told only at a second
  // failure (the next look, after libmongoc's 5 s cooldown) with no
  // writable server known by then.
  static void heartbeat_failed(const mongoc_apm_server_heartbeat_failed_t* event) {
    auto* wait = static_cast<ServerWait*>(mongoc_apm_server_heartbeat_failed_get_context(event));
    ++wait->failures;
    const bool one_server = wait->seeds == 1 && wait->servers_known <= 1;
    if (wait->told || wait->writable_known || (!one_server && wait->failures < 2)) return;
    wait->told = true;
    bson_error_t error;
    mongoc_apm_server_heartbeat_failed_get_error(event, &error);
    const mongoc_host_list_t* host = mongoc_apm_server_heartbeat_failed_get_host(event);
    std::string text = fmt::format("no answer from {} ({}); waiting up to {:g} s for a server "
                                   "(serverSelectionTimeoutMS)",
                                   host ? host->host_and_port : "the server", error.message,
                                   wait->timeout_ms / 1000.0);
    // Called from inside libmongoc (C): nothing may unwind through it.
    try {
      wait->on_wait(core::one_line(core::scrub(std::move(text), wait->secrets)));
    } catch (...) {
    }
  }
};

void Client::on_server_wait(std::function<void(const std::string&)> on_wait) {
  if (pool_ || !on_wait) return;
  const mongoc_uri_t* uri = mongoc_client_get_uri(client_.get());
  if (mongoc_uri_get_option_as_bool(uri, MONGOC_URI_SERVERSELECTIONTRYONCE, true)) return;
  std::size_t seeds = 0;
  for (const mongoc_host_list_t* host = mongoc_uri_get_hosts(uri); host; host = host->next) ++seeds;
  server_wait_ = std::make_shared<ServerWait>(ServerWait{
      .on_wait = std::move(on_wait),
      .secrets = secrets_,
      .timeout_ms = mongoc_uri_get_option_as_int32(uri, MONGOC_URI_SERVERSELECTIONTIMEOUTMS, 30'000),
      .seeds = seeds,
  });
  std::unique_ptr<mongoc_apm_callbacks_t, decltype(&mongoc_apm_callbacks_destroy)> callbacks(
      mongoc_apm_callbacks_new(), &mongoc_apm_callbacks_destroy);
  mongoc_apm_set_server_heartbeat_failed_cb(callbacks.get(), &ServerWait::heartbeat_failed);
  mongoc_apm_set_topology_changed_cb(callbacks.get(), &ServerWait::topology_changed);
  mongoc_client_set_apm_callbacks(client_.get(), callbacks.get(), server_wait_.get());
}

}  // namespace mongomigrate::mongo
