#include "support/fake_wire_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>

#include "mongo/bson_handles.h"
#include "support/wire_io.h"

namespace mongomigrate::testing {
namespace {

using wire::append_i32;
using wire::document_at;
using wire::kChecksumPresent;
using wire::kMaxMessage;
using wire::kMoreToCome;
using wire::kOpMsg;
using wire::kOpQuery;
using wire::kOpReply;
using wire::read_all;
using wire::read_i32;
using wire::write_all;

bool log_enabled() {
  static const bool enabled = std::getenv("MONGOMIGRATE_FAKE_WIRE_LOG") != nullptr;
  return enabled;
}

void log_document(int32_t op_code, const char* what, const bson_t& doc) {
  if (!log_enabled()) return;
  char* json = bson_as_relaxed_extended_json(&doc, nullptr);
  const char* op = op_code == kOpMsg ? "OP_MSG" : "OP_QUERY";
  std::fprintf(stderr, "fake wire %s %s: %s\n", op, what, json ? json : "(invalid BSON)");
  bson_free(json);
}

}  // namespace

FakeWireServer::FakeWireServer(const std::string& build_info_json)
    : FakeWireServer(Handler{}) {
  bson_error_t error;
  bson_t* parsed = bson_new_from_json(reinterpret_cast<const uint8_t*>(build_info_json.data()),
                                      static_cast<ssize_t>(build_info_json.size()), &error);
  if (!parsed) throw std::invalid_argument(std::string("buildInfo reply is not JSON: ") + error.message);
  // Shared by the handler's copies; freed with the last of them.
  auto build_info = std::make_shared<mongo::OwnedBson>(parsed);
  handler_ = [build_info](Exchange& exchange) { standard_reply(exchange, *build_info->get()); };
}

FakeWireServer::FakeWireServer(Handler handler) : handler_(std::move(handler)) {
  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;  // a free port, read back below
  socklen_t len = sizeof addr;
  if (listen_fd_ < 0 || bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      listen(listen_fd_, 16) != 0 || getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    std::string why = std::strerror(errno);
    if (listen_fd_ >= 0) close(listen_fd_);
    throw std::runtime_error("fake wire server: cannot listen on 127.0.0.1: " + why);
  }
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

FakeWireServer::~FakeWireServer() {
  stopping_ = true;
  shutdown(listen_fd_, SHUT_RDWR);  // wakes accept() (Linux)
  acceptor_.join();
  {
    std::lock_guard lock(mutex_);
    for (int fd : client_fds_) shutdown(fd, SHUT_RDWR);  // wakes recv()
  }
  for (std::thread& t : clients_) t.join();  // the acceptor, which adds to these, is gone
  for (int fd : client_fds_) close(fd);
  close(listen_fd_);
}

std::string FakeWireServer::uri(const std::string& database) const {
  return "mongodb://127.0.0.1:" + std::to_string(port_) + "/" + database +
         "?serverSelectionTimeoutMS=2000&connectTimeoutMS=2000";
}

std::vector<std::string> FakeWireServer::commands() const {
  std::lock_guard lock(mutex_);
  return commands_;
}

void FakeWireServer::standard_reply(Exchange& exchange, const bson_t& build_info,
                                    std::int32_t max_bson_object_size, std::int64_t clock_offset_ms) {
  const std::string& name = exchange.name;
  bson_t* reply = exchange.reply;
  if (name == "hello" || name == "isMaster" || name == "ismaster") {
    BSON_APPEND_BOOL(reply, name == "hello" ? "isWritablePrimary" : "ismaster", true);
    BSON_APPEND_INT32(reply, "maxBsonObjectSize", max_bson_object_size);
    BSON_APPEND_INT32(reply, "maxMessageSizeBytes", kMaxMessage);
    BSON_APPEND_INT32(reply, "maxWriteBatchSize", 100'000);
    auto now = std::chrono::system_clock::now().time_since_epoch();
    BSON_APPEND_DATE_TIME(reply, "localTime",
                          std::chrono::duration_cast<std::chrono::milliseconds>(now).count() + clock_offset_ms);
    BSON_APPEND_INT32(reply, "logicalSessionTimeoutMinutes", 30);
    BSON_APPEND_INT32(reply, "minWireVersion", 0);
    BSON_APPEND_INT32(reply, "maxWireVersion", 13);  // MongoDB 5.0
    BSON_APPEND_BOOL(reply, "readOnly", false);
    BSON_APPEND_DOUBLE(reply, "ok", 1);
  } else if (name == "buildInfo" || name == "buildinfo") {
    bson_concat(reply, &build_info);
  } else if (name == "ping" || name == "endSessions") {
    BSON_APPEND_DOUBLE(reply, "ok", 1);
  } else {
    BSON_APPEND_DOUBLE(reply, "ok", 0);
    BSON_APPEND_UTF8(reply, "errmsg", "fake: unsupported");
    BSON_APPEND_INT32(reply, "code", 59);
    BSON_APPEND_UTF8(reply, "codeName", "CommandNotFound");
  }
}

void FakeWireServer::accept_loop() {
  while (true) {
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (stopping_) return;
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;
    }
    std::lock_guard lock(mutex_);
    client_fds_.push_back(fd);
    clients_.emplace_back([this, fd] { serve(fd); });
  }
}

void FakeWireServer::answer(int32_t op_code, const bson_t& command, bson_t* reply) {
  bson_iter_t it;
  std::string name = bson_iter_init(&it, &command) && bson_iter_next(&it) ? bson_iter_key(&it) : "";
  {
    std::lock_guard lock(mutex_);
    commands_.push_back(name);
  }
  log_document(op_code, "command", command);
  Exchange exchange{name, &command, reply};
  handler_(exchange);
  log_document(op_code, "reply", *reply);
}

// One connection: a request, its reply, until the client closes or a message
// cannot be read.
void FakeWireServer::serve(int fd) {
  std::vector<uint8_t> message;
  while (true) {
    uint8_t header[16];
    if (!read_all(fd, header, sizeof header)) return;
    int32_t length = read_i32(header), request_id = read_i32(header + 4), op_code = read_i32(header + 12);
    if (length < 16 || length > kMaxMessage) return;
    message.resize(static_cast<size_t>(length) - 16);
    if (!read_all(fd, message.data(), message.size())) return;
    const uint8_t* p = message.data();
    const uint8_t* end = p + message.size();

    bson_t body, unwrapped;
    const bson_t* command = &body;
    size_t size = 0;
    bool reply_wanted = true;
    if (op_code == kOpMsg) {
      if (end - p < 4) return;
      auto flags = static_cast<uint32_t>(read_i32(p));
      reply_wanted = (flags & kMoreToCome) == 0;
      if (flags & kChecksumPresent) end -= 4;
      bool have_body = false;
      for (p += 4; p < end;) {
        uint8_t kind = *p++;
        if (kind == 0 && !have_body && document_at(p, end, &body, &size)) {
          have_body = true;
          p += size;
        } else if (kind == 1 && end - p >= 4 && read_i32(p) >= 4 && read_i32(p) <= end - p) {
          p += read_i32(p);  // a document sequence (e.g. insert's documents): ignored
        } else {
          return;
        }
      }
      if (!have_body) return;
    } else if (op_code == kOpQuery) {
      // flags, the collection's name (a C string), numberToSkip, numberToReturn, the query.
      const void* nul = end - p > 4 ? std::memchr(p + 4, 0, static_cast<size_t>(end - p - 4)) : nullptr;
      if (!nul) return;
      p = static_cast<const uint8_t*>(nul) + 1 + 8;
      if (p > end || !document_at(p, end, &body, &size)) return;
      // A command with a read preference comes as {$query: {...}, $readPreference: ...}.
      bson_iter_t it;
      if (bson_iter_init_find(&it, &body, "$query") && BSON_ITER_HOLDS_DOCUMENT(&it)) {
        uint32_t inner_size = 0;
        const uint8_t* inner = nullptr;
        bson_iter_document(&it, &inner_size, &inner);
        if (!bson_init_static(&unwrapped, inner, inner_size)) return;
        command = &unwrapped;
      }
    } else {
      return;  // OP_COMPRESSED is never asked for: the handshake offers no compressor
    }

    bson_t reply = BSON_INITIALIZER;
    answer(op_code, *command, &reply);
    std::string out;
    append_i32(out, 0);  // the length, set below
    append_i32(out, next_request_id_++);
    append_i32(out, request_id);
    if (op_code == kOpMsg) {
      append_i32(out, kOpMsg);
      append_i32(out, 0);  // flags
      out.push_back('\0');  // a kind-0 section: the reply
    } else {
      append_i32(out, kOpReply);
      append_i32(out, 0);  // responseFlags
      append_i32(out, 0);  // cursorID (int64): none
      append_i32(out, 0);
      append_i32(out, 0);  // startingFrom
      append_i32(out, 1);  // numberReturned
    }
    out.append(reinterpret_cast<const char*>(bson_get_data(&reply)), reply.len);
    bson_destroy(&reply);
    int32_t total = static_cast<int32_t>(out.size());
    std::string length_bytes;
    append_i32(length_bytes, total);
    out.replace(0, 4, length_bytes);
    if (reply_wanted && !write_all(fd, out)) return;
  }
}

}  // namespace mongomigrate::testing
