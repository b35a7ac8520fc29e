#include "capture/camera_settings.h"
#include "core/text.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <type_traits>
#include <functional>

#include <nlohmann/json.hpp>

namespace vigil::capture {
namespace {

using Apply = std::function<Status(CameraSettings&, const std::string& name, const std::string& text)>;

struct Setting {
  SettingDoc doc;
  Apply apply;
};

Error bad(const std::string& name, const std::string& text, const std::string& expected) {
  return make_error(ErrorCode::InvalidArgument, "setting " + name + "='" + text + "' is not valid: expected " + expected);
}

template <typename T>
Result<T> parse_number(const std::string& name, const std::string& text, T min, T max, const std::string& what) {
  std::string t = text;
  t.erase(0, t.find_first_not_of(" \t"));
  t.erase(t.find_last_not_of(" \t") + 1);
  T v{};
  const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if constexpr (std::is_floating_point_v<T>) {
    if (!std::isfinite(v)) return bad(name, text, what);  // "nan", "inf": never a rate, a time or a fraction
  }
  if (t.empty() || ec != std::errc() || end != t.data() + t.size() || v < min || v > max) return bad(name, text, what);
  return v;
}

Apply text_field(std::string CameraSettings::*field) {
  return [field](CameraSettings& s, const std::string&, const std::string& text) {
    s.*field = text;
    return ok_status();
  };
}

Apply bool_field(bool CameraSettings::*field) {
  return [field](CameraSettings& s, const std::string& name, const std::string& text) -> Status {
    auto v = parse_bool_setting(name, text);
    if (!v) return v.error();
    s.*field = *v;
    return ok_status();
  };
}

Apply int_field(int CameraSettings::*field, int min, int max) {
  return [=](CameraSettings& s, const std::string& name, const std::string& text) -> Status {
    auto v = parse_number<int>(name, text, min, max,
                               "a whole number from " + std::to_string(min) + " to " + std::to_string(max));
    if (!v) return v.error();
    s.*field = *v;
    return ok_status();
  };
}

Apply double_field(double CameraSettings::*field, double min, double max, const std::string& what) {
  return [=](CameraSettings& s, const std::string& name, const std::string& text) -> Status {
    auto v = parse_number<double>(name, text, min, max, what);
    if (!v) return v.error();
    s.*field = *v;
    return ok_status();
  };
}

Apply choice_field(std::string CameraSettings::*field, std::vector<std::string> choices) {
  return [=](CameraSettings& s, const std::string& name, const std::string& text) -> Status {
    const std::string t = to_lower(text);
    if (std::find(choices.begin(), choices.end(), t) == choices.end()) {
      std::string list;
      for (const auto& c : choices) list += (list.empty() ? "" : " or ") + c;
      return bad(name, text, list);
    }
    s.*field = t;
    return ok_status();
  };
}

// The tutorial's settings and the ones that say what a frame goes through.
std::vector<Setting> tutorial_settings() {
  return {
      {{"VIDEO_PATH", "0",
        "camera device (0, /dev/video0), video file, folder of images, or stream URL (rtsp://, http://...mjpg)"},
       text_field(&CameraSettings::video_path)},
      {{"IMAGE_PROCESSING_ENDPOINT", "",
        "where frames are sent: an http(s):// prediction URL (vigil serve or a Custom Vision container), or a model "
        "run in-process (a model folder or builtin:person); empty = capture and preview only"},
       text_field(&CameraSettings::endpoint)},
      {{"IMAGE_PROCESSING_PARAMS", "", "query string added to the endpoint URL (or a JSON object of parameters)"},
       [](CameraSettings& s, const std::string& name, const std::string& text) -> Status {
         if (auto q = query_from_params(text); !q) return bad(name, text, "a query string or a JSON object");
         s.params = text;
         return ok_status();
       }},
      {{"SHOW_VIDEO", "false", "serve the live preview page (port PREVIEW_PORT)"}, bool_field(&CameraSettings::show_video)},
      {{"VERBOSE", "false", "log every frame with its timings"}, bool_field(&CameraSettings::verbose)},
      {{"LOOP_VIDEO", "true", "start a video file or image folder again at its end"}, bool_field(&CameraSettings::loop_video)},
      {{"CONVERT_TO_GRAY", "false", "convert frames to grayscale before inference"},
       bool_field(&CameraSettings::convert_to_gray)},
      {{"RESIZE_WIDTH", "0", "resize frames to this width before inference (0 = keep; one of the two = keep aspect)"},
       int_field(&CameraSettings::resize_width, 0, 8192)},
      {{"RESIZE_HEIGHT", "0", "resize frames to this height before inference"},
       int_field(&CameraSettings::resize_height, 0, 8192)},
      {{"CAMERA_ID", "", "camera name in message properties and on the preview (default: the module name)"},
       text_field(&CameraSettings::camera_id)},
  };
}

// The preview, rates, the motion gate, health and the device.
std::vector<Setting> running_settings() {
  return {
      {{"PREVIEW_HOST", "0.0.0.0", "address the preview listens on"}, text_field(&CameraSettings::preview_host)},
      {{"PREVIEW_PORT", "5012", "preview port (0 = any free port)"}, int_field(&CameraSettings::preview_port, 0, 65535)},
      {{"PREVIEW_USERS", "",
        "who may log in to the preview and the alert review: NAME:HASH[,NAME:HASH] (make a line with `vigil passwd "
        "NAME`); none: only this machine may see them when PREVIEW_HOST is not loopback"},
       text_field(&CameraSettings::preview_users)},
      {{"PREVIEW_TOKEN", "", "a bearer token (16+ characters) for the preview's APIs and streams (Authorization: Bearer …)"},
       text_field(&CameraSettings::preview_token)},
      {{"TLS_CERT_FILE", "", "HTTPS for the preview: a PEM certificate (chain) file; with TLS_KEY_FILE"},
       text_field(&CameraSettings::tls_cert_file)},
      {{"TLS_KEY_FILE", "", "HTTPS for the preview: the PEM key of TLS_CERT_FILE"}, text_field(&CameraSettings::tls_key_file)},
      {{"MAX_FPS", "0", "cap on processed frames per second (0 = as fast as the model goes)"},
       double_field(&CameraSettings::max_fps, 0, 1000, "a number of frames per second from 0 to 1000")},
      {{"REALTIME", "true",
        "play files and folders at their own frame rate, dropping frames the model cannot keep up with "
        "(false: process every frame)"},
       bool_field(&CameraSettings::realtime)},
      {{"MOTION_GATE", "true", "skip inference while the scene does not change"}, bool_field(&CameraSettings::motion_gate)},
      {{"MOTION_THRESHOLD", "0.002", "fraction of pixels that must change to count as motion"},
       double_field(&CameraSettings::motion_threshold, 0, 1, "a fraction from 0 to 1")},
      {{"MOTION_RECHECK_S", "5", "run inference at least this often on a static scene (seconds)"},
       double_field(&CameraSettings::motion_recheck_s, 0, 86400, "seconds from 0 to 86400")},
      {{"STALL_SECONDS", "5", "a source with no new frame (or the same frozen frame) this long is 'stalled'"},
       double_field(&CameraSettings::stall_s, 0.1, 3600, "seconds from 0.1 to 3600")},
      {{"UNHEALTHY_SECONDS", "60",
        "a source stalled or lost this long makes the module unhealthy (restartPolicy on-unhealthy or always "
        "restarts it; vigil list shows it)"},
       double_field(&CameraSettings::unhealthy_s, 0.1, 86400, "seconds from 0.1 to 86400")},
      {{"RECONNECT_MAX_S", "30", "longest wait between reconnect attempts (seconds)"},
       double_field(&CameraSettings::reconnect_max_s, 0.1, 3600, "seconds from 0.1 to 3600")},
      {{"SEND_EMPTY", "false", "also send predictions that contain no tags"}, bool_field(&CameraSettings::send_empty)},
      {{"CAPTURE_WIDTH", "0", "resolution to request from a camera device (0 = its default)"},
       int_field(&CameraSettings::capture_width, 0, 8192)},
      {{"CAPTURE_HEIGHT", "0", "resolution to request from a camera device"},
       int_field(&CameraSettings::capture_height, 0, 8192)},
      {{"CAPTURE_FPS", "0", "frame rate to request from a device; frame rate of an image folder (default 1)"},
       double_field(&CameraSettings::capture_fps, 0, 1000, "frames per second from 0 to 1000")},
      {{"ENDPOINT_TIMEOUT_MS", "5000", "time allowed for one HTTP prediction request"},
       int_field(&CameraSettings::endpoint_timeout_ms, 100, 600000)},
  };
}

// Objects, clips and decoding.
std::vector<Setting> object_settings() {
  return {
      {{"TRACK", "true",
        "detectors: follow each object from frame to frame and give it an objectId (camera-N) in output1; "
        "classifiers are not tracked"},
       bool_field(&CameraSettings::track)},
      {{"TRACK_CONFIRM_HITS", "3", "frames in a row an object must be seen before it gets its objectId"},
       int_field(&CameraSettings::track_confirm_hits, 1, 100)},
      {{"TRACK_MAX_AGE_S", "2", "an object not seen for this long (video time, seconds) has left; shorter gaps "
                                "(occlusions, missed detections) keep its id"},
       double_field(&CameraSettings::track_max_age_s, 0.05, 3600, "seconds from 0.05 to 3600")},
      {{"TRACK_MATCH_IOU", "0.3", "least overlap (IoU) of an object's predicted box with a new box to be the same "
                                  "object"},
       double_field(&CameraSettings::track_match_iou, 0.01, 1, "a fraction from 0.01 to 1")},
      {{"CLIPS", "true",
        "keep a clip around each alert in clips/ of the state folder (vigil run): the camera's own video remuxed for "
        "files and streams, encoded from the processed frames for devices and folders"},
       bool_field(&CameraSettings::clips)},
      {{"PRE_ROLL_S", "5", "seconds of video before the alert's frame in its clip"},
       double_field(&CameraSettings::pre_roll_s, 0, 60, "seconds from 0 to 60")},
      {{"POST_ROLL_S", "5", "seconds of video after the alert's frame (after its object was last seen) in its clip"},
       double_field(&CameraSettings::post_roll_s, 0, 300, "seconds from 0 to 300")},
      {{"CLIP_MAX_S", "60", "the longest clip, however long its object stays in view (seconds)"},
       double_field(&CameraSettings::clip_max_s, 1, 3600, "seconds from 1 to 3600")},
      {{"CAPTURE_BACKEND", "ffmpeg",
        "files and streams: ffmpeg (FFmpeg's libraries: clips without re-encoding, the stream's own timestamps, "
        "DECODE and HWACCEL) or opencv (OpenCV's VideoCapture); devices and GStreamer pipelines always use OpenCV"},
       choice_field(&CameraSettings::capture_backend, {"ffmpeg", "opencv"})},
      {{"DECODE", "all",
        "all: decode every frame; keyframes: decode only keyframes (about one a second or less: far less CPU, for "
        "slow scenes; FFmpeg backend)"},
       choice_field(&CameraSettings::decode, {"all", "keyframes"})},
      {{"HWACCEL", "none",
        "hardware decoding (FFmpeg backend): none, auto, a device type (vaapi on Intel, cuda, vdpau, …) or v4l2m2m "
        "(Raspberry Pi); when absent, vigil says why and decodes in software"},
       text_field(&CameraSettings::hwaccel)},
  };
}

const std::vector<Setting>& settings() {
  static const std::vector<Setting> table = [] {
    std::vector<Setting> all;
    for (auto part : {tutorial_settings(), running_settings(), object_settings()}) all.insert(all.end(), part.begin(), part.end());
    return all;
  }();
  return table;
}

}  // namespace

const std::vector<SettingDoc>& camera_setting_docs() {
  static const std::vector<SettingDoc> docs = [] {
    std::vector<SettingDoc> d;
    for (const auto& s : settings()) d.push_back(s.doc);
    return d;
  }();
  return docs;
}

Result<bool> parse_bool_setting(const std::string& name, const std::string& text) {
  const std::string t = to_lower(text);
  if (t == "true" || t == "1" || t == "yes" || t == "on") return true;
  if (t == "false" || t == "0" || t == "no" || t == "off") return false;
  return bad(name, text, "True or False");
}

Result<std::string> query_from_params(const std::string& params) {
  std::string p = params;
  p.erase(0, p.find_first_not_of(" \t"));
  if (p.empty()) return std::string();
  if (p[0] == '{') {
    auto j = nlohmann::ordered_json::parse(p, nullptr, false);  // keeps the order given
    if (j.is_discarded() || !j.is_object())
      return make_error(ErrorCode::InvalidArgument, "IMAGE_PROCESSING_PARAMS is not a JSON object");
    std::string q;
    for (const auto& [k, v] : j.items()) {
      if (!q.empty()) q += '&';
      q += url_encode(k) + '=' + url_encode(v.is_string() ? v.get<std::string>() : v.dump());
    }
    return q;
  }
  if (p[0] == '?') p.erase(0, 1);
  if (p.find_first_of(" \t\r\n#") != std::string::npos)
    return make_error(ErrorCode::InvalidArgument, "IMAGE_PROCESSING_PARAMS contains spaces or '#'");
  return p;
}

namespace {

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

}  // namespace

std::vector<std::string> unknown_setting_warnings(const std::map<std::string, std::string>& values) {
  std::vector<std::string> out;
  for (const auto& [name, _] : values) {
    const auto& table = settings();
    if (std::any_of(table.begin(), table.end(), [&](const Setting& s) { return s.doc.name == name; })) continue;
    std::string best;
    std::size_t best_distance = 3;  // suggest only close names
    for (const auto& s : table)
      if (const auto d = edit_distance(name, s.doc.name); d < best_distance) {
        best_distance = d;
        best = s.doc.name;
      }
    out.push_back(name + " is not a camera setting and is ignored" + (best.empty() ? "" : "; did you mean " + best + "?") +
                  " (vigil camera --list-settings lists them)");
  }
  return out;
}

Result<CameraSettings> parse_camera_settings(const std::map<std::string, std::string>& values) {
  CameraSettings s;
  for (const auto& setting : settings()) {
    auto it = values.find(setting.doc.name);
    if (it == values.end()) continue;
    if (auto st = setting.apply(s, setting.doc.name, it->second); !st) return st.error();
  }
  return s;
}

}  // namespace vigil::capture
