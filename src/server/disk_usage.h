// Disk usage for /metrics: what ferry's SQLite files take, and what is left on the file
// system of the data directory (the number to alert on before the disk fills).
#pragma once

#include <cstdint>
#include <string>

namespace ferry::server {

// Bytes of an SQLite database with its -wal and -shm files; 0 for files that do not exist.
int64_t SqliteFileBytes(const std::string& path);

struct FileSystemSpace {
  int64_t total = 0;      // bytes
  int64_t available = 0;  // bytes an unprivileged writer may still use
};
// The space of the file system holding `path`; zeros when it cannot be read.
FileSystemSpace SpaceOf(const std::string& path);

}  // namespace ferry::server
