// ImageFolderSource: the still images of a folder (sorted by name), or one image file, as a finite video
// at CAPTURE_FPS (default 1 frame per second). For tests, replays and static-scene measurements.
// Unreadable files are skipped with a warning; a folder with no readable image is an error at open.
#pragma once

#include <string>
#include <vector>

#include "capture/frame_source.h"

namespace vigil::capture {

class ImageFolderSource : public FrameSource {
 public:
  ImageFolderSource(std::string path, SourceOptions options);
  Status open() override;
  Result<cv::Mat> read() override;
  void close() override {}
  double native_fps() const override { return options_.fps > 0 ? options_.fps : 1.0; }

 private:
  std::string path_;
  SourceOptions options_;
  std::vector<std::string> files_;
  std::size_t next_ = 0;
  cv::Mat still_;  // the decoded image when the source is a single still
};

}  // namespace vigil::capture
