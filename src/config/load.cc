// LoadConfig and ParseConfig: file → text → YAML tree → Config → validated Config.
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "config/config.h"
#include "config/parse.h"

namespace ferry::config {
namespace {

constexpr char kDefaultPath[] = "./ferry.yml";
constexpr char kDefaultsSource[] = "built-in defaults";

}  // namespace

namespace internal {

base::Result<Config> ParseConfigWithEnv(const std::string& yaml_text, const std::string& source,
                                        const EnvLookup& env) {
  auto prefixed = [&](const base::Status& status) {
    return base::Status(status.code(), source + ": " + status.detail());
  };
  auto root = ParseYaml(yaml_text);
  if (!root.ok()) return prefixed(root.status());
  Config config;
  config.source = source;
  base::Status status = ReadConfig(*root, env, &config);
  if (status.ok()) status = ValidateConfig(&config);
  if (!status.ok()) return prefixed(status);
  return config;
}

}  // namespace internal

base::Result<Config> ParseConfig(const std::string& yaml_text, const std::string& source) {
  return internal::ParseConfigWithEnv(yaml_text, source, internal::ProcessEnv());
}

base::Result<Config> LoadConfig(const std::string& path) {
  std::error_code ec;
  std::string file = path;
  if (file.empty()) {
    if (!std::filesystem::exists(kDefaultPath, ec)) return ParseConfig("", kDefaultsSource);
    file = kDefaultPath;
  }
  if (!std::filesystem::exists(file, ec)) return base::NotFound(file + ": no such file");
  if (std::filesystem::is_directory(file, ec)) {
    return base::InvalidArgument(file + ": is a directory, expected a YAML file");
  }
  std::ifstream in(file, std::ios::binary);
  if (!in.is_open()) return base::Unavailable(file + ": cannot open: " + std::strerror(errno));
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) return base::Unavailable(file + ": cannot read: " + std::strerror(errno));
  return ParseConfig(text.str(), file);
}

}  // namespace ferry::config
