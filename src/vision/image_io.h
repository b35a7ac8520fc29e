// Image codecs, the one place that calls OpenCV's imgcodecs: decoding image bytes (JPEG, PNG, BMP, WebP, TIFF,
// PPM) into an EXIF-oriented 8-bit BGR image, and encoding JPEG. Thread-safe. Unreadable bytes are an InvalidArgument error saying which formats are accepted.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <opencv2/core.hpp>

#include "core/result.h"

namespace vigil::vision {

// The image format named by the first bytes ("jpeg", "png", "gif", ...), or "" when unknown.
std::string_view sniff_image_format(std::string_view bytes);

// Width and height as the header states them (PNG's IHDR, JPEG's SOF, BMP, WebP, TIFF's first directory, PNM),
// without decoding; nullopt for a header that does not say. Lets decode_image refuse a decompression bomb before allocating for it.
struct ImageSize {
  std::uint32_t width = 0, height = 0;
};
std::optional<ImageSize> header_image_size(std::string_view bytes, std::string_view format);

Result<cv::Mat> decode_image(std::string_view bytes);

Result<cv::Mat> read_image_file(const std::string& path);

// JPEG bytes of a BGR (or gray) image at `quality` (1..100); an error for an empty image.
Result<std::string> encode_jpeg(const cv::Mat& image, int quality);
// The same, written to `path` (replaced whole: a reader never sees half a file).
Status write_jpeg(const std::string& path, const cv::Mat& image, int quality);

}  // namespace vigil::vision
