#include "spool/fault_vfs.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace ferry::spool::testing {
namespace {

// What a file looked like before one unsynced write or truncation: undoing the log in reverse
// order restores the file as of its last sync.
struct Undo {
  int64_t offset;
  std::string old_bytes;  // the bytes the call overwrote or cut off
  int64_t size_before;
};

struct State {
  std::mutex mu;
  std::map<std::string, std::vector<Undo>> undo;  // by full path
  bool frozen = false;
  int64_t countdown = -1;  // mutating calls left before freezing; -1 = no crash planned
  int64_t budget = -1;     // bytes left before SQLITE_FULL; -1 = unlimited
  int64_t mutations = 0;
  sqlite3_vfs* root = nullptr;
  sqlite3_vfs vfs{};
};

State& S() {
  static State* state = new State();  // never destroyed: SQLite may use it until exit
  return *state;
}

// REQUIRES: S().mu held. False when the call must fail because the "process" has died.
bool Admit() {
  State& s = S();
  if (s.frozen) return false;
  ++s.mutations;
  if (s.countdown == 0) {
    s.frozen = true;
    return false;
  }
  if (s.countdown > 0) --s.countdown;
  return true;
}

struct FaultFile {
  sqlite3_file base;
  sqlite3_file* real;  // the wrapped file, allocated right after this struct
  const char* path;    // valid until xClose (SQLite's promise); nullptr for temporary files
};

sqlite3_file* Real(sqlite3_file* f) { return reinterpret_cast<FaultFile*>(f)->real; }
const char* PathOf(sqlite3_file* f) { return reinterpret_cast<FaultFile*>(f)->path; }

// REQUIRES: S().mu held. Records the bytes in [offset, offset + n) that exist before a change.
void RecordUndo(sqlite3_file* f, int64_t offset, int64_t n) {
  if (PathOf(f) == nullptr) return;
  sqlite3_file* real = Real(f);
  sqlite3_int64 size = 0;
  if (real->pMethods->xFileSize(real, &size) != SQLITE_OK) size = 0;
  Undo u{offset, std::string(), size};
  int64_t keep = std::max<int64_t>(0, std::min<int64_t>(n, size - offset));
  if (keep > 0) {
    u.old_bytes.resize(keep);
    real->pMethods->xRead(real, u.old_bytes.data(), static_cast<int>(keep), offset);
  }
  S().undo[PathOf(f)].push_back(std::move(u));
}

int Close(sqlite3_file* f) { return Real(f)->pMethods->xClose(Real(f)); }

int Read(sqlite3_file* f, void* buf, int amt, sqlite3_int64 off) {
  return Real(f)->pMethods->xRead(Real(f), buf, amt, off);
}

int Write(sqlite3_file* f, const void* buf, int amt, sqlite3_int64 off) {
  State& s = S();
  std::lock_guard lock(s.mu);
  if (!Admit()) return SQLITE_IOERR_WRITE;
  if (s.budget >= 0) {
    if (amt > s.budget) return SQLITE_FULL;
    s.budget -= amt;
  }
  RecordUndo(f, off, amt);
  return Real(f)->pMethods->xWrite(Real(f), buf, amt, off);
}

int Truncate(sqlite3_file* f, sqlite3_int64 size) {
  State& s = S();
  std::lock_guard lock(s.mu);
  if (!Admit()) return SQLITE_IOERR_TRUNCATE;
  RecordUndo(f, size, INT64_MAX / 2);
  return Real(f)->pMethods->xTruncate(Real(f), size);
}

int Sync(sqlite3_file* f, int flags) {
  State& s = S();
  std::lock_guard lock(s.mu);
  if (!Admit()) return SQLITE_IOERR_FSYNC;
  int rc = Real(f)->pMethods->xSync(Real(f), flags);
  if (rc == SQLITE_OK && PathOf(f) != nullptr) s.undo.erase(PathOf(f));
  return rc;
}

int FileSize(sqlite3_file* f, sqlite3_int64* size) {
  return Real(f)->pMethods->xFileSize(Real(f), size);
}
int Lock(sqlite3_file* f, int l) { return Real(f)->pMethods->xLock(Real(f), l); }
int Unlock(sqlite3_file* f, int l) { return Real(f)->pMethods->xUnlock(Real(f), l); }
int CheckReservedLock(sqlite3_file* f, int* out) {
  return Real(f)->pMethods->xCheckReservedLock(Real(f), out);
}
int FileControl(sqlite3_file* f, int op, void* arg) {
  return Real(f)->pMethods->xFileControl(Real(f), op, arg);
}
int SectorSize(sqlite3_file* f) { return Real(f)->pMethods->xSectorSize(Real(f)); }
int DeviceCharacteristics(sqlite3_file* f) {
  return Real(f)->pMethods->xDeviceCharacteristics(Real(f));
}
int ShmMap(sqlite3_file* f, int pg, int pgsz, int extend, void volatile** pp) {
  return Real(f)->pMethods->xShmMap(Real(f), pg, pgsz, extend, pp);
}
int ShmLock(sqlite3_file* f, int offset, int n, int flags) {
  return Real(f)->pMethods->xShmLock(Real(f), offset, n, flags);
}
void ShmBarrier(sqlite3_file* f) { Real(f)->pMethods->xShmBarrier(Real(f)); }
int ShmUnmap(sqlite3_file* f, int del) { return Real(f)->pMethods->xShmUnmap(Real(f), del); }
int Fetch(sqlite3_file* f, sqlite3_int64 off, int amt, void** pp) {
  *pp = nullptr;  // no memory-mapped reads: every access goes through xRead
  return SQLITE_OK;
}
int Unfetch(sqlite3_file* f, sqlite3_int64 off, void* p) { return SQLITE_OK; }

const sqlite3_io_methods kMethods = {
    3,
    Close,
    Read,
    Write,
    Truncate,
    Sync,
    FileSize,
    Lock,
    Unlock,
    CheckReservedLock,
    FileControl,
    SectorSize,
    DeviceCharacteristics,
    ShmMap,
    ShmLock,
    ShmBarrier,
    ShmUnmap,
    Fetch,
    Unfetch,
};

int Open(sqlite3_vfs* vfs, const char* name, sqlite3_file* file, int flags, int* out_flags) {
  auto* f = reinterpret_cast<FaultFile*>(file);
  f->real = reinterpret_cast<sqlite3_file*>(f + 1);
  f->path = name;
  f->base.pMethods = nullptr;
  sqlite3_vfs* root = S().root;
  int rc = root->xOpen(root, name, f->real, flags, out_flags);
  // With the real file's methods set SQLite will call xClose even after a failed open.
  if (f->real->pMethods != nullptr) f->base.pMethods = &kMethods;
  return rc;
}

int Delete(sqlite3_vfs* vfs, const char* name, int sync_dir) {
  State& s = S();
  std::lock_guard lock(s.mu);
  if (!Admit()) return SQLITE_IOERR_DELETE;
  s.undo.erase(name);
  return s.root->xDelete(s.root, name, sync_dir);
}

sqlite3_vfs* Root() { return S().root; }
int Access(sqlite3_vfs*, const char* n, int f, int* out) {
  return Root()->xAccess(Root(), n, f, out);
}
int FullPathname(sqlite3_vfs*, const char* n, int size, char* out) {
  return Root()->xFullPathname(Root(), n, size, out);
}
void* DlOpen(sqlite3_vfs*, const char* n) { return Root()->xDlOpen(Root(), n); }
void DlError(sqlite3_vfs*, int n, char* out) { Root()->xDlError(Root(), n, out); }
void (*DlSym(sqlite3_vfs*, void* h, const char* s))(void) { return Root()->xDlSym(Root(), h, s); }
void DlClose(sqlite3_vfs*, void* h) { Root()->xDlClose(Root(), h); }
int Randomness(sqlite3_vfs*, int n, char* out) { return Root()->xRandomness(Root(), n, out); }
int Sleep(sqlite3_vfs*, int us) { return Root()->xSleep(Root(), us); }
int CurrentTime(sqlite3_vfs*, double* out) { return Root()->xCurrentTime(Root(), out); }
int GetLastError(sqlite3_vfs*, int n, char* out) { return Root()->xGetLastError(Root(), n, out); }
int CurrentTimeInt64(sqlite3_vfs*, sqlite3_int64* out) {
  return Root()->xCurrentTimeInt64(Root(), out);
}

// Writes the saved bytes back and restores the size, without SQLite (its connections are gone).
bool Restore(const std::string& path, const Undo& u) {
  int fd = ::open(path.c_str(), O_RDWR);
  if (fd < 0) return errno == ENOENT;
  bool ok = true;
  if (!u.old_bytes.empty()) {
    ok = ::pwrite(fd, u.old_bytes.data(), u.old_bytes.size(), u.offset) ==
         static_cast<ssize_t>(u.old_bytes.size());
  }
  ok = ok && ::ftruncate(fd, u.size_before) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

FaultVfs& FaultVfs::Get() {
  static FaultVfs* instance = [] {
    State& s = S();
    s.root = sqlite3_vfs_find(nullptr);
    sqlite3_vfs& v = s.vfs;
    v.iVersion = 2;
    v.szOsFile = static_cast<int>(sizeof(FaultFile)) + s.root->szOsFile;
    v.mxPathname = s.root->mxPathname;
    v.zName = kName;
    v.xOpen = Open;
    v.xDelete = Delete;
    v.xAccess = Access;
    v.xFullPathname = FullPathname;
    v.xDlOpen = DlOpen;
    v.xDlError = DlError;
    v.xDlSym = DlSym;
    v.xDlClose = DlClose;
    v.xRandomness = Randomness;
    v.xSleep = Sleep;
    v.xCurrentTime = CurrentTime;
    v.xGetLastError = GetLastError;
    v.xCurrentTimeInt64 = CurrentTimeInt64;
    sqlite3_vfs_register(&v, /*makeDflt=*/0);
    return new FaultVfs();
  }();
  return *instance;
}

void FaultVfs::Reset() {
  State& s = S();
  std::lock_guard lock(s.mu);
  s.undo.clear();
  s.frozen = false;
  s.countdown = -1;
  s.budget = -1;
  s.mutations = 0;
}

void FaultVfs::CrashAfter(int64_t n) {
  State& s = S();
  std::lock_guard lock(s.mu);
  if (n <= 0) {
    s.frozen = true;
  } else {
    s.countdown = n;
  }
}

bool FaultVfs::DropUnsyncedData(std::mt19937* rng) {
  State& s = S();
  std::lock_guard lock(s.mu);
  bool ok = true;
  for (const auto& [path, log] : s.undo) {
    size_t keep = 0;
    if (rng != nullptr) keep = std::uniform_int_distribution<size_t>(0, log.size())(*rng);
    for (size_t i = log.size(); i > keep; --i) ok = Restore(path, log[i - 1]) && ok;
  }
  s.undo.clear();
  s.frozen = false;
  s.countdown = -1;
  return ok;
}

void FaultVfs::SetWriteBudget(int64_t bytes) {
  State& s = S();
  std::lock_guard lock(s.mu);
  s.budget = bytes;
}

int64_t FaultVfs::mutations() const {
  State& s = S();
  std::lock_guard lock(s.mu);
  return s.mutations;
}

}  // namespace ferry::spool::testing
