#include "source/sha256.h"

#include <string>
#include <string_view>

#include <gtest/gtest.h>

namespace mongomigrate::source {
namespace {

using namespace std::string_view_literals;

TEST(Sha256Hex, EmptyInput) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Sha256Hex, Abc) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256Hex, TwoBlockMessage) {
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256Hex, OneMillionAs) {
  EXPECT_EQ(sha256_hex(std::string(1'000'000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256Hex, IsLowercaseHexOf64Characters) {
  std::string h = sha256_hex("The quick brown fox jumps over the lazy dog");
  EXPECT_EQ(h, "d7a8fbb307d7809469ca9abcb0082e4f8d5651e46d3cdb762d02d0bf37c9e592");
  ASSERT_EQ(h.size(), 64u);
  for (char c : h) EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) << c;
}

TEST(Sha256Hex, HashesEmbeddedNulBytes) {
  // The whole view, not up to the first NUL.
  EXPECT_NE(sha256_hex("a\0b"sv), sha256_hex("a"));
  EXPECT_EQ(sha256_hex("\0"sv), "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
}

TEST(Sha256Hex, SensitiveToEveryByte) {
  EXPECT_NE(sha256_hex("{\"up\": []}"), sha256_hex("{\"up\": []}\n"));
  EXPECT_NE(sha256_hex("{\"up\": []}\n"), sha256_hex("{\"up\": []}\r\n"));
}

}  // namespace
}  // namespace mongomigrate::source
