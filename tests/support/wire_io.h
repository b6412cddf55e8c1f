// Reading and writing MongoDB wire-protocol messages on a socket, for the
// test servers that speak it (fake_wire_server.h, wire_proxy.h): the message
// header's little-endian integers, whole reads and writes, and BSON documents
// inside a message.
#pragma once

#include <bson/bson.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>

namespace mongomigrate::testing::wire {

constexpr int32_t kOpReply = 1;
constexpr int32_t kOpQuery = 2004;
constexpr int32_t kOpMsg = 2013;
constexpr uint32_t kChecksumPresent = 1u << 0;
constexpr uint32_t kMoreToCome = 1u << 1;
constexpr int32_t kMaxMessage = 48'000'000;
constexpr size_t kHeaderSize = 16;  // length, requestID, responseTo, opCode

inline int32_t read_i32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return static_cast<int32_t>(BSON_UINT32_FROM_LE(v));
}

inline void append_i32(std::string& out, int32_t value) {
  uint32_t v = BSON_UINT32_TO_LE(static_cast<uint32_t>(value));
  out.append(reinterpret_cast<const char*>(&v), 4);
}

// Reads exactly n bytes; false at end of stream or on an error.
inline bool read_all(int fd, uint8_t* p, size_t n) {
  while (n > 0) {
    ssize_t got = recv(fd, p, n, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    p += got;
    n -= static_cast<size_t>(got);
  }
  return true;
}

inline bool write_all(int fd, const void* data, size_t size) {
  const char* p = static_cast<const char*>(data);
  size_t done = 0;
  while (done < size) {
    ssize_t sent = send(fd, p + done, size - done, MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR) continue;
    if (sent <= 0) return false;
    done += static_cast<size_t>(sent);
  }
  return true;
}

inline bool write_all(int fd, const std::string& data) { return write_all(fd, data.data(), data.size()); }

// The BSON document at `p` if it fits before `end` (a static view of it).
inline bool document_at(const uint8_t* p, const uint8_t* end, bson_t* doc, size_t* size) {
  if (end - p < 5) return false;
  int32_t length = read_i32(p);
  if (length < 5 || length > end - p) return false;
  *size = static_cast<size_t>(length);
  return bson_init_static(doc, p, *size);
}

// One whole message (header included) read from fd into `message`; false at
// end of stream, on an error or if its length is out of bounds.
inline bool read_message(int fd, std::string& message) {
  uint8_t header[kHeaderSize];
  if (!read_all(fd, header, sizeof header)) return false;
  int32_t length = read_i32(header);
  if (length < static_cast<int32_t>(kHeaderSize) || length > kMaxMessage) return false;
  message.assign(reinterpret_cast<const char*>(header), sizeof header);
  message.resize(static_cast<size_t>(length));
  return read_all(fd, reinterpret_cast<uint8_t*>(message.data()) + kHeaderSize, message.size() - kHeaderSize);
}

}  // namespace mongomigrate::testing::wire
