#include <algorithm>
#include <cctype>
#include <regex>

#include "capture/frame_source.h"

namespace vigil::capture {

const char* source_kind_name(SourceKind kind) {
  switch (kind) {
    case SourceKind::Device: return "device";
    case SourceKind::File: return "file";
    case SourceKind::Stream: return "stream";
    case SourceKind::ImageFolder: return "images";
  }
  return "?";
}

Result<SourceSpec> parse_source_spec(const std::string& video_path, bool is_directory) {
  std::string p = video_path;
  p.erase(0, p.find_first_not_of(" \t"));
  p.erase(p.find_last_not_of(" \t\r\n") + 1);
  if (p.empty())
    return make_error(ErrorCode::InvalidArgument,
                      "VIDEO_PATH is empty: give a camera (0 or /dev/video0), a video file, a folder of images, or a "
                      "stream URL");
  SourceSpec spec;
  spec.location = p;
  if (std::all_of(p.begin(), p.end(), [](unsigned char c) { return std::isdigit(c); })) {
    if (p.size() > 3) return make_error(ErrorCode::InvalidArgument, "VIDEO_PATH '" + p + "' is not a device number");
    spec.kind = SourceKind::Device;
    spec.device_index = std::stoi(p);
    return spec;
  }
  static const std::regex device(R"(^/dev/video\d+$)");
  if (std::regex_match(p, device)) {
    spec.kind = SourceKind::Device;
    return spec;
  }
  if (p.find(" ! ") != std::string::npos) {
    spec.kind = SourceKind::Stream;
    spec.gstreamer_pipeline = true;
    return spec;
  }
  static const std::regex url(R"(^([A-Za-z][A-Za-z0-9+.-]*)://.+)");
  std::smatch m;
  if (std::regex_match(p, m, url)) {
    std::string scheme = m[1].str();
    std::transform(scheme.begin(), scheme.end(), scheme.begin(), [](unsigned char c) { return std::tolower(c); });
    if (scheme == "file") {
      spec.kind = SourceKind::File;
      spec.location = p.substr(7);
      return spec;
    }
    static const char* known[] = {"rtsp", "rtsps", "rtmp", "http", "https", "udp", "tcp", "rtp", "srt"};
    if (std::find(std::begin(known), std::end(known), scheme) == std::end(known))
      return make_error(ErrorCode::Unsupported, "VIDEO_PATH '" + p + "': streams with scheme '" + scheme +
                                                    "' are not supported (use rtsp, rtsps, rtmp, http, https, udp, "
                                                    "tcp, rtp or srt, or a GStreamer pipeline ending in appsink)");
    spec.kind = SourceKind::Stream;
    return spec;
  }
  spec.kind = is_directory ? SourceKind::ImageFolder : SourceKind::File;
  return spec;
}

}  // namespace vigil::capture
