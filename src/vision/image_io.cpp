#include "vision/image_io.h"

#include <cstdio>
#include <fstream>

#include <algorithm>
#include <cctype>

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

namespace {

std::uint32_t be(std::string_view b, std::size_t at, int n) {
  std::uint32_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | static_cast<unsigned char>(b[at + static_cast<std::size_t>(i)]);
  return v;
}

// The JPEG markers before the image data: FFxx, then a 2-byte length for all but RSTn/SOI/EOI/TEM.
std::optional<ImageSize> jpeg_size(std::string_view b) {
  std::size_t i = 2;
  while (i + 9 < b.size()) {
    if (static_cast<unsigned char>(b[i]) != 0xFF) return std::nullopt;
    const unsigned marker = static_cast<unsigned char>(b[i + 1]);
    if (marker == 0xFF) {  // fill byte
      ++i;
      continue;
    }
    const bool sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (sof) return ImageSize{be(b, i + 7, 2), be(b, i + 5, 2)};
    if (marker == 0xDA) return std::nullopt;  // image data before any frame header
    i += 2 + be(b, i + 2, 2);
  }
  return std::nullopt;
}

std::uint32_t le(std::string_view b, std::size_t at, int n) {
  std::uint32_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(b[at + static_cast<std::size_t>(i)]);
  return v;
}

// BMP: BITMAPINFOHEADER's int32 width and height (negative height: top-down rows).
std::optional<ImageSize> bmp_size(std::string_view b) {
  if (b.size() < 26) return std::nullopt;
  const auto w = static_cast<std::int32_t>(le(b, 18, 4)), h = static_cast<std::int32_t>(le(b, 22, 4));
  return ImageSize{static_cast<std::uint32_t>(w < 0 ? -static_cast<std::int64_t>(w) : w),
                   static_cast<std::uint32_t>(h < 0 ? -static_cast<std::int64_t>(h) : h)};
}

// WebP: the first chunk says: VP8X (24-bit canvas size − 1), VP8L (14-bit sizes − 1) or VP8 (14-bit sizes).
std::optional<ImageSize> webp_size(std::string_view b) {
  if (b.size() < 30) return std::nullopt;
  const auto chunk = b.substr(12, 4);
  if (chunk == "VP8X") return ImageSize{le(b, 24, 3) + 1, le(b, 27, 3) + 1};
  if (chunk == "VP8L" && static_cast<unsigned char>(b[20]) == 0x2F) {
    const std::uint32_t bits = le(b, 21, 4);
    return ImageSize{(bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1};
  }
  if (chunk == "VP8 ") return ImageSize{le(b, 26, 2) & 0x3FFF, le(b, 28, 2) & 0x3FFF};
  return std::nullopt;
}

// TIFF: ImageWidth (256) and ImageLength (257) in the first image file directory.
std::optional<ImageSize> tiff_size(std::string_view b) {
  const bool little = b[0] == 'I';
  auto num = [&](std::size_t at, int n) { return little ? le(b, at, n) : be(b, at, n); };
  if (b.size() < 8) return std::nullopt;
  const std::size_t ifd = num(4, 4);
  if (ifd + 2 > b.size()) return std::nullopt;
  const std::size_t count = num(ifd, 2);
  ImageSize size;
  for (std::size_t i = 0; i < count && ifd + 2 + (i + 1) * 12 <= b.size(); ++i) {
    const std::size_t e = ifd + 2 + i * 12;
    const std::uint32_t tag = num(e, 2), type = num(e + 2, 2);
    const std::uint32_t value = type == 3 ? num(e + 8, 2) : num(e + 8, 4);
    if (tag == 256) size.width = value;
    if (tag == 257) size.height = value;
  }
  if (!size.width || !size.height) return std::nullopt;
  return size;
}

// PNM: "P6 <width> <height> ...", whitespace and # comments between the fields.
std::optional<ImageSize> pnm_size(std::string_view b) {
  std::size_t i = 2;
  auto field = [&]() -> std::optional<std::uint64_t> {
    while (i < b.size() && (std::isspace(static_cast<unsigned char>(b[i])) || b[i] == '#'))
      if (b[i] == '#') {
        while (i < b.size() && b[i] != '\n') ++i;
      } else {
        ++i;
      }
    std::uint64_t v = 0;
    const std::size_t start = i;
    while (i < b.size() && std::isdigit(static_cast<unsigned char>(b[i])) && v < (1ull << 32)) v = v * 10 + static_cast<unsigned>(b[i++] - '0');
    if (i == start) return std::nullopt;
    return v;
  };
  const auto w = field(), h = field();
  if (!w || !h) return std::nullopt;
  const auto clamp = [](std::uint64_t v) { return static_cast<std::uint32_t>(std::min<std::uint64_t>(v, 0xFFFFFFFFu)); };
  return ImageSize{clamp(*w), clamp(*h)};
}

}  // namespace

std::optional<ImageSize> header_image_size(std::string_view b, std::string_view format) {
  if (format == "png" && b.size() >= 24 && b.substr(12, 4) == "IHDR") return ImageSize{be(b, 16, 4), be(b, 20, 4)};
  if (format == "jpeg") return jpeg_size(b);
  if (format == "bmp") return bmp_size(b);
  if (format == "webp") return webp_size(b);
  if (format == "tiff") return tiff_size(b);
  if (format == "pnm") return pnm_size(b);
  return std::nullopt;
}

Result<cv::Mat> decode_image(std::string_view bytes) {
  if (bytes.empty()) return make_error(ErrorCode::InvalidArgument, "the image is empty (0 bytes)");
  const auto format = sniff_image_format(bytes);
  if (format == "gif")
    return make_error(ErrorCode::Unsupported, "GIF images are not supported; send JPEG, PNG, BMP or WebP");
  if (format.empty())
    return make_error(ErrorCode::InvalidArgument,
                      "the bytes are not an image vigil can read (expected JPEG, PNG, BMP, WebP, TIFF or PNM)");
  if (auto size = header_image_size(bytes, format);
      size && static_cast<std::uint64_t>(size->width) * size->height > kMaxPixels)
    return make_error(ErrorCode::TooLarge, "the " + std::string(format) + " image says it is " + std::to_string(size->width) +
                                               "x" + std::to_string(size->height) +
                                               ": more than 100 megapixels (refused before decoding)");
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

Result<std::string> encode_jpeg(const cv::Mat& image, int quality) {
  if (image.empty()) return make_error(ErrorCode::InvalidArgument, "no image to encode");
  std::vector<unsigned char> buf;
  try {
    if (!cv::imencode(".jpg", image, buf, {cv::IMWRITE_JPEG_QUALITY, quality}))
      return make_error(ErrorCode::Internal, "JPEG encoding failed");
  } catch (const cv::Exception& e) {
    return make_error(ErrorCode::Internal, std::string("JPEG encoding failed: ") + e.what());
  }
  return std::string(buf.begin(), buf.end());
}

Status write_jpeg(const std::string& path, const cv::Mat& image, int quality) {
  auto jpeg = encode_jpeg(image, quality);
  if (!jpeg) return jpeg.error();
  const std::string part = path + ".part";
  {
    std::ofstream out(part, std::ios::binary | std::ios::trunc);
    out.write(jpeg->data(), static_cast<std::streamsize>(jpeg->size()));
    if (!out.flush()) {
      std::remove(part.c_str());
      return make_error(ErrorCode::Unavailable, "cannot write " + path);
    }
  }
  if (std::rename(part.c_str(), path.c_str()) != 0) {
    std::remove(part.c_str());
    return make_error(ErrorCode::Unavailable, "cannot write " + path);
  }
  return ok_status();
}

}  // namespace vigil::vision
