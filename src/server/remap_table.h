// The DSN remap table: the exact DSN string a shipped app sends → the DSN(s) it should reach
// now. More than one target means fan-out: each gets its own copy of the envelope.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "protocol/dsn.h"

namespace ferry::server {

struct RemapTarget {
  std::string text;  // the DSN string written into the envelope header
  protocol::Dsn dsn;
};

class RemapTable {
 public:
  // Every target must parse as a DSN; errors name the entry.
  static base::Result<RemapTable> Build(const std::map<std::string, std::vector<std::string>>&);

  // The targets for `dsn` exactly as sent, or nullptr when it is not remapped.
  const std::vector<RemapTarget>* Find(std::string_view dsn) const;

 private:
  std::map<std::string, std::vector<RemapTarget>, std::less<>> entries_;
};

// Which DSN hosts and projects the tunnel may deliver to (it must never be an open proxy).
class Allowlist {
 public:
  // `hosts`: "host" or "host:port" (lower-case); `projects`: "host[:port]/id"; `own`: ferry's
  // public host and port, always allowed.
  Allowlist(const std::vector<std::string>& hosts, const std::vector<std::string>& projects,
            std::string own_host, uint16_t own_port);

  // A DSN with a non-default port matches only a "host:port" entry; a DSN on its scheme's
  // default port matches "host" and "host:<default>".
  bool AllowsHost(const protocol::Dsn& dsn) const;
  bool AllowsProject(const protocol::Dsn& dsn) const;
  bool IsOwn(const protocol::Dsn& dsn) const;

 private:
  std::vector<std::string> Names(const protocol::Dsn& dsn) const;

  std::vector<std::string> hosts_;
  std::vector<std::string> projects_;
  std::string own_host_;
  uint16_t own_port_;
};

}  // namespace ferry::server
