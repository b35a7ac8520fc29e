#include "capture/image_folder_source.h"

#include <algorithm>
#include <filesystem>

#include "core/log.h"
#include "vision/image_io.h"

namespace vigil::capture {

ImageFolderSource::ImageFolderSource(std::string path, SourceOptions options)
    : path_(std::move(path)), options_(options) {}

Status ImageFolderSource::open() {
  namespace fs = std::filesystem;
  std::error_code ec;
  files_.clear();
  still_.release();
  next_ = 0;
  if (fs::is_directory(path_, ec)) {
    for (const auto& entry : fs::directory_iterator(path_, ec))
      if (entry.is_regular_file()) files_.push_back(entry.path().string());
    std::sort(files_.begin(), files_.end());
  } else if (fs::is_regular_file(path_, ec)) {
    files_.push_back(path_);
  } else {
    return make_error(ErrorCode::NotFound, "'" + path_ + "' does not exist (check VIDEO_PATH)");
  }
  if (files_.empty()) return make_error(ErrorCode::NotFound, "folder '" + path_ + "' holds no files");
  return ok_status();
}

Result<cv::Mat> ImageFolderSource::read() {
  for (std::size_t tried = 0; tried < files_.size(); ++tried) {
    if (next_ >= files_.size()) {
      if (!options_.loop) return cv::Mat();
      next_ = 0;
    }
    const std::string& file = files_[next_++];
    if (files_.size() == 1 && !still_.empty()) return still_;  // one still image: decode it once
    auto image = vision::read_image_file(file);
    if (image) {
      if (files_.size() == 1) still_ = *image;  // frames are never written to, so sharing is safe
      return *image;
    }
    LOG_WARN("camera", "skipping " << file << ": " << image.error().message);
  }
  return make_error(ErrorCode::InvalidArgument, "no file in '" + path_ + "' is a readable image");
}

}  // namespace vigil::capture
