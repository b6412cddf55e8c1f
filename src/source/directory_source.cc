#include "source/directory_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <system_error>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/names.h"
#include "source/json_migration.h"

namespace mongomigrate::source {
namespace fs = std::filesystem;

namespace {

// Errors of read_file are the problem alone; the scan knows the name.
Error unreadable(std::string what) { return Error{ErrorKind::kBadInput, std::move(what)}; }

// The whole file. Opened without blocking and checked again once open: an
// entry replaced by a FIFO after the scan must not hang the run waiting for
// a writer.
Result<std::string> read_file(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return std::unexpected(unreadable(fmt::format("cannot be read: {}", std::strerror(errno))));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    return std::unexpected(unreadable(fmt::format("cannot be read: {}", std::strerror(errno))));
  }
  if (!S_ISREG(st.st_mode)) return std::unexpected(unreadable("is not a regular file"));
  if (static_cast<std::uintmax_t>(st.st_size) > kMaxMigrationFileBytes) {
    return std::unexpected(unreadable(fmt::format("{} bytes, over the limit of {} bytes for a migration file "
                                                        "(use a C++ migration for bulk data)",
                                                        st.st_size, kMaxMigrationFileBytes)));
  }
  std::string content;
  content.resize(static_cast<std::size_t>(st.st_size));
  std::size_t used = 0;
  while (true) {
    if (used == content.size()) content.resize(content.size() + 4096);  // the file grew
    ssize_t n = ::read(fd, content.data() + used, content.size() - used);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::unexpected(unreadable(fmt::format("read failed: {}", std::strerror(errno))));
    if (n == 0) break;
    used += static_cast<std::size_t>(n);
  }
  content.resize(used);
  return content;
}

// What an entry named like a migration is, when it is not a file that can
// be read as one ("" when it is: a regular file, or a symbolic link to one).
std::string not_a_file(const fs::directory_entry& entry) {
  std::error_code ec;
  fs::file_status target = entry.status(ec);
  if (ec || !fs::exists(target)) {
    std::error_code link_ec;
    if (entry.is_symlink(link_ec)) {
      return ec && ec != std::errc::no_such_file_or_directory
                 ? fmt::format("a symbolic link that cannot be followed: {}", ec.message())
                 : "a symbolic link to nothing";
    }
    return ec ? fmt::format("cannot be examined: {}", ec.message()) : "gone while the directory was read";
  }
  switch (target.type()) {
    case fs::file_type::regular: return "";
    case fs::file_type::directory: return "a directory";
    case fs::file_type::fifo: return "a FIFO";
    case fs::file_type::socket: return "a socket";
    case fs::file_type::block:
    case fs::file_type::character: return "a device";
    default: return "not a regular file";
  }
}

}  // namespace

Result<void> check_directory(const std::string& directory) {
  std::error_code ec;
  fs::file_status st = fs::status(directory, ec);
  if (ec && ec != std::errc::no_such_file_or_directory && ec != std::errc::not_a_directory) {
    // It may well exist: a parent we may not search, a loop of links.
    return std::unexpected(Error{ErrorKind::kBadInput, fmt::format("cannot examine the migration directory \"{}\": {}",
                                                                   directory, ec.message())});
  }
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

Result<DirectoryScan> scan_directory(const std::string& directory) {
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
  DirectoryScan scan;
  for (const fs::directory_entry& entry : it) {
    std::string name = entry.path().filename().string();
    if (name.starts_with('.')) continue;
    if (!name.ends_with(".json")) {
      // "003-x.JSON": meant as a migration, and read by nothing; said, or
      // `up` would say all is applied while it was never read.
      std::string extension = name.size() > 5 ? name.substr(name.size() - 5) : "";
      for (char& c : extension) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (extension == ".json") {
        std::string meant = name.substr(0, name.size() - 5) + ".json";
        scan.invalid.push_back({.name = std::move(name),
                                .error = fmt::format("migration files end in \".json\", in lower case: rename it "
                                                     "{}",
                                                     core::printable(meant))});
      }
      continue;
    }
    // Not skipped, or `up` would say all is applied while one was never read.
    if (std::string what = not_a_file(entry); !what.empty()) {
      scan.invalid.push_back({.name = std::move(name), .error = std::move(what), .not_a_file = true});
      continue;
    }
    files.push_back(File{std::move(name), entry.path()});
  }
  std::sort(files.begin(), files.end(),
            [](const File& a, const File& b) { return core::runs_before(a.name, b.name); });

  scan.migrations.reserve(files.size());
  for (const File& file : files) {
    if (std::string problem = core::name_problem(file.name); !problem.empty()) {
      scan.invalid.push_back({.name = file.name, .error = std::move(problem)});
      continue;
    }
    auto bytes = read_file(file.path);
    if (!bytes) {
      scan.invalid.push_back({.name = file.name, .error = std::move(bytes.error().message)});
      continue;
    }
    std::string path = file.path.string();
    auto migration = parse_json_migration(file.name, path, *bytes);
    if (!migration) {
      // The parser's message starts with the path; the entry has its name.
      std::string& message = migration.error().message;
      if (message.starts_with(path + ": ")) message.erase(0, path.size() + 2);
      scan.invalid.push_back({.name = file.name, .error = std::move(message)});
      continue;
    }
    scan.migrations.push_back(std::move(*migration));
  }
  std::sort(scan.invalid.begin(), scan.invalid.end(),
            [](const core::InvalidMigration& a, const core::InvalidMigration& b) {
              return core::runs_before(a.name, b.name);
            });
  return scan;
}

Error invalid_entries_error(const std::string& directory, const std::vector<core::InvalidMigration>& invalid) {
  std::vector<std::string> not_files;
  for (const core::InvalidMigration& entry : invalid) {
    if (entry.not_a_file) not_files.push_back(fmt::format("{} ({})", core::printable(entry.name), entry.error));
  }
  if (!not_files.empty()) {
    return Error{ErrorKind::kBadInput, fmt::format("{}: named like migrations but not files: {}",
                                                   core::printable(directory), fmt::join(not_files, ", "))};
  }
  const core::InvalidMigration& first = invalid.front();
  return Error{ErrorKind::kBadInput,
               fmt::format("{}: {}", core::printable((fs::path(directory) / first.name).string()), first.error)};
}

Result<core::Catalog> load_directory(const std::string& directory) {
  auto scan = scan_directory(directory);
  if (!scan) return std::unexpected(scan.error());
  if (!scan->invalid.empty()) return std::unexpected(invalid_entries_error(directory, scan->invalid));
  return std::move(scan->migrations);
}

}  // namespace mongomigrate::source
