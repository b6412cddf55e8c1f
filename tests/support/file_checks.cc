#include "support/file_checks.h"

#include <bson/bson.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>

namespace mongomigrate::testing {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string sha256_file(const std::string& path) {
  std::string bytes = read_file(path);
  EXPECT_FALSE(bytes.empty()) << path;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(), nullptr);
  std::string hex;
  for (unsigned int i = 0; i < len; ++i) hex += fmt::format("{:02x}", md[i]);
  return hex;
}

Document parse_document(const std::string& json_text) {
  bson_error_t error;
  bson_t* doc = bson_new_from_json(reinterpret_cast<const uint8_t*>(json_text.data()),
                                   static_cast<ssize_t>(json_text.size()), &error);
  if (!doc) throw std::runtime_error("not JSON: " + json_text + ": " + error.message);
  const uint8_t* data = bson_get_data(doc);
  Document out(std::vector<std::uint8_t>(data, data + doc->len));
  bson_destroy(doc);
  return out;
}

}  // namespace mongomigrate::testing
