#include "server/disk_usage.h"

#include <sys/statvfs.h>

#include <filesystem>
#include <system_error>

namespace ferry::server {

int64_t SqliteFileBytes(const std::string& path) {
  int64_t total = 0;
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::error_code ec;
    auto size = std::filesystem::file_size(path + suffix, ec);
    if (!ec) total += static_cast<int64_t>(size);
  }
  return total;
}

FileSystemSpace SpaceOf(const std::string& path) {
  struct statvfs fs {};
  if (statvfs(path.c_str(), &fs) != 0) return {};
  return {static_cast<int64_t>(fs.f_blocks) * static_cast<int64_t>(fs.f_frsize),
          static_cast<int64_t>(fs.f_bavail) * static_cast<int64_t>(fs.f_frsize)};
}

}  // namespace ferry::server
