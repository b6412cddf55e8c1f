#include "support/wire_proxy.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <map>
#include <optional>
#include <stdexcept>

#include "support/wire_io.h"

namespace mongomigrate::testing {

// A command sent on a pair, kept until its reply comes back.
struct SentCommand {
  int32_t op = 0;  // the request's opcode: OP_MSG, or OP_QUERY (answered by an OP_REPLY)
  std::string name;
  std::string collection;
  std::string body;  // the command's BSON bytes
  std::size_t statements = 0;
};

// One client connection and the proxy's connection to the server for it.
struct WireProxy::Pair {
  int client_fd = -1;
  int server_fd = -1;
  std::mutex mutex;                        // guards sent
  std::map<int32_t, SentCommand> sent;     // by requestID
  std::mutex client_writes;                // both threads write to client_fd
  std::thread requests, replies;

  bool to_client(const std::string& message) {
    std::lock_guard lock(client_writes);
    return wire::write_all(client_fd, message);
  }

  void hang_up() {
    shutdown(client_fd, SHUT_RDWR);
    shutdown(server_fd, SHUT_RDWR);
  }
};

namespace {

// An election id (an ObjectId) that grows with `term`.
std::string election_id_hex(int term) {
  char hex[25];
  std::snprintf(hex, sizeof hex, "7fffffff%016x", static_cast<unsigned>(term));
  return hex;
}

int listen_on_loopback(int* port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd, 16) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    std::string why = std::strerror(errno);
    if (fd >= 0) close(fd);
    throw std::runtime_error("wire proxy: cannot listen on 127.0.0.1: " + why);
  }
  *port = ntohs(addr.sin_port);
  return fd;
}

// A TCP connection to `server` (any address its name resolves to), or -1.
int connect_to(const ServerAddress& server) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(server.host.c_str(), std::to_string(server.port).c_str(), &hints, &found) != 0) return -1;
  int fd = -1;
  for (addrinfo* a = found; a && fd < 0; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(found);
  if (fd >= 0) {
    int one = 1;  // requests are small and wait for their replies
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  return fd;
}

// The kind-0 body of an OP_MSG (`message` is the whole message) and the
// number of documents in its kind-1 sequences; false if it is not a
// well-formed OP_MSG.
bool op_msg_body(const std::string& message, bson_t* body, std::size_t* statements) {
  const auto* p = reinterpret_cast<const uint8_t*>(message.data()) + wire::kHeaderSize;
  const auto* end = reinterpret_cast<const uint8_t*>(message.data()) + message.size();
  if (wire::read_i32(reinterpret_cast<const uint8_t*>(message.data()) + 12) != wire::kOpMsg || end - p < 4) {
    return false;
  }
  if (static_cast<uint32_t>(wire::read_i32(p)) & wire::kChecksumPresent) end -= 4;
  bool have_body = false;
  *statements = 0;
  for (p += 4; p < end;) {
    uint8_t kind = *p++;
    size_t size = 0;
    if (kind == 0 && !have_body && wire::document_at(p, end, body, &size)) {
      have_body = true;
      p += size;
    } else if (kind == 1 && end - p >= 4 && wire::read_i32(p) >= 4 && wire::read_i32(p) <= end - p) {
      const uint8_t* section_end = p + wire::read_i32(p);
      const void* nul = std::memchr(p + 4, 0, static_cast<size_t>(section_end - p - 4));  // the identifier
      if (!nul) return false;
      bson_t doc;
      for (const auto* d = static_cast<const uint8_t*>(nul) + 1; d < section_end; d += size, ++*statements) {
        if (!wire::document_at(d, section_end, &doc, &size)) return false;
      }
      p = section_end;
    } else {
      return false;
    }
  }
  return have_body;
}

// The query document of an OP_QUERY, unwrapped from `$query`: a
// connection's handshake is sent so, to `admin.$cmd` (the namespace is not
// checked: libmongoc 1.23 sends nothing else as OP_QUERY).
bool op_query_body(const std::string& message, bson_t* body) {
  const auto* p = reinterpret_cast<const uint8_t*>(message.data()) + wire::kHeaderSize;
  const auto* end = reinterpret_cast<const uint8_t*>(message.data()) + message.size();
  if (wire::read_i32(reinterpret_cast<const uint8_t*>(message.data()) + 12) != wire::kOpQuery || end - p < 4) {
    return false;
  }
  p += 4;  // flags
  const void* nul = std::memchr(p, 0, static_cast<size_t>(end - p));  // the namespace
  if (!nul) return false;
  p = static_cast<const uint8_t*>(nul) + 1;
  if (end - p < 8) return false;
  p += 8;  // numberToSkip, numberToReturn
  size_t size = 0;
  if (!wire::document_at(p, end, body, &size)) return false;
  bson_iter_t it;
  if (bson_iter_init_find(&it, body, "$query") && BSON_ITER_HOLDS_DOCUMENT(&it)) {
    uint32_t length = 0;
    const uint8_t* data = nullptr;
    bson_iter_document(&it, &length, &data);
    return bson_init_static(body, data, length);
  }
  return true;
}

// The first document of an OP_REPLY.
bool op_reply_body(const std::string& message, bson_t* body) {
  const auto* p = reinterpret_cast<const uint8_t*>(message.data()) + wire::kHeaderSize;
  const auto* end = reinterpret_cast<const uint8_t*>(message.data()) + message.size();
  constexpr size_t kFields = 4 + 8 + 4 + 4;  // responseFlags, cursorID, startingFrom, numberReturned
  if (wire::read_i32(reinterpret_cast<const uint8_t*>(message.data()) + 12) != wire::kOpReply ||
      static_cast<size_t>(end - p) < kFields) {
    return false;
  }
  size_t size = 0;
  return wire::document_at(p + kFields, end, body, &size);
}

// A reply with `body` as its one document, answering the request
// `response_to` in the form its opcode `request_op` asks for.
std::string reply_message(int32_t request_op, int32_t request_id, int32_t response_to, const bson_t& body) {
  std::string out;
  const bool legacy = request_op == wire::kOpQuery;
  const int32_t fields = legacy ? 4 + 8 + 4 + 4 : 4 + 1;
  wire::append_i32(out, static_cast<int32_t>(wire::kHeaderSize) + fields + static_cast<int32_t>(body.len));
  wire::append_i32(out, request_id);
  wire::append_i32(out, response_to);
  wire::append_i32(out, legacy ? wire::kOpReply : wire::kOpMsg);
  wire::append_i32(out, 0);  // OP_REPLY's responseFlags or OP_MSG's flags: nothing set
  if (legacy) {
    out.append(8, '\0');     // cursorID
    wire::append_i32(out, 0);  // startingFrom
    wire::append_i32(out, 1);  // numberReturned
  } else {
    out.push_back('\0');  // a kind-0 section
  }
  out.append(reinterpret_cast<const char*>(bson_get_data(&body)), body.len);
  return out;
}

}  // namespace

WireProxy::WireProxy(ServerAddress server, Hook hook, Interceptor interceptor)
    : server_(std::move(server)), hook_(std::move(hook)), interceptor_(std::move(interceptor)) {
  listen_fd_ = listen_on_loopback(&port_);
  acceptor_ = std::thread([this] { accept_loop(); });
}

WireProxy::~WireProxy() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    for (auto& pair : pairs_) pair->hang_up();
  }
  shutdown(listen_fd_, SHUT_RDWR);  // wakes accept() (Linux)
  acceptor_.join();
  for (auto& pair : pairs_) {  // the acceptor, which adds to these, is gone
    pair->requests.join();
    pair->replies.join();
    close(pair->client_fd);
    close(pair->server_fd);
  }
  close(listen_fd_);
}

void WireProxy::accept_loop() {
  while (true) {
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;  // closed by the destructor
    }
    auto pair = std::make_unique<Pair>();
    pair->client_fd = fd;
    pair->server_fd = connect_to(server_);
    if (pair->server_fd < 0) {
      close(fd);
      continue;
    }
    std::lock_guard lock(mutex_);
    if (stopping_) {
      pair->hang_up();
      close(pair->client_fd);
      close(pair->server_fd);
      return;
    }
    Pair& p = *pair;
    pairs_.push_back(std::move(pair));
    p.requests = std::thread([this, &p] { pump_requests(p); });
    p.replies = std::thread([this, &p] { pump_replies(p); });
  }
}

bool WireProxy::deliver_late(const std::string& request) const {
  int fd = connect_to(server_);
  if (fd < 0) return false;
  std::string reply;
  bool answered = wire::write_all(fd, request) && wire::read_message(fd, reply);
  close(fd);
  return answered;
}

void WireProxy::pump_requests(Pair& pair) {
  std::string message;
  while (wire::read_message(pair.client_fd, message)) {
    const auto* header = reinterpret_cast<const uint8_t*>(message.data());
    bson_t body;
    SentCommand sent;
    sent.op = wire::read_i32(header + 12);
    if (op_msg_body(message, &body, &sent.statements) || op_query_body(message, &body)) {
      bson_iter_t it;
      if (bson_iter_init(&it, &body) && bson_iter_next(&it)) {
        sent.name = bson_iter_key(&it);
        if (BSON_ITER_HOLDS_UTF8(&it)) sent.collection = bson_iter_utf8(&it, nullptr);
      }
      // A request sent with moreToCome expects no reply: never answered here.
      const bool more_to_come = sent.op == wire::kOpMsg &&
                                (static_cast<uint32_t>(wire::read_i32(header + wire::kHeaderSize)) & wire::kMoreToCome);
      if (interceptor_ && !more_to_come) {
        bson_t answer = BSON_INITIALIZER;
        Exchange exchange{sent.name, sent.collection, &body, sent.statements, &answer, &message};
        if (interceptor_(exchange)) {
          if (bson_empty(&answer)) {  // lost on the way: the server never sees it
            bson_destroy(&answer);
            break;
          }
          // Answered: the server never sees it, even if the client is gone.
          bool delivered = pair.to_client(reply_message(sent.op, 0, wire::read_i32(header + 4), answer));
          bson_destroy(&answer);
          if (!delivered) break;
          continue;
        }
        bson_destroy(&answer);
      }
      sent.body.assign(reinterpret_cast<const char*>(bson_get_data(&body)), body.len);
      std::lock_guard lock(pair.mutex);
      pair.sent[wire::read_i32(header + 4)] = std::move(sent);
    }
    if (!wire::write_all(pair.server_fd, message)) break;
  }
  pair.hang_up();
}

void WireProxy::pump_replies(Pair& pair) {
  std::string message;
  while (wire::read_message(pair.server_fd, message)) {
    const auto* header = reinterpret_cast<const uint8_t*>(message.data());
    int32_t response_to = wire::read_i32(header + 8);
    std::optional<SentCommand> sent;
    {
      std::lock_guard lock(pair.mutex);
      if (auto found = pair.sent.find(response_to); found != pair.sent.end()) {
        sent = std::move(found->second);
        pair.sent.erase(found);
      }
    }
    bson_t body;
    std::size_t ignored = 0;
    if (sent && (op_msg_body(message, &body, &ignored) || op_reply_body(message, &body))) {
      bson_t command;
      bson_init_static(&command, reinterpret_cast<const uint8_t*>(sent->body.data()), sent->body.size());
      bson_t reply;
      bson_copy_to(&body, &reply);
      Exchange exchange{sent->name, sent->collection, &command, sent->statements, &reply};
      Verdict verdict = hook_(exchange);
      if (verdict == Verdict::kEdited) message = reply_message(sent->op, wire::read_i32(header + 4), response_to, reply);
      bson_destroy(&reply);
      if (verdict == Verdict::kHangUp) break;
    }
    if (!pair.to_client(message)) break;
  }
  pair.hang_up();
}

bool is_hello(const std::string& name) { return name == "hello" || name == "isMaster" || name == "ismaster"; }

void as_replica_set_member(bson_t* reply, const std::string& hello_name, int port, bool primary, int term,
                           const std::vector<std::string>& other_members) {
  const std::string address = "127.0.0.1:" + std::to_string(port);
  bson_t member = BSON_INITIALIZER;
  bson_copy_to_excluding_noinit(reply, &member, "isWritablePrimary", "ismaster", "secondary", "setName", "hosts",
                                "me", "primary", "setVersion", "electionId", nullptr);
  // hello answers isWritablePrimary, the legacy isMaster ismaster.
  BSON_APPEND_BOOL(&member, hello_name == "hello" ? "isWritablePrimary" : "ismaster", primary);
  BSON_APPEND_BOOL(&member, "secondary", !primary);
  BSON_APPEND_UTF8(&member, "setName", "rs0");
  bson_t hosts;
  BSON_APPEND_ARRAY_BEGIN(&member, "hosts", &hosts);
  BSON_APPEND_UTF8(&hosts, "0", address.c_str());
  for (std::size_t i = 0; i < other_members.size(); ++i) {
    BSON_APPEND_UTF8(&hosts, std::to_string(i + 1).c_str(), other_members[i].c_str());
  }
  bson_append_array_end(&member, &hosts);
  BSON_APPEND_UTF8(&member, "me", address.c_str());
  if (primary) {
    BSON_APPEND_UTF8(&member, "primary", address.c_str());
    // A later election's id is greater: the driver takes an older one for a
    // stale primary.
    bson_oid_t election;
    bson_oid_init_from_string(&election, election_id_hex(term).c_str());
    BSON_APPEND_OID(&member, "electionId", &election);
  }
  BSON_APPEND_INT32(&member, "setVersion", 1);
  bson_destroy(reply);
  bson_copy_to(&member, reply);
  bson_destroy(&member);
}

void refuse_as_not_primary(const bson_t* command, bson_t* reply) {
  BSON_APPEND_DOUBLE(reply, "ok", 0);
  BSON_APPEND_UTF8(reply, "errmsg", "not primary");
  BSON_APPEND_INT32(reply, "code", 10107);
  BSON_APPEND_UTF8(reply, "codeName", "NotWritablePrimary");
  // MongoDB 4.4+ labels the error of a retryable write (one sent with a
  // txnNumber); drivers retry on the label, not on the code.
  if (bson_has_field(command, "txnNumber")) {
    bson_t labels;
    BSON_APPEND_ARRAY_BEGIN(reply, "errorLabels", &labels);
    BSON_APPEND_UTF8(&labels, "0", "RetryableWriteError");
    bson_append_array_end(reply, &labels);
  }
}

void add_write_concern_timeout(bson_t* reply) {
  bson_t error;
  BSON_APPEND_DOCUMENT_BEGIN(reply, "writeConcernError", &error);
  BSON_APPEND_INT32(&error, "code", 64);
  BSON_APPEND_UTF8(&error, "codeName", "WriteConcernFailed");
  BSON_APPEND_UTF8(&error, "errmsg", "waiting for replication timed out");
  bson_append_document_end(reply, &error);
}

}  // namespace mongomigrate::testing
