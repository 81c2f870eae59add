// Test-only: an SQLite VFS that wraps the default one to simulate crashes and full disks, in
// the manner of LevelDB's fault_injection_test.
//
// For every named file it keeps an undo log of the writes and truncations made since that
// file's last successful xSync. A simulated crash first freezes the files (every later write,
// truncate, sync and delete fails, as if the process had died), then, once the test has closed
// its connections, DropUnsyncedData rolls each file back to its last synced state, or keeps a
// random prefix of its unsynced writes (a disk may persist some of them, in order).
//
// Not modelled: directory entries (a new file is assumed to survive a crash) and the -shm
// file (the spool runs with locking_mode=EXCLUSIVE, which keeps the wal-index in memory).
#pragma once

#include <cstdint>
#include <random>

namespace ferry::spool::testing {

class FaultVfs {
 public:
  // The process-wide instance, registered with SQLite (not as the default) on first use.
  static FaultVfs& Get();
  static constexpr const char* kName = "ferry_fault";

  // Forgets every file's history and clears every fault. Call at the start of a test.
  void Reset();

  // Freezes the files after `n` more mutating calls (write, truncate, sync, delete); n = 0
  // freezes now. The call that hits the limit fails, as do all later ones.
  void CrashAfter(int64_t n);
  void Crash() { CrashAfter(0); }

  // REQUIRES: no open connection uses the VFS. Rolls every file back to its last synced
  // state (rng == nullptr) or keeps a random prefix of each file's unsynced writes; then
  // forgets the history and unfreezes. Returns false if a file could not be restored.
  bool DropUnsyncedData(std::mt19937* rng = nullptr);

  // Writes fail with SQLITE_FULL (nothing written) once `bytes` more have been written;
  // a negative value means unlimited ("space returns").
  void SetWriteBudget(int64_t bytes);

  // Mutating calls seen so far (to pick a random crash point).
  int64_t mutations() const;
};

}  // namespace ferry::spool::testing
