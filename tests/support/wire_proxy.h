// A proxy on the wire between mongo-migrate and the test server, for the
// faults a real server cannot be made to produce on demand: a reply saying a
// write was applied but not confirmed (`writeConcernError`, which only a
// replica set sends), or no reply at all after the server applied a command
// (a connection lost on the way back). The real server does the work; only
// what the client hears is changed, so the test sees what the tool makes of
// it and what is really in the database.
//
// Contract: it listens on a free 127.0.0.1 port; each connection accepted is
// paired with one of its own to the server at 127.0.0.1:`server_port`, and
// every message goes through as it is, in both directions. Each OP_MSG reply
// to a command is first shown to the hook with the command: the hook may let
// it pass, edit it (the reply is then sent re-encoded), or hang up (both
// connections of that pair are closed without the reply: the server has run
// the command, the client gets a network error). Hooks run on the
// connections' threads, concurrently. The destructor closes everything and
// joins every thread. Not handled (the tool does not use them): an edited
// reply is re-encoded without moreToCome or a checksum, and a request sent
// with moreToCome is never matched to a reply.
// A fixture that holds a proxy whose hook uses other members of it stops the
// proxy first (in TearDown).

#pragma once

#include <bson/bson.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace mongomigrate::testing {

class WireProxy {
 public:
  struct Exchange {
    std::string name;            // the command's first key ("update", "insert", ...)
    std::string collection;      // that key's value when it is a string, else ""
    const bson_t* command;       // the command's body (kind-0 section)
    std::size_t statements = 0;  // documents in its sequences (kind-1): a bulk write's statements
    bson_t* reply;               // the server's reply (its body), which the hook may edit
  };
  enum class Verdict { kPass, kEdited, kHangUp };
  using Hook = std::function<Verdict(Exchange&)>;

  WireProxy(int server_port, Hook hook);
  ~WireProxy();
  WireProxy(const WireProxy&) = delete;
  WireProxy& operator=(const WireProxy&) = delete;

  int port() const { return port_; }
  // "mongodb://127.0.0.1:<port>/<database>" with 2 s timeouts.
  std::string uri(const std::string& database) const;

 private:
  struct Pair;
  void accept_loop();
  void pump_requests(Pair& pair);
  void pump_replies(Pair& pair);

  int server_port_;
  Hook hook_;
  int listen_fd_ = -1;
  int port_ = 0;
  bool stopping_ = false;  // guarded by mutex_
  std::thread acceptor_;
  std::mutex mutex_;  // guards stopping_ and pairs_
  std::vector<std::unique_ptr<Pair>> pairs_;
};

// Appends a writeConcernError as a replica set sends one when its write
// concern times out: the write is applied on the primary, not confirmed.
void add_write_concern_timeout(bson_t* reply);

}  // namespace mongomigrate::testing
