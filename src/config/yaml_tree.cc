#include "config/yaml_tree.h"

#include <yaml-cpp/yaml.h>

#include <exception>
#include <set>
#include <string>

namespace ferry::config::internal {
namespace {

// Deep enough for any sane config; shallow enough that a hostile file cannot exhaust the stack.
constexpr int kMaxDepth = 64;

std::string At(const YAML::Mark& mark) {
  if (mark.is_null()) return "";
  return " (line " + std::to_string(mark.line + 1) + ")";
}

base::Result<YamlNode> Convert(const YAML::Node& in, int depth) {
  YamlNode out;
  if (!in.Mark().is_null()) out.line = in.Mark().line + 1;
  if (depth > kMaxDepth) return base::InvalidArgument("nesting too deep" + At(in.Mark()));
  switch (in.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      out.kind = YamlNode::Kind::kNull;
      break;
    case YAML::NodeType::Scalar:
      out.kind = YamlNode::Kind::kScalar;
      out.scalar = in.Scalar();
      break;
    case YAML::NodeType::Sequence:
      out.kind = YamlNode::Kind::kSequence;
      for (const YAML::Node& item : in) {
        auto child = Convert(item, depth + 1);
        if (!child.ok()) return child.status();
        out.items.push_back(std::move(child).value());
      }
      break;
    case YAML::NodeType::Map: {
      out.kind = YamlNode::Kind::kMap;
      std::set<std::string> seen;
      for (const auto& kv : in) {
        if (!kv.first.IsScalar()) {
          return base::InvalidArgument("a map key must be a string" + At(kv.first.Mark()));
        }
        const std::string& key = kv.first.Scalar();
        // yaml-cpp keeps both entries of a duplicated key; the YAML spec forbids them and a
        // silent "last one wins" would hide a mistake.
        if (!seen.insert(key).second) {
          return base::InvalidArgument("duplicate key \"" + key + "\"" + At(kv.first.Mark()));
        }
        auto child = Convert(kv.second, depth + 1);
        if (!child.ok()) return child.status();
        out.entries.push_back({key, std::move(child).value()});
      }
      break;
    }
  }
  return out;
}

}  // namespace

base::Result<YamlNode> ParseYaml(std::string_view text) {
  // yaml-cpp reports every problem by throwing; this is the one place that catches.
  try {
    std::vector<YAML::Node> docs = YAML::LoadAll(std::string(text));
    if (docs.empty()) return YamlNode{};
    if (docs.size() > 1) return base::InvalidArgument("expected one YAML document, found several");
    return Convert(docs.front(), 0);
  } catch (const YAML::Exception& e) {
    std::string detail = e.msg.empty() ? "invalid YAML" : e.msg;
    return base::InvalidArgument("invalid YAML: " + detail + At(e.mark));
  } catch (const std::exception& e) {
    return base::InvalidArgument(std::string("invalid YAML: ") + e.what());
  }
}

std::string_view KindName(YamlNode::Kind kind) {
  switch (kind) {
    case YamlNode::Kind::kNull:
      return "nothing";
    case YamlNode::Kind::kScalar:
      return "a string";
    case YamlNode::Kind::kSequence:
      return "a list";
    case YamlNode::Kind::kMap:
      return "a map";
  }
  return "?";
}

}  // namespace ferry::config::internal
