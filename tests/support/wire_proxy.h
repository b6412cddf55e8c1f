// A proxy on the wire between mongo-migrate and the test server, for the
// faults a real server cannot be made to produce on demand: a reply saying a
// write was applied but not confirmed (`writeConcernError`, which only a
// replica set sends), or no reply at all after the server applied a command
// (a connection lost on the way back). The real server does the work; only
// what the client hears is changed, so the test sees what the tool makes of
// it and what is really in the database.
//
// Contract: it listens on a free 127.0.0.1 port; each connection accepted is
// paired with one of its own to the server at `server` (plain TCP), and
// every message goes through as it is, in both directions. A command (an
// OP_MSG, or the OP_QUERY that opens a connection's handshake) is first shown
// to the interceptor, if there is one: it may answer it itself (the server
// never sees it: a primary stepping down refuses a write so), or hang up
// before the server sees it (a request lost on the way). Each reply
// from the server is shown to the hook with its command: the hook may let it
// pass, edit it (the reply is then sent re-encoded), or hang up (both
// connections of that pair are closed without the reply: the server has run
// the command, the client gets a network error). Hooks run on the
// connections' threads, concurrently. The destructor closes everything and
// joins every thread. Not handled (the tool does not use them): a reply is
// re-encoded without moreToCome or a checksum, and a request sent with
// moreToCome is never matched to a reply.
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

#include "support/test_server.h"

namespace mongomigrate::testing {

class WireProxy {
 public:
  struct Exchange {
    std::string name;            // the command's first key ("update", "insert", ...)
    std::string collection;      // that key's value when it is a string, else ""
    const bson_t* command;       // the command's body (kind-0 section)
    std::size_t statements = 0;  // documents in its sequences (kind-1): a bulk write's statements
    bson_t* reply;               // the server's reply (its body), which the hook may edit
    const std::string* request = nullptr;  // the interceptor's: the whole request as it came
  };
  enum class Verdict { kPass, kEdited, kHangUp };
  using Hook = std::function<Verdict(Exchange&)>;
  // Sees a command before the server does, with `reply` empty: true sends
  // `reply`, as the interceptor filled it, back instead of the command, or,
  // when it left `reply` empty, hangs up (the connection is lost before the
  // command reached the server); false forwards it. Never asked of a
  // request sent with moreToCome, which wants no reply.
  using Interceptor = std::function<bool(Exchange&)>;

  WireProxy(ServerAddress server, Hook hook, Interceptor interceptor = {});
  ~WireProxy();
  WireProxy(const WireProxy&) = delete;
  WireProxy& operator=(const WireProxy&) = delete;

  int port() const { return port_; }  // a URI through it: TestServer::uri_via

  // Sends `request` (an Exchange's) to the server on a connection of its
  // own, with no handshake or authentication, and waits for its reply: a
  // request the interceptor kept back reaches the server late. False if
  // no reply came.
  bool deliver_late(const std::string& request) const;

 private:
  struct Pair;
  void accept_loop();
  void pump_requests(Pair& pair);
  void pump_replies(Pair& pair);

  ServerAddress server_;
  Hook hook_;
  Interceptor interceptor_;
  int listen_fd_ = -1;
  int port_ = 0;
  bool stopping_ = false;  // guarded by mutex_
  std::thread acceptor_;
  std::mutex mutex_;  // guards stopping_ and pairs_
  std::vector<std::unique_ptr<Pair>> pairs_;
};

// Whether `name` is a handshake or monitoring command: hello, isMaster.
bool is_hello(const std::string& name);

// Rewrites a server's reply to hello or isMaster (`hello_name`) as the
// member of replica set "rs0" at 127.0.0.1:`port` would send it: the
// primary elected in `term` or, when `primary` is false, a secondary with no
// primary in sight (an election under way). `other_members` ("host:port")
// are listed in the set too. The client must name the set (replicaSet=rs0)
// to read it as one.
void as_replica_set_member(bson_t* reply, const std::string& hello_name, int port, bool primary, int term,
                           const std::vector<std::string>& other_members = {});

// Fills an empty reply with the refusal a primary that stepped down sends
// for `command`: NotWritablePrimary (10107), nothing done.
void refuse_as_not_primary(const bson_t* command, bson_t* reply);

// Appends a writeConcernError as a replica set sends one when its write
// concern times out: the write is applied on the primary, not confirmed.
void add_write_concern_timeout(bson_t* reply);

}  // namespace mongomigrate::testing
