// A fake MongoDB server on the wire, for the one test that needs a server the
// suite cannot run: FerretDB 1.x, which mongo-migrate must refuse at its
// first contact (Client::check_server, from buildInfo). A fake stands in only
// where the real thing cannot be had: the real FerretDB 2 path is covered by
// the whole suite.
//
// Contract: it listens on a free 127.0.0.1 port and serves any number of
// connections, each on a thread of its own (libmongoc may open a monitoring
// connection besides the application's). It speaks OP_MSG (opcode 2013: the
// kind-0 body is the command; kind-1 document sequences and the checksum are
// read and ignored; a moreToCome request gets no reply) and legacy OP_QUERY
// (opcode 2004, answered with OP_REPLY), which libmongoc 1.23 still uses for
// its first handshake. Anything else closes the connection. Each command's
// name (its first key) is recorded, then the handler writes the reply. The
// standard replies: hello/isMaster say "standalone, writable primary";
// buildInfo answers the document given; ping and endSessions say ok; every
// other command fails with CommandNotFound (59, "fake: unsupported"). Nothing
// is stored: a write is recorded and refused like any other command.
//
// The destructor stops it: the listener closed, client sockets shut down,
// every thread joined. MONGOMIGRATE_FAKE_WIRE_LOG set prints each command and
// reply on stderr.
#pragma once

#include <bson/bson.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace mongomigrate::testing {

class FakeWireServer {
 public:
  // One command and its reply. (Not std::function<void(const bson_t*, ...)>:
  // bson_t is over-aligned, which a template argument warns about.)
  struct Exchange {
    std::string name;       // the command's first key
    const bson_t* command;  // the whole command document
    bson_t* reply;          // empty: the handler appends the reply's fields
  };
  // Answers one command. Called on the connections' threads, concurrently.
  using Handler = std::function<void(Exchange&)>;

  // The standard replies, buildInfo's being `build_info_json` (Extended JSON,
  // e.g. R"({"version": "7.0.14", "ok": 1})"). Throws if it is not JSON.
  explicit FakeWireServer(const std::string& build_info_json);
  explicit FakeWireServer(Handler handler);
  ~FakeWireServer();
  FakeWireServer(const FakeWireServer&) = delete;
  FakeWireServer& operator=(const FakeWireServer&) = delete;

  int port() const { return port_; }
  // "mongodb://127.0.0.1:<port>/<database>" with 2 s timeouts.
  std::string uri(const std::string& database) const;
  // The names of the commands received so far, in order of arrival.
  std::vector<std::string> commands() const;

  // The standard reply (see above), buildInfo's being `build_info`.
  // `max_bson_object_size`: what hello/isMaster say a server accepts;
  // `clock_offset_ms`: how far their localTime is from this host's clock.
  static void standard_reply(Exchange& exchange, const bson_t& build_info,
                             std::int32_t max_bson_object_size = 16 * 1024 * 1024,
                             std::int64_t clock_offset_ms = 0);

 private:
  void accept_loop();
  void serve(int fd);
  // Records the command's name and has the handler write its reply.
  void answer(int32_t op_code, const bson_t& command, bson_t* reply);

  Handler handler_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int32_t> next_request_id_{1};
  std::thread acceptor_;
  mutable std::mutex mutex_;  // guards the three below
  std::vector<int> client_fds_;
  std::vector<std::thread> clients_;
  std::vector<std::string> commands_;
};

}  // namespace mongomigrate::testing
