#include "new_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace mongomigrate::cli {

Result<void> write_new_file(const std::string& path, std::string_view content, std::string_view what) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    int err = errno;
    if (err == EEXIST) {
      return std::unexpected(Error{ErrorKind::kUsage, fmt::format("{} already exists; it was left as it is (never "
                                                                  "overwritten)", path)});
    }
    return std::unexpected(Error{ErrorKind::kUsage, fmt::format("cannot create the {} {}: {}", what, path,
                                                                std::strerror(err))});
  }
  std::size_t written = 0;
  while (written < content.size()) {
    ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = errno;
      ::close(fd);
      ::unlink(path.c_str());
      return std::unexpected(Error{ErrorKind::kUsage, fmt::format("cannot write the {} {}: {}", what, path,
                                                                  std::strerror(err))});
    }
    written += static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0) {
    int err = errno;
    ::unlink(path.c_str());
    return std::unexpected(Error{ErrorKind::kUsage, fmt::format("cannot write the {} {}: {}", what, path,
                                                                std::strerror(err))});
  }
  return {};
}

}  // namespace mongomigrate::cli
