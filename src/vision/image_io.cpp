#include "vision/image_io.h"

#include <opencv2/imgcodecs.hpp>

#include "core/files.h"

namespace vigil::vision {

namespace {
bool starts(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }
constexpr std::size_t kMaxPixels = 100'000'000;  // refuse decompression bombs (100 MP)
}  // namespace

std::string_view sniff_image_format(std::string_view b) {
  if (starts(b, "\xFF\xD8\xFF")) return "jpeg";
  if (starts(b, "\x89PNG\r\n\x1A\n")) return "png";
  if (starts(b, "GIF87a") || starts(b, "GIF89a")) return "gif";
  if (starts(b, "BM")) return "bmp";
  if (b.size() >= 12 && starts(b, "RIFF") && b.substr(8, 4) == "WEBP") return "webp";
  if (starts(b, std::string_view("II*\0", 4)) || starts(b, std::string_view("MM\0*", 4))) return "tiff";
  if (b.size() >= 2 && b[0] == 'P' && b[1] >= '1' && b[1] <= '6') return "pnm";
  return "";
}

Result<cv::Mat> decode_image(std::string_view bytes) {
  if (bytes.empty()) return make_error(ErrorCode::InvalidArgument, "the image is empty (0 bytes)");
  const auto format = sniff_image_format(bytes);
  if (format == "gif")
    return make_error(ErrorCode::Unsupported, "GIF images are not supported; send JPEG, PNG, BMP or WebP");
  if (format.empty())
    return make_error(ErrorCode::InvalidArgument,
                      "the bytes are not an image vigil can read (expected JPEG, PNG, BMP, WebP, TIFF or PNM)");
  try {
    const cv::Mat buf(1, static_cast<int>(bytes.size()), CV_8U, const_cast<char*>(bytes.data()));
    cv::Mat img = cv::imdecode(buf, cv::IMREAD_COLOR);  // applies EXIF orientation
    if (img.empty())
      return make_error(ErrorCode::InvalidArgument, "the " + std::string(format) + " image is corrupt or truncated");
    if (static_cast<std::size_t>(img.total()) > kMaxPixels)
      return make_error(ErrorCode::TooLarge, "the image has more than 100 megapixels");
    return img;
  } catch (const cv::Exception& e) {
    return make_error(ErrorCode::InvalidArgument, "the " + std::string(format) + " image cannot be decoded: " + e.msg);
  }
}

Result<cv::Mat> read_image_file(const std::string& path) {
  auto bytes = read_file(path, 64u << 20);
  if (!bytes) return bytes.error();
  auto img = decode_image(*bytes);
  if (!img) return make_error(img.error().code, path + ": " + img.error().message);
  return img;
}

}  // namespace vigil::vision
