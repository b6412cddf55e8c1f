// Writing a file that must not exist yet (init, create).
#pragma once

#include <string>
#include <string_view>

#include "mongomigrate/error.h"

namespace mongomigrate::cli {

// Creates `path` with `content`, failing if anything is there already
// (O_EXCL): a kUsage Error naming it. `what` starts the messages ("config file").
Result<void> write_new_file(const std::string& path, std::string_view content, std::string_view what);

}  // namespace mongomigrate::cli
