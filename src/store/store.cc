#include "store/store.h"

namespace ferry::store {

std::string DsnFor(const std::string& public_url, const ProjectKey& key) {
  auto scheme_end = public_url.find("://");
  if (scheme_end == std::string::npos) return public_url;
  std::string credentials = key.public_key;
  if (!key.secret.empty()) credentials += ":" + key.secret;
  return public_url.substr(0, scheme_end + 3) + credentials + "@" +
         public_url.substr(scheme_end + 3) + "/" + std::to_string(key.project_id);
}

std::string_view IssueStatusName(IssueStatus status) {
  switch (status) {
    case IssueStatus::kUnresolved:
      return "unresolved";
    case IssueStatus::kResolved:
      return "resolved";
    case IssueStatus::kIgnored:
      return "ignored";
  }
  return "unresolved";
}

std::optional<IssueStatus> ParseIssueStatus(std::string_view name) {
  if (name == "unresolved") return IssueStatus::kUnresolved;
  if (name == "resolved") return IssueStatus::kResolved;
  if (name == "ignored") return IssueStatus::kIgnored;
  return std::nullopt;
}

}  // namespace ferry::store
