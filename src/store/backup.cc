#include "store/backup.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <boost/json.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <optional>

namespace ferry::store {
namespace {

constexpr char kFormat[] = "ferry-backup";
constexpr size_t kMaxHeaderBytes = 64 * 1024;
constexpr size_t kReadChunk = 256 * 1024;
constexpr size_t kMaxGzWrite = size_t{1} << 30;  // gzwrite takes an unsigned length

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

base::Status Truncated(const std::string& why) {
  return base::InvalidArgument("backup is truncated or corrupt (" + why + ")");
}

class GzWriter {
 public:
  explicit GzWriter(gzFile gz) : gz_(gz) {}
  ~GzWriter() {
    if (gz_ != nullptr) gzclose(gz_);
  }
  bool Write(std::string_view s) {
    while (!s.empty()) {
      size_t n = std::min(s.size(), kMaxGzWrite);
      if (gzwrite(gz_, s.data(), static_cast<unsigned>(n)) != static_cast<int>(n)) return false;
      s.remove_prefix(n);
    }
    return true;
  }
  // Flushes the gzip trailer and closes; false on a write error.
  bool Close() { return gzclose(std::exchange(gz_, nullptr)) == Z_OK; }

 private:
  gzFile gz_;
};

// Reads lines from a gzip stream (zlib also passes a plain file through, which is then refused
// by the header check rather than by a gzip error).
class LineReader {
 public:
  explicit LineReader(gzFile gz) : gz_(gz) {}
  ~LineReader() { gzclose(gz_); }

  // The next line without its '\n'; nullopt at a clean end of the stream.
  base::Result<std::optional<std::string>> Next(size_t max_bytes) {
    while (true) {
      size_t nl = buffer_.find('\n', pos_);
      if (nl != std::string::npos) {
        std::string line = buffer_.substr(pos_, nl - pos_);
        pos_ = nl + 1;
        return std::optional<std::string>(std::move(line));
      }
      if (buffer_.size() - pos_ > max_bytes) return Truncated("a line is too long");
      if (eof_) {
        if (pos_ == buffer_.size()) return std::optional<std::string>();
        std::string line = buffer_.substr(pos_);
        pos_ = buffer_.size();
        return std::optional<std::string>(std::move(line));
      }
      buffer_.erase(0, pos_);
      pos_ = 0;
      size_t old = buffer_.size();
      buffer_.resize(old + kReadChunk);
      int n = gzread(gz_, buffer_.data() + old, static_cast<unsigned>(kReadChunk));
      if (n < 0) {
        int code = 0;
        const char* msg = gzerror(gz_, &code);
        return Truncated(std::string("gzip: ") + (msg != nullptr ? msg : "read error"));
      }
      buffer_.resize(old + static_cast<size_t>(n));
      if (n == 0) eof_ = true;
    }
  }

 private:
  gzFile gz_;
  std::string buffer_;
  size_t pos_ = 0;
  bool eof_ = false;
};

base::Status SyncDirectoryOf(const std::string& path) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return base::Unavailable(Errno("open " + dir));
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return base::Unavailable(Errno("fsync " + dir));
  return base::Status::Ok();
}

base::Status WriteRows(Store& store, GzWriter& out, bool config_only,
                       const BackupProgress& progress, const BackupOptions& options) {
  boost::json::object header{{"format", kFormat},
                             {"version", kBackupVersion},
                             {"created_ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                                                std::chrono::system_clock::now().time_since_epoch())
                                                .count()},
                             {"config_only", config_only}};
  if (!out.Write(boost::json::serialize(header) + "\n")) {
    return base::Unavailable("cannot write the backup");
  }
  int64_t rows = 0;
  FERRY_RETURN_IF_ERROR(store.Export(config_only, [&](const BackupRow& row) -> base::Status {
    // The row is already a JSON object text; only the kind needs quoting.
    std::string line = "{\"kind\":" + boost::json::serialize(boost::json::string(row.kind)) +
                       ",\"row\":" + row.json + "}\n";
    if (!out.Write(line)) return base::Unavailable("cannot write the backup");
    ++rows;
    if (progress && rows % options.progress_every == 0) progress(rows);
    return base::Status::Ok();
  }));
  boost::json::object end{{"kind", "end"}, {"rows", rows}};
  if (!out.Write(boost::json::serialize(end) + "\n")) {
    return base::Unavailable("cannot write the backup");
  }
  if (progress) progress(rows);
  return base::Status::Ok();
}

}  // namespace

base::Status WriteBackup(Store& store, const std::string& path, bool config_only,
                         const BackupProgress& progress, const BackupOptions& options) {
  const std::string tmp = path + ".tmp";
  // 0600: a backup holds password hashes and keys.
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return base::Unavailable(Errno("open " + tmp));
  int gz_fd = ::dup(fd);
  gzFile gz =
      gz_fd < 0 ? nullptr : gzdopen(gz_fd, ("wb" + std::to_string(options.gzip_level)).c_str());
  if (gz == nullptr) {
    if (gz_fd >= 0) ::close(gz_fd);
    ::close(fd);
    ::unlink(tmp.c_str());
    return base::Unavailable("cannot start gzip for " + tmp);
  }
  GzWriter out(gz);
  base::Status st = WriteRows(store, out, config_only, progress, options);
  if (st.ok() && !out.Close()) st = base::Unavailable("cannot finish " + tmp);
  if (st.ok() && ::fsync(fd) != 0) st = base::Unavailable(Errno("fsync " + tmp));
  ::close(fd);
  if (st.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) {
    st = base::Unavailable(Errno("rename " + tmp));
  }
  if (!st.ok()) {
    ::unlink(tmp.c_str());
    return st;
  }
  return SyncDirectoryOf(path);
}

base::Status RestoreBackup(Store& store, const std::string& path, bool force,
                           const BackupProgress& progress, const BackupOptions& options) {
  if (!force) {
    auto empty = store.IsEmpty();
    if (!empty.ok()) return empty.status();
    if (!*empty) {
      return base::InvalidArgument(
          "the store is not empty; restoring would replace its content (use --force)");
    }
  }
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return base::NotFound(path + " does not exist");
    return base::Unavailable(Errno("open " + path));
  }
  gzFile gz = gzdopen(fd, "rb");
  if (gz == nullptr) {
    ::close(fd);
    return base::Unavailable("cannot read " + path);
  }
  LineReader in(gz);

  base::Status foreign = base::InvalidArgument(path + " is not a ferry backup");
  auto first = in.Next(kMaxHeaderBytes);
  if (!first.ok() || !first->has_value()) return foreign;
  boost::system::error_code ec;
  boost::json::value header = boost::json::parse(**first, ec);
  const boost::json::object* h = ec ? nullptr : header.if_object();
  const boost::json::value* format = h != nullptr ? h->if_contains("format") : nullptr;
  if (format == nullptr || !format->is_string() || format->get_string() != kFormat) {
    return foreign;
  }
  const boost::json::value* version = h->if_contains("version");
  if (version == nullptr || !version->is_int64()) return foreign;
  if (version->get_int64() > kBackupVersion) {
    return base::InvalidArgument("backup version " + std::to_string(version->get_int64()) +
                                 " is newer than this ferry reads (" +
                                 std::to_string(kBackupVersion) + "); upgrade ferry");
  }

  int64_t rows = 0;
  int64_t line_no = 1;
  bool ended = false;
  base::Status st = store.Import([&]() -> base::Result<std::optional<BackupRow>> {
    if (ended) return std::optional<BackupRow>();
    auto line = in.Next(options.max_line_bytes);
    if (!line.ok()) return line.status();
    if (!line->has_value()) return Truncated("no end line");
    ++line_no;
    boost::system::error_code parse_ec;
    boost::json::value v = boost::json::parse(**line, parse_ec);
    const boost::json::object* o = parse_ec ? nullptr : v.if_object();
    const boost::json::value* kind = o != nullptr ? o->if_contains("kind") : nullptr;
    if (kind == nullptr || !kind->is_string()) {
      return Truncated("line " + std::to_string(line_no) + " is not a backup row");
    }
    if (kind->get_string() == "end") {
      const boost::json::value* n = o->if_contains("rows");
      if (n == nullptr || !n->is_int64() || n->get_int64() != rows) {
        return Truncated("the end line counts a different number of rows");
      }
      auto after = in.Next(kMaxHeaderBytes);
      if (!after.ok()) return after.status();
      if (after->has_value()) return Truncated("data after the end line");
      ended = true;
      return std::optional<BackupRow>();
    }
    const boost::json::value* row = o->if_contains("row");
    if (row == nullptr || !row->is_object()) {
      return Truncated("line " + std::to_string(line_no) + " has no row");
    }
    ++rows;
    if (progress && rows % options.progress_every == 0) progress(rows);
    return std::optional<BackupRow>(
        BackupRow{std::string(kind->get_string()), boost::json::serialize(*row)});
  });
  if (!st.ok()) return st;
  if (progress) progress(rows);
  return base::Status::Ok();
}

}  // namespace ferry::store
