// The SQLite backend of Store: one file in WAL mode, shared by the server and the CLI.
//
// Durability: every write transaction is committed with synchronous=FULL, so an event that was
// answered 200 survives a crash of the process and a power loss (WAL with NORMAL skips the
// fsync of the log at commit and may lose the last transactions on power loss).
//
// Concurrency: one writer connection behind a mutex (SQLite allows one writer at a time anyway;
// a mutex is cheaper and fairer than spinning on SQLITE_BUSY inside one process) and a small pool
// of read-only connections for queries, which WAL lets run beside the writer. Other processes
// (the CLI while the server runs) wait up to `busy_timeout_ms` for the lock.
#pragma once

#include <memory>
#include <string>

#include "base/status.h"
#include "store/store.h"

namespace ferry::store::sqlite {

struct SqliteOptions {
  // How long a statement waits for a lock held by another connection or process.
  int busy_timeout_ms = 5000;
  // Read connections opened on demand; a query waits when all are busy.
  int max_readers = 4;
  // FULL fsyncs the WAL on every commit. Turning it off (NORMAL) is for benchmarks only.
  bool synchronous_full = true;
  // Page cache per connection, in KiB.
  int cache_size_kib = 8192;
  // WAL pages after which a commit copies the WAL back into the main file (a checkpoint, with
  // its own fsyncs, on the writer's time). Hot index pages are rewritten in the WAL by every
  // batch; a checkpoint copies each page once however often it was rewritten, so rarer
  // checkpoints cost less in all. SQLite's default of 1000 (4 MB) made checkpoints about half
  // of the writer's time under load; 10000 pages of 4 KiB allow a WAL of about 40 MB.
  int wal_autocheckpoint_pages = 10000;
};

// Opens the store at `path`, creating the file and its parent directories when missing, and
// applies pending schema migrations. Errors: kInvalidArgument when the file was written by a
// newer ferry (unknown schema version) or is not a database; kUnavailable when it cannot be
// opened or stays locked past the busy timeout.
base::Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path,
                                                     const SqliteOptions& options = {});

}  // namespace ferry::store::sqlite
