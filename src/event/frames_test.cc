#include "event/frames.h"

#include <gtest/gtest.h>

#include "event/stacktrace.h"

namespace ferry::event {
namespace {

TEST(NormalizeFilenameTest, StripsUrlsQueriesAndBundleHashes) {
  EXPECT_EQ(
      NormalizeFilename("https://cdn.example.com:8443/static/js/main.3f2a1b9c.chunk.js?v=1#x"),
      "static/js/main.<hash>.chunk.js");
  EXPECT_EQ(NormalizeFilename("webpack:///./src/components/Cart.tsx"), "src/components/Cart.tsx");
  EXPECT_EQ(NormalizeFilename("webpack://shop/./src/index.js"), "shop/src/index.js");
  EXPECT_EQ(NormalizeFilename("app:///dist/main.js"), "dist/main.js");
  EXPECT_EQ(NormalizeFilename("webpack-internal:///./src/a.js"), "src/a.js");
}

TEST(NormalizeFilenameTest, KeepsDependencyPathsFromNodeModules) {
  EXPECT_EQ(NormalizeFilename("/srv/app/node_modules/.pnpm/x@1.0.0/node_modules/x/lib/y.js"),
            "node_modules/x/lib/y.js");
  EXPECT_EQ(NormalizeFilename("C:\\app\\node_modules\\express\\index.js"),
            "node_modules/express/index.js");
}

TEST(NormalizeFilenameTest, ShortensAbsoluteFileSystemPaths) {
  EXPECT_EQ(NormalizeFilename("/srv/releases/20240311/app/models.py"), "app/models.py");
  EXPECT_EQ(NormalizeFilename("file:///home/u/proj/src/db.js"), "src/db.js");
  EXPECT_EQ(NormalizeFilename("C:/build/agent/src/main.cpp"), "src/main.cpp");
  EXPECT_EQ(NormalizeFilename("app/models.py"), "app/models.py");
  EXPECT_EQ(NormalizeFilename("/main.js"), "main.js");
  EXPECT_EQ(NormalizeFilename(""), "");
}

TEST(NormalizeFunctionTest, RemovesRunSpecificNoise) {
  EXPECT_EQ(NormalizeFunction("async submitPayment", FrameKind::kJavaScript), "submitPayment");
  EXPECT_EQ(NormalizeFunction("main + 52", FrameKind::kNative), "main");
  EXPECT_EQ(NormalizeFunction("0x100a3d000", FrameKind::kNative), "");
  EXPECT_EQ(NormalizeFunction("foo (in libbar.dylib)", FrameKind::kNative), "foo");
  EXPECT_EQ(NormalizeFunction("lambda$start$12", FrameKind::kJava), "lambda$start$");
  EXPECT_EQ(NormalizeFunction("Worker.run@0x7ffeefbff5c8", FrameKind::kOther), "Worker.run@<addr>");
}

TEST(ClassifyFrameTest, UsesFramePlatformThenPathsThenEventPlatform) {
  Frame dart;
  dart.abs_path = "package:app/main.dart";
  EXPECT_EQ(ClassifyFrame(dart, "other"), FrameKind::kDart);
  Frame py;
  py.platform = "python";
  EXPECT_EQ(ClassifyFrame(py, "javascript"), FrameKind::kPython);
  Frame bare;
  bare.instruction_addr = "0x10";
  EXPECT_EQ(ClassifyFrame(bare, "other"), FrameKind::kNative);
  EXPECT_EQ(ClassifyFrame(Frame{}, "node"), FrameKind::kJavaScript);
}

TEST(FrameGroupingKeyTest, PerPlatformKeys) {
  Frame py;
  py.module = "app.models";
  py.function = "save";
  py.filename = "app/models.py";
  py.lineno = 10;
  EXPECT_EQ(FrameGroupingKey(py, "python"), "app.models save");

  Frame top_level;
  top_level.filename = "https://x.example/app.js";
  top_level.context_line = "  init();  ";
  EXPECT_EQ(FrameGroupingKey(top_level, "javascript"), "app.js init();");

  Frame native;
  native.package = "/usr/lib/libssl.so.3";
  native.instruction_addr = "0xff";
  EXPECT_EQ(FrameGroupingKey(native, "native"), "");
  native.function = "SSL_read";
  EXPECT_EQ(FrameGroupingKey(native, "native"), "libssl.so.3 SSL_read");

  Frame gap;
  gap.abs_path = "<asynchronous suspension>";
  EXPECT_EQ(FrameGroupingKey(gap, "dart"), "");
}

TEST(InferInAppTest, KnownLibraryPaths) {
  auto infer = [](std::string path) {
    Frame f;
    f.abs_path = std::move(path);
    return internal::InferInApp(f);
  };
  EXPECT_EQ(infer("dart:async/zone.dart"), false);
  EXPECT_EQ(infer("package:flutter/src/widgets/framework.dart"), false);
  EXPECT_EQ(infer("package:todo_app/main.dart"), true);
  EXPECT_EQ(infer("/app/node_modules/x/index.js"), false);
  EXPECT_EQ(infer("node:internal/timers"), false);
  EXPECT_EQ(infer("/usr/lib/python3/dist-packages/requests/api.py"), false);
  EXPECT_EQ(infer("/srv/app/views.py"), std::nullopt);
}

}  // namespace
}  // namespace ferry::event
