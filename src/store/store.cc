#include "store/store.h"

namespace ferry::store {

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
