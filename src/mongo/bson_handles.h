// RAII owners for libbson values, usable where only libbson is needed (the
// JSON migration parser). bson_t is over-aligned, which std::unique_ptr's
// template argument would warn about, hence small classes.
#pragma once

#include <bson/bson.h>

#include <memory>
#include <utility>

namespace mongomigrate::mongo {

// A stack bson_t that is always destroyed (bson_init on construction).
class ScopedBson {
 public:
  ScopedBson() { bson_init(&doc_); }
  ~ScopedBson() { bson_destroy(&doc_); }
  ScopedBson(const ScopedBson&) = delete;
  ScopedBson& operator=(const ScopedBson&) = delete;
  bson_t* get() { return &doc_; }
  const bson_t* get() const { return &doc_; }

 private:
  bson_t doc_;
};

// Owns a heap bson_t from bson_new*() (may be null).
class OwnedBson {
 public:
  explicit OwnedBson(bson_t* doc = nullptr) : doc_(doc) {}
  ~OwnedBson() {
    if (doc_) bson_destroy(doc_);
  }
  OwnedBson(OwnedBson&& other) noexcept : doc_(std::exchange(other.doc_, nullptr)) {}
  OwnedBson& operator=(OwnedBson&& other) noexcept {
    std::swap(doc_, other.doc_);
    return *this;
  }
  bson_t* get() const { return doc_; }
  explicit operator bool() const { return doc_ != nullptr; }

 private:
  bson_t* doc_;
};

struct BsonStringDeleter {
  void operator()(char* p) const { bson_free(p); }
};
// A string allocated by libbson (e.g. bson_as_relaxed_extended_json).
using BsonString = std::unique_ptr<char, BsonStringDeleter>;

}  // namespace mongomigrate::mongo
