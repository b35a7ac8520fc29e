// The camera module's settings, each declared once: its name (the tutorial's environment variable where
// it has one), default, help text and parser. Settings arrive as NAME → text, from the process environment,
// a manifest's `env`, or command-line flags; only the names below are read. A value that does not parse
// stops start-up with a message naming the setting and what it accepts. Pure; no I/O.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "core/result.h"

namespace vigil::capture {

struct CameraSettings {
  // The tutorial's settings (same names, same meanings).
  std::string video_path = "0";  // VIDEO_PATH: device index, /dev/videoN, file, folder, or stream URL
  std::string endpoint;          // IMAGE_PROCESSING_ENDPOINT: http(s) URL, model folder, builtin:person; "" = none
  std::string params;            // IMAGE_PROCESSING_PARAMS: query string (or a JSON object of them)
  bool show_video = false;       // SHOW_VIDEO: serve the preview page
  bool verbose = false;          // VERBOSE
  bool loop_video = true;        // LOOP_VIDEO
  bool convert_to_gray = false;  // CONVERT_TO_GRAY
  int resize_width = 0;          // RESIZE_WIDTH  (0 with RESIZE_HEIGHT set: keep the aspect ratio)
  int resize_height = 0;         // RESIZE_HEIGHT
  // vigil's own.
  std::string camera_id;         // CAMERA_ID: the name in message properties; default: the module's name
  std::string preview_host = "0.0.0.0";
  int preview_port = 5012;
  std::string preview_users, preview_token;      // who may see the preview (http/access.h)
  std::string tls_cert_file, tls_key_file;       // HTTPS for the preview
  double max_fps = 0;            // cap on processed frames per second; 0 = as fast as the model goes
  bool realtime = true;          // files and folders play at their own frame rate (false: every frame, no drops)
  bool motion_gate = true;
  double motion_threshold = 0.002;  // fraction of pixels that must change to count as motion
  double motion_recheck_s = 5;      // infer at least this often on a static scene
  double stall_s = 5;               // no new (or only identical) frames this long → stalled
  double unhealthy_s = 60;          // stalled or lost this long → the module is unhealthy
  double reconnect_max_s = 30;      // cap of the reconnect back-off
  bool send_empty = false;          // also send predictions with no tags
  int capture_width = 0, capture_height = 0;  // requested device resolution (V4L2)
  double capture_fps = 0;                     // requested device frame rate; folder frame rate
  int endpoint_timeout_ms = 5000;
  // Object tracking (detectors only; capture/object_tracking.h).
  bool track = true;                // give each detected object an objectId that lasts while it is in view
  int track_confirm_hits = 3;       // frames in a row before an object gets its id
  double track_max_age_s = 2;       // an object unseen this long (frame time) has left
  double track_match_iou = 0.3;     // least overlap between an object's predicted box and a new box
  // Evidence (capture/clip_recorder.h) and decoding (capture/libav.h).
  bool clips = true;                // a clip around each alert, where the runtime keeps clips
  double pre_roll_s = 5, post_roll_s = 5, clip_max_s = 60;
  std::string capture_backend = "ffmpeg";  // files and streams: ffmpeg or opencv
  std::string decode = "all";              // all or keyframes
  std::string hwaccel = "none";
};

struct SettingDoc {
  std::string name, default_value, help;
};
const std::vector<SettingDoc>& camera_setting_docs();

Result<CameraSettings> parse_camera_settings(const std::map<std::string, std::string>& values);

// The names in `values` that are no setting, each with a warning ("VIDEO_PAHT is not a camera setting and is
// ignored; did you mean VIDEO_PATH?"). Such names are ignored by parse_camera_settings.
std::vector<std::string> unknown_setting_warnings(const std::map<std::string, std::string>& values);

// "true"/"false" as the tutorial writes them ("True", "FALSE"), plus 1/0, yes/no, on/off.
Result<bool> parse_bool_setting(const std::string& name, const std::string& text);

// IMAGE_PROCESSING_PARAMS as a query string without '?': a JSON object becomes k=v pairs, percent-encoded.
Result<std::string> query_from_params(const std::string& params);

}  // namespace vigil::capture
