#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "config/config.h"

namespace ferry::config {
namespace {

using ::testing::StartsWith;

class LoadConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        std::filesystem::temp_directory_path() / ("ferry_config_test_" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
    old_cwd_ = std::filesystem::current_path();
  }
  void TearDown() override {
    std::filesystem::current_path(old_cwd_);
    std::filesystem::remove_all(dir_);
  }
  std::string Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return (dir_ / name).string();
  }

  std::filesystem::path dir_;
  std::filesystem::path old_cwd_;
};

TEST_F(LoadConfigTest, ReadsTheNamedFile) {
  std::string path = Write("a.yml", "server: { listen: \"127.0.0.1:0\" }\n");
  auto config = LoadConfig(path);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->server.listen_port, 0);
  EXPECT_EQ(config->source, path);
}

TEST_F(LoadConfigTest, MissingNamedFileIsNotFound) {
  std::string path = (dir_ / "missing.yml").string();
  auto config = LoadConfig(path);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), base::Code::kNotFound);
  EXPECT_EQ(config.status().detail(), path + ": no such file");
}

TEST_F(LoadConfigTest, ErrorsNameTheFile) {
  std::string path = Write("bad.yml", "limits:\n  max_event_bytes: x\n");
  auto config = LoadConfig(path);
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), base::Code::kInvalidArgument);
  EXPECT_THAT(config.status().detail(), StartsWith(path + ": limits.max_event_bytes: "));
}

TEST_F(LoadConfigTest, EmptyFileGivesDefaults) {
  auto config = LoadConfig(Write("empty.yml", ""));
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->server.listen, "127.0.0.1:9000");
}

TEST_F(LoadConfigTest, EmptyPathReadsFerryYmlInTheWorkingDirectoryElseDefaults) {
  std::filesystem::current_path(dir_);
  auto defaults = LoadConfig("");
  ASSERT_TRUE(defaults.ok()) << defaults.status().ToString();
  EXPECT_EQ(defaults->source, "built-in defaults");

  Write("ferry.yml", "data_dir: ./here\n");
  auto config = LoadConfig("");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->data_dir, "./here");
  EXPECT_EQ(config->source, "./ferry.yml");
}

}  // namespace
}  // namespace ferry::config
