// The backup file: gzip-compressed JSON Lines, written from Store::Export and read into
// Store::Import. docs/schema.md describes the format:
//
//   {"format":"ferry-backup","version":1,"created_ms":...,"config_only":false}
//   {"kind":"user","row":{...}}
//   ...
//   {"kind":"end","rows":N}
//
// The end line makes truncation detectable: a file without it, or whose count disagrees, is
// refused before the import commits, so a bad file never replaces good data.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "base/status.h"
#include "store/store.h"

namespace ferry::store {

inline constexpr int kBackupVersion = 1;

// Called every few thousand rows and once at the end with the rows handled so far.
using BackupProgress = std::function<void(int64_t rows)>;

struct BackupOptions {
  // Rows between progress calls.
  int64_t progress_every = 1000;
  // Longest line accepted when reading (a row holds a whole attachment, base64-encoded).
  size_t max_line_bytes = size_t{1} << 30;
  // zlib level: 6 is zlib's default balance of speed and size.
  int gzip_level = 6;
};

// Writes a consistent snapshot of `store` to `path` (through `path.tmp`, fsynced, then renamed,
// so an interrupted backup never leaves a half file under the final name).
// Errors: kUnavailable when the file cannot be written; the store's errors as they come.
base::Status WriteBackup(Store& store, const std::string& path, bool config_only,
                         const BackupProgress& progress, const BackupOptions& options = {});

// Replaces the content of `store` with the backup at `path`, in one transaction.
// Errors (the store is left untouched on every one of them):
//   kInvalidArgument "the store is not empty ..."  — without `force`, when IsEmpty() is false;
//   kInvalidArgument "... is not a ferry backup"   — a foreign or corrupt header;
//   kInvalidArgument "backup is truncated ..."     — no end line, a broken gzip stream or a row
//                                                    count that disagrees with the end line;
//   kNotFound when the file does not exist.
base::Status RestoreBackup(Store& store, const std::string& path, bool force,
                           const BackupProgress& progress, const BackupOptions& options = {});

}  // namespace ferry::store
