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
  bool told = false;

  static void heartbeat_failed(const mongoc_apm_server_heartbeat_failed_t* event) {
    auto* wait = static_cast<ServerWait*>(mongoc_apm_server_heartbeat_failed_get_context(event));
    if (wait->told) return;
    wait->told = true;
    bson_error_t error;
    mongoc_apm_server_heartbeat_failed_get_error(event, &error);
    const mongoc_host_list_t* host = mongoc_apm_server_heartbeat_failed_get_host(event);
    std::string text = fmt::format("no answer from {} ({}); waiting up to {:g} s for a server "
                                   "(serverSelectionTimeoutMS)",
                                   host ? host->host_and_port : "the server", error.message,
                                   wait->timeout_ms / 1000.0);
    wait->on_wait(core::one_line(core::scrub(std::move(text), wait->secrets)));
  }
};

void Client::on_server_wait(std::function<void(const std::string&)> on_wait) {
  if (pool_ || !on_wait) return;
  const mongoc_uri_t* uri = mongoc_client_get_uri(client_.get());
  if (mongoc_uri_get_option_as_bool(uri, MONGOC_URI_SERVERSELECTIONTRYONCE, true)) return;
  server_wait_ = std::make_shared<ServerWait>(ServerWait{
      .on_wait = std::move(on_wait),
      .secrets = secrets_,
      .timeout_ms = mongoc_uri_get_option_as_int32(uri, MONGOC_URI_SERVERSELECTIONTIMEOUTMS, 30'000),
  });
  std::unique_ptr<mongoc_apm_callbacks_t, decltype(&mongoc_apm_callbacks_destroy)> callbacks(
      mongoc_apm_callbacks_new(), &mongoc_apm_callbacks_destroy);
  mongoc_apm_set_server_heartbeat_failed_cb(callbacks.get(), &ServerWait::heartbeat_failed);
  mongoc_client_set_apm_callbacks(client_.get(), callbacks.get(), server_wait_.get());
}

}  // namespace mongomigrate::mongo
