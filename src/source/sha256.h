// SHA-256 (OpenSSL), as lowercase hex with no prefix: the checksum format of
// the tracking log.
#pragma once

#include <string>
#include <string_view>

namespace mongomigrate::source {

std::string sha256_hex(std::string_view bytes);

}  // namespace mongomigrate::source
