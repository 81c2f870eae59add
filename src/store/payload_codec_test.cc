#include "store/payload_codec.h"

#include <gtest/gtest.h>

#include <string>

namespace ferry::store {
namespace {

TEST(PayloadCodecTest, RoundTripsAndShrinksJson) {
  std::string json = "{\"exception\":{\"values\":[";
  for (int i = 0; i < 50; ++i) {
    if (i > 0) json += ',';
    json += "{\"abs_path\":\"https://shop.example.com/static/js/app.js\",\"lineno\":" +
            std::to_string(i) + "}";
  }
  json += "]}}";
  std::string frame = CompressPayload(json);
  EXPECT_LT(frame.size() * 4, json.size());
  auto back = DecompressPayload(frame);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, json);
}

TEST(PayloadCodecTest, EmptyAndBinaryRoundTrip) {
  for (const std::string& s : {std::string(), std::string("\0\xff\x01", 3)}) {
    auto back = DecompressPayload(CompressPayload(s));
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, s);
  }
}

TEST(PayloadCodecTest, DamagedFramesAreErrorsNotCrashes) {
  std::string frame = CompressPayload(std::string(10'000, 'a') + "tail");
  EXPECT_EQ(DecompressPayload("").status().code(), base::Code::kInternal);
  EXPECT_EQ(DecompressPayload("{\"json\":1}").status().code(), base::Code::kInternal);
  EXPECT_EQ(DecompressPayload(frame.substr(0, frame.size() - 3)).status().code(),
            base::Code::kInternal);
  std::string flipped = frame;
  flipped[flipped.size() / 2] ^= 0x5a;
  auto damaged = DecompressPayload(flipped);
  // A flipped byte may still decode (LZ4 frames carry no checksum by default) but never to
  // more than the size the header claims.
  if (damaged.ok()) {
    EXPECT_EQ(damaged->size(), 10'004u);
  }
  EXPECT_FALSE(DecompressPayload(frame + frame).ok());  // two frames: not one payload
}

TEST(PayloadCodecTest, AFrameClaimingMoreThanTheBoundIsRefusedBeforeAllocating) {
  std::string frame = CompressPayload(std::string(kMaxPayloadBytes + 1, ' '));
  EXPECT_LT(frame.size(), kMaxPayloadBytes / 200);
  auto out = DecompressPayload(frame);
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().detail().find("claims"), std::string::npos);
}

}  // namespace
}  // namespace ferry::store
