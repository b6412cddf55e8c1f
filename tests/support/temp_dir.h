// A fresh directory under $TMPDIR, removed with everything in it on destruction.
#pragma once

#include <string>
#include <string_view>

namespace mongomigrate::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // Writes `content` to `<path>/<name>` (creating parent directories) and
  // returns the full path.
  std::string write(std::string_view name, std::string_view content) const;

 private:
  std::string path_;
};

}  // namespace mongomigrate::testing
