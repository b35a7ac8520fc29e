#include <gtest/gtest.h>
#include <opencv2/imgcodecs.hpp>

#include "vision/image_io.h"

using namespace vigil::vision;

namespace {
std::string encode(const cv::Mat& img, const char* ext) {
  std::vector<uchar> buf;
  cv::imencode(ext, img, buf);
  return {buf.begin(), buf.end()};
}

// A JPEG with an EXIF APP1 segment carrying only the Orientation tag.
std::string with_exif_orientation(const std::string& jpeg, std::uint16_t orientation) {
  std::string tiff("MM\0\x2a\0\0\0\x08", 8);                       // big-endian TIFF header, IFD at 8
  tiff += std::string("\0\x01", 2);                                 // one entry
  tiff += std::string("\x01\x12\0\x03\0\0\0\x01", 8);               // tag 0x0112 SHORT count 1
  tiff += static_cast<char>(orientation >> 8);
  tiff += static_cast<char>(orientation & 0xff);
  tiff += std::string("\0\0\0\0\0\0", 6);                           // value padding, next IFD = 0
  std::string payload = std::string("Exif\0\0", 6) + tiff;
  const std::size_t len = payload.size() + 2;
  std::string app1 = "\xFF\xE1";
  app1 += static_cast<char>(len >> 8);
  app1 += static_cast<char>(len & 0xff);
  app1 += payload;
  return jpeg.substr(0, 2) + app1 + jpeg.substr(2);
}
}  // namespace

TEST(ImageIo, DecodesCommonFormats) {
  cv::Mat img(40, 60, CV_8UC3, cv::Scalar(10, 200, 30));
  for (const char* ext : {".jpg", ".png", ".bmp", ".webp", ".tiff"}) {
    auto out = decode_image(encode(img, ext));
    ASSERT_TRUE(out.ok()) << ext << ": " << out.error().message;
    EXPECT_EQ(out->size(), img.size());
    EXPECT_EQ(out->type(), CV_8UC3);
  }
  cv::Mat gray(20, 30, CV_8UC1, cv::Scalar(90));
  auto g = decode_image(encode(gray, ".png"));
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(g->type(), CV_8UC3);
}

TEST(ImageIo, AppliesExifOrientation) {
  cv::Mat img(40, 100, CV_8UC3, cv::Scalar(0, 0, 0));
  img(cv::Rect(0, 0, 20, 40)).setTo(cv::Scalar(255, 255, 255));  // white band on the left
  const std::string jpeg = encode(img, ".jpg");
  auto plain = decode_image(jpeg);
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->size(), cv::Size(100, 40));
  auto rotated = decode_image(with_exif_orientation(jpeg, 6));  // 6: rotate 90° clockwise to display
  ASSERT_TRUE(rotated.ok()) << rotated.error().message;
  EXPECT_EQ(rotated->size(), cv::Size(40, 100));
  // The left band ends up at the top.
  EXPECT_GT(rotated->at<cv::Vec3b>(5, 20)[0], 200);
  EXPECT_LT(rotated->at<cv::Vec3b>(90, 20)[0], 50);
}

TEST(ImageIo, BadBytesAreClearErrors) {
  EXPECT_EQ(decode_image("").error().code, vigil::ErrorCode::InvalidArgument);
  auto text = decode_image("hello, this is not an image");
  ASSERT_FALSE(text.ok());
  EXPECT_NE(text.error().message.find("JPEG"), std::string::npos);
  EXPECT_EQ(decode_image("GIF89a....").error().code, vigil::ErrorCode::Unsupported);
  cv::Mat img(200, 300, CV_8UC3);
  cv::randu(img, 0, 256);
  const std::string jpeg = encode(img, ".jpg");
  auto cut = decode_image(jpeg.substr(0, 200));
  EXPECT_FALSE(cut.ok());
  EXPECT_EQ(sniff_image_format(jpeg), "jpeg");
}

TEST(ImageIo, ABombIsRefusedFromItsHeaderBeforeDecoding) {
  // Real encodings of a small image, with the size in their headers rewritten to 60000 x 60000 (3.6 gigapixels).
  const cv::Mat small(16, 24, CV_8UC3, cv::Scalar(10, 200, 30));
  for (const char* ext : {".png", ".jpg"}) {
    std::vector<uchar> enc;
    ASSERT_TRUE(cv::imencode(ext, small, enc));
    std::string bytes(enc.begin(), enc.end());
    const auto format = sniff_image_format(bytes);
    auto size = header_image_size(bytes, format);
    ASSERT_TRUE(size.has_value()) << ext;
    EXPECT_EQ(size->width, 24u);
    EXPECT_EQ(size->height, 16u);
    if (format == "png") {
      for (std::size_t at : {16u, 20u}) bytes.replace(at, 4, std::string("\x00\x00\xEA\x60", 4));
    } else {
      const auto sof = bytes.find("\xFF\xC0");
      ASSERT_NE(sof, std::string::npos);
      bytes.replace(sof + 5, 4, std::string("\xEA\x60\xEA\x60", 4));
    }
    auto img = decode_image(bytes);
    ASSERT_FALSE(img.ok()) << ext;
    EXPECT_EQ(img.error().code, vigil::ErrorCode::TooLarge) << img.error().message;
    EXPECT_NE(img.error().message.find("60000x60000"), std::string::npos) << img.error().message;
  }
}

TEST(ImageIo, EveryFormatsHeaderSaysItsSize) {
  const cv::Mat small(16, 24, CV_8UC3, cv::Scalar(10, 200, 30));
  const std::vector<std::pair<const char*, std::vector<int>>> encodings = {
      {".bmp", {}}, {".webp", {cv::IMWRITE_WEBP_QUALITY, 80}}, {".webp", {cv::IMWRITE_WEBP_QUALITY, 101}},
      {".tiff", {}}, {".ppm", {}}};
  for (const auto& [ext, params] : encodings) {
    std::vector<uchar> enc;
    ASSERT_TRUE(cv::imencode(ext, small, enc, params)) << ext;
    const std::string bytes(enc.begin(), enc.end());
    auto size = header_image_size(bytes, sniff_image_format(bytes));
    ASSERT_TRUE(size.has_value()) << ext;
    EXPECT_EQ(size->width, 24u) << ext;
    EXPECT_EQ(size->height, 16u) << ext;
  }
}

TEST(ImageIo, BmpAndPnmBombsAreRefusedBeforeDecoding) {
  std::vector<uchar> enc;
  ASSERT_TRUE(cv::imencode(".bmp", cv::Mat(16, 24, CV_8UC3, cv::Scalar(1, 2, 3)), enc));
  std::string bmp(enc.begin(), enc.end());
  bmp.replace(18, 8, std::string("\x60\xEA\x00\x00\xA0\x15\xFF\xFF", 8));  // 60000 wide, -60000 high (top-down)
  auto img = decode_image(bmp);
  ASSERT_FALSE(img.ok());
  EXPECT_EQ(img.error().code, vigil::ErrorCode::TooLarge) << img.error().message;
  EXPECT_NE(img.error().message.find("60000x60000"), std::string::npos) << img.error().message;
  auto pnm = decode_image("P6\n# a comment\n100000 100000\n255\n" + std::string(64, '\x10'));
  ASSERT_FALSE(pnm.ok());
  EXPECT_EQ(pnm.error().code, vigil::ErrorCode::TooLarge) << pnm.error().message;
}
