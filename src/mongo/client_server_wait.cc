// ServerWaitNotice (mongo/server_wait.h), and Client::on_server_wait, which
// installs it on a single client (ClientPool::open does on a pool).
#include <fmt/format.h>

#include "core/server_text.h"
#include "core/uri_redaction.h"
#include "mongo/client.h"
#include "mongo/server_wait.h"

namespace mongomigrate::mongo {

ServerWaitNotice::ServerWaitNotice(const mongoc_uri_t* uri, std::vector<std::string> secrets,
                                   std::function<void(const std::string&)> on_wait)
    : on_wait_(std::move(on_wait)),
      secrets_(std::move(secrets)),
      timeout_ms_(mongoc_uri_get_option_as_int32(uri, MONGOC_URI_SERVERSELECTIONTIMEOUTMS, 30'000)) {
  for (const mongoc_host_list_t* host = mongoc_uri_get_hosts(uri); host; host = host->next) ++seeds_;
}

ServerWaitNotice::Callbacks ServerWaitNotice::callbacks() {
  Callbacks callbacks(mongoc_apm_callbacks_new(), &mongoc_apm_callbacks_destroy);
  mongoc_apm_set_server_heartbeat_failed_cb(callbacks.get(), &ServerWaitNotice::heartbeat_failed);
  mongoc_apm_set_topology_changed_cb(callbacks.get(), &ServerWaitNotice::topology_changed);
  return callbacks;
}

void ServerWaitNotice::topology_changed(const mongoc_apm_topology_changed_t* event) {
  auto* notice = static_cast<ServerWaitNotice*>(mongoc_apm_topology_changed_get_context(event));
  const mongoc_topology_description_t* now = mongoc_apm_topology_changed_get_new_description(event);
  std::size_t count = 0;
  mongoc_server_description_t** servers = mongoc_topology_description_get_servers(now, &count);
  mongoc_server_descriptions_destroy_all(servers, count);
  std::lock_guard lock(notice->mutex_);
  notice->writable_known_ = mongoc_topology_description_has_writable_server(now);
  notice->servers_known_ = count;
}

void ServerWaitNotice::heartbeat_failed(const mongoc_apm_server_heartbeat_failed_t* event) {
  auto* notice = static_cast<ServerWaitNotice*>(mongoc_apm_server_heartbeat_failed_get_context(event));
  std::lock_guard lock(notice->mutex_);
  ++notice->failures_;
  const bool one_server = notice->seeds_ == 1 && notice->servers_known_ <= 1;
  if (notice->told_ || notice->writable_known_ || (!one_server && notice->failures_ < 2)) return;
  notice->told_ = true;
  bson_error_t error;
  mongoc_apm_server_heartbeat_failed_get_error(event, &error);
  const mongoc_host_list_t* host = mongoc_apm_server_heartbeat_failed_get_host(event);
  // Called from inside libmongoc (C): nothing may unwind through it.
  try {
    // The host and the driver's words are scrubbed (the driver may take part
    // of a password for a host), not the sentence around them.
    std::string host_text = host ? core::scrub(host->host_and_port, notice->secrets_) : "";
    if (host_text.empty() || host_text == core::kWithheld) host_text = "the server";
    std::string text = fmt::format("no answer from {} ({}); waiting up to {:g} s for a server "
                                   "(serverSelectionTimeoutMS)",
                                   host_text, core::scrub(error.message, notice->secrets_),
                                   notice->timeout_ms_ / 1000.0);
    notice->on_wait_(core::one_line(std::move(text)));
  } catch (...) {
  }
}

void Client::on_server_wait(std::function<void(const std::string&)> on_wait) {
  if (pool_ || !on_wait) return;
  const mongoc_uri_t* uri = mongoc_client_get_uri(client_.get());
  if (mongoc_uri_get_option_as_bool(uri, MONGOC_URI_SERVERSELECTIONTRYONCE, true)) return;
  server_wait_ = std::make_shared<ServerWaitNotice>(uri, secrets_, std::move(on_wait));
  mongoc_client_set_apm_callbacks(client_.get(), ServerWaitNotice::callbacks().get(), server_wait_.get());
}

}  // namespace mongomigrate::mongo
