#include "server/remap_table.h"

#include <algorithm>

namespace ferry::server {

base::Result<RemapTable> RemapTable::Build(
    const std::map<std::string, std::vector<std::string>>& remap) {
  RemapTable table;
  for (const auto& [from, to] : remap) {
    std::vector<RemapTarget> targets;
    for (const auto& text : to) {
      auto dsn = protocol::ParseDsn(text);
      if (!dsn.ok()) {
        return base::InvalidArgument("tunnel.remap: target of \"" + from +
                                     "\": " + dsn.status().detail());
      }
      targets.push_back({text, std::move(*dsn)});
    }
    table.entries_.emplace(from, std::move(targets));
  }
  return table;
}

const std::vector<RemapTarget>* RemapTable::Find(std::string_view dsn) const {
  auto it = entries_.find(dsn);
  return it == entries_.end() ? nullptr : &it->second;
}

Allowlist::Allowlist(const std::vector<std::string>& hosts,
                     const std::vector<std::string>& projects, std::string own_host,
                     uint16_t own_port)
    : hosts_(hosts), projects_(projects), own_host_(std::move(own_host)), own_port_(own_port) {}

std::vector<std::string> Allowlist::Names(const protocol::Dsn& dsn) const {
  std::vector<std::string> names = {dsn.host + ":" + std::to_string(dsn.EffectivePort())};
  uint16_t default_port = dsn.scheme == "https" ? 443 : 80;
  if (dsn.EffectivePort() == default_port) names.push_back(dsn.host);
  return names;
}

bool Allowlist::IsOwn(const protocol::Dsn& dsn) const {
  return dsn.host == own_host_ && dsn.EffectivePort() == own_port_;
}

bool Allowlist::AllowsHost(const protocol::Dsn& dsn) const {
  if (IsOwn(dsn)) return true;
  for (const auto& name : Names(dsn)) {
    if (std::find(hosts_.begin(), hosts_.end(), name) != hosts_.end()) return true;
  }
  return false;
}

bool Allowlist::AllowsProject(const protocol::Dsn& dsn) const {
  if (projects_.empty()) return true;
  for (const auto& name : Names(dsn)) {
    if (std::find(projects_.begin(), projects_.end(), name + "/" + dsn.project_id) !=
        projects_.end()) {
      return true;
    }
  }
  return false;
}

}  // namespace ferry::server
