#include "source/directory_source.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include <fmt/format.h>

#include "core/names.h"
#include "source/json_migration.h"

namespace mongomigrate::source {
namespace fs = std::filesystem;

namespace {

Result<std::string> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::unexpected(Error{ErrorKind::kBadInput, fmt::format("{}: cannot be read", path.string())});
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) return std::unexpected(Error{ErrorKind::kBadInput, fmt::format("{}: read failed", path.string())});
  return std::move(content).str();
}

}  // namespace

Result<void> check_directory(const std::string& directory) {
  std::error_code ec;
  fs::file_status st = fs::status(directory, ec);
  if (ec || !fs::exists(st)) {
    return std::unexpected(Error{ErrorKind::kBadInput,
                                 fmt::format("migration directory \"{}\" does not exist", directory)});
  }
  if (!fs::is_directory(st)) {
    return std::unexpected(Error{ErrorKind::kBadInput,
                                 fmt::format("migration directory \"{}\" is not a directory", directory)});
  }
  return {};
}

Result<core::Catalog> load_directory(const std::string& directory) {
  if (auto dir = check_directory(directory); !dir) return std::unexpected(dir.error());
  std::error_code ec;

  fs::directory_iterator it(directory, ec);
  if (ec) {
    return std::unexpected(Error{ErrorKind::kBadInput,
                                 fmt::format("migration directory \"{}\" cannot be read: {}", directory, ec.message())});
  }
  // Names computed once: the sort compares them O(n log n) times.
  struct File {
    std::string name;
    fs::path path;
  };
  std::vector<File> files;
  for (const fs::directory_entry& entry : it) {
    std::string name = entry.path().filename().string();
    if (!name.ends_with(".json") || name.starts_with('.')) continue;
    if (!entry.is_regular_file(ec)) continue;
    files.push_back(File{std::move(name), entry.path()});
  }
  std::sort(files.begin(), files.end(),
            [](const File& a, const File& b) { return core::runs_before(a.name, b.name); });

  core::Catalog catalog;
  catalog.reserve(files.size());
  for (const File& file : files) {
    if (std::string problem = core::name_problem(file.name); !problem.empty()) {
      return std::unexpected(
          Error{ErrorKind::kBadInput, fmt::format("{}: {}", core::printable(file.path.string()), problem)});
    }
    auto bytes = read_file(file.path);
    if (!bytes) return std::unexpected(bytes.error());
    auto migration = parse_json_migration(file.name, file.path.string(), *bytes);
    if (!migration) return std::unexpected(migration.error());
    catalog.push_back(std::move(*migration));
  }
  return catalog;
}

}  // namespace mongomigrate::source
