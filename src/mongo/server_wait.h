// The notice that the driver is waiting for a server (Client::on_server_wait,
// ClientPool::open), from libmongoc's monitoring events: told once,
// through `on_wait`, when the checks of the servers keep failing (a host that
// refuses, does not answer, or is not known) with no server to write to
// known, so that a person at a terminal knows why nothing happens. Of a
// single-host URI, the first failed check tells; of several hosts (a replica
// set), a member that is down while the primary answers fails at every scan
// and nothing waits, so only a second failure (the next look, after
// libmongoc's 5 s cooldown) with no writable server known tells. Elections
// are silent (every member answers).
//
// Contract: the callbacks may come from several threads (a pool's monitors),
// one at a time through an internal mutex; `on_wait` is called at most once,
// its message scrubbed of `secrets` and on one line; what it throws is
// dropped (it is called from inside libmongoc). The notice must outlive the
// client or pool whose callbacks point at it.
#pragma once

#include <mongoc/mongoc.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace mongomigrate::mongo {

class ServerWaitNotice {
 public:
  ServerWaitNotice(const mongoc_uri_t* uri, std::vector<std::string> secrets,
                   std::function<void(const std::string&)> on_wait);

  // Callbacks whose context is to be this notice.
  using Callbacks = std::unique_ptr<mongoc_apm_callbacks_t, decltype(&mongoc_apm_callbacks_destroy)>;
  static Callbacks callbacks();

 private:
  static void topology_changed(const mongoc_apm_topology_changed_t* event);
  static void heartbeat_failed(const mongoc_apm_server_heartbeat_failed_t* event);

  std::function<void(const std::string&)> on_wait_;
  std::vector<std::string> secrets_;
  std::int32_t timeout_ms_ = 0;
  std::size_t seeds_ = 0;  // hosts the URI names (none for mongodb+srv)
  std::mutex mutex_;       // guards what follows
  bool told_ = false;
  bool writable_known_ = false;   // the driver knows a server it can write to
  std::size_t servers_known_ = 0;  // servers in the driver's view of the deployment
  int failures_ = 0;
};

}  // namespace mongomigrate::mongo
