#include "capture/libav.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <mutex>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/hwcontext.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <libswscale/swscale.h>
}

#include <opencv2/imgproc.hpp>

namespace vigil::capture {

class MediaFormat {
 public:
  MediaFormat() : par(avcodec_parameters_alloc()) {}
  ~MediaFormat() { avcodec_parameters_free(&par); }
  MediaFormat(const MediaFormat&) = delete;
  MediaFormat& operator=(const MediaFormat&) = delete;
  AVCodecParameters* par;
  AVRational time_base{1, 90000};
};

namespace {

using Steady = std::chrono::steady_clock;

std::string av_error(int code) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {0};
  av_strerror(code, buf, sizeof buf);
  return buf;
}

// FFmpeg's own log lines ("Connection refused" on every retry) say less than vigil's health reports do.
void quiet_ffmpeg() {
  static std::once_flag once;
  std::call_once(once, [] { av_log_set_level(AV_LOG_QUIET); });
}

bool is_network(const std::string& url) { return url.find("://") != std::string::npos; }

// Converts a decoded frame (any pixel format) to a BGR Mat, reusing `sws` between calls.
cv::Mat to_bgr(const AVFrame* src, SwsContext*& sws) {
  sws = sws_getCachedContext(sws, src->width, src->height, static_cast<AVPixelFormat>(src->format), src->width,
                             src->height, AV_PIX_FMT_BGR24, SWS_BILINEAR, nullptr, nullptr, nullptr);
  if (!sws) return {};
  cv::Mat out(src->height, src->width, CV_8UC3);
  std::uint8_t* dst[1] = {out.data};
  int stride[1] = {static_cast<int>(out.step)};
  sws_scale(sws, src->data, src->linesize, 0, src->height, dst, stride);
  return out;
}

double fps_of(const AVStream* st) {
  for (AVRational r : {st->avg_frame_rate, st->r_frame_rate})
    if (r.num > 0 && r.den > 0 && av_q2d(r) < 1000) return av_q2d(r);
  return 0;
}

}  // namespace

std::string codec_name(const MediaFormat& f) { return avcodec_get_name(f.par->codec_id); }

bool can_remux(const MediaFormat& f) {
  const AVOutputFormat* mp4 = av_guess_format("mp4", nullptr, nullptr);
  return mp4 && avformat_query_codec(mp4, f.par->codec_id, FF_COMPLIANCE_NORMAL) == 1;
}

std::string describe_format(const MediaFormat& f) {
  return codec_name(f) + " " + std::to_string(f.par->width) + "x" + std::to_string(f.par->height);
}

// ── VideoReader ──────────────────────────────────────────────────────────────────────────────────────────────────

struct VideoReader::Impl {
  AVFormatContext* fmt = nullptr;
  AVCodecContext* dec = nullptr;
  AVBufferRef* hw_device = nullptr;
  AVPixelFormat hw_pix = AV_PIX_FMT_NONE;
  SwsContext* sws = nullptr;
  AVPacket* pkt = nullptr;
  AVFrame* frame = nullptr;
  AVFrame* sw_frame = nullptr;
  int stream = -1;
  AVRational tb{1, 1};
  MediaFormatPtr format;
  ReaderOptions options;
  PacketSink sink;
  std::string url, notes;
  bool network = false, draining = false;
  Steady::time_point deadline = Steady::time_point::max();
  // The media clock: timestamps (stream time base) from the first one; a loop adds the length played so far.
  std::int64_t start = AV_NOPTS_VALUE, loop_offset = 0, end = 0, frame_duration = 1;
  std::uint64_t frames_since_loop = 0;
  double last_t = 0;

  ~Impl() { close(); }

  void close() {
    sws_freeContext(sws);
    sws = nullptr;
    av_frame_free(&frame);
    av_frame_free(&sw_frame);
    av_packet_free(&pkt);
    avcodec_free_context(&dec);
    av_buffer_unref(&hw_device);
    if (fmt) avformat_close_input(&fmt);
    format.reset();
    draining = false;
  }

  static int interrupted(void* opaque) { return Steady::now() > static_cast<Impl*>(opaque)->deadline ? 1 : 0; }
  void arm(int ms) { deadline = network ? Steady::now() + std::chrono::milliseconds(ms) : Steady::time_point::max(); }

  static AVPixelFormat pick_format(AVCodecContext* c, const AVPixelFormat* offered) {
    auto* self = static_cast<Impl*>(c->opaque);
    for (const AVPixelFormat* p = offered; *p != AV_PIX_FMT_NONE; ++p)
      if (*p == self->hw_pix) return *p;
    for (const AVPixelFormat* p = offered; *p != AV_PIX_FMT_NONE; ++p)
      if (!(av_pix_fmt_desc_get(*p)->flags & AV_PIX_FMT_FLAG_HWACCEL)) {
        self->notes = "software (the hardware decoder cannot take this stream)";
        return *p;
      }
    return offered[0];
  }

  const AVCodec* choose_decoder(const AVCodec* codec);
  void try_hw_device(const AVCodec* codec);
  Status open_decoder(const AVCodec* codec);
  Status open(const std::string& u);
  void hand_out(AVPacket* p);
  Result<bool> feed();  // false: the file ended and is being drained
  Result<std::optional<DecodedFrame>> read();
  bool restart();
};

const AVCodec* VideoReader::Impl::choose_decoder(const AVCodec* codec) {
  if (options.hwaccel != "v4l2m2m") return codec;
  const std::string name = std::string(codec->name) + "_v4l2m2m";
  if (const AVCodec* m2m = avcodec_find_decoder_by_name(name.c_str())) {
    notes = "v4l2m2m (" + name + ")";
    return m2m;
  }
  notes = "software (HWACCEL=v4l2m2m: this FFmpeg has no " + name + " decoder)";
  return codec;
}

// HWACCEL=auto tries each device type libavutil knows; a named one only that. Any failure decodes in software,
// and says why.
void VideoReader::Impl::try_hw_device(const AVCodec* codec) {
  std::vector<AVHWDeviceType> types;
  if (options.hwaccel == "auto") {
    for (auto t = av_hwdevice_iterate_types(AV_HWDEVICE_TYPE_NONE); t != AV_HWDEVICE_TYPE_NONE; t = av_hwdevice_iterate_types(t))
      types.push_back(t);
  } else {
    const auto t = av_hwdevice_find_type_by_name(options.hwaccel.c_str());
    if (t == AV_HWDEVICE_TYPE_NONE) {
      std::string known;
      for (auto k = av_hwdevice_iterate_types(AV_HWDEVICE_TYPE_NONE); k != AV_HWDEVICE_TYPE_NONE; k = av_hwdevice_iterate_types(k))
        known += std::string(known.empty() ? "" : ", ") + av_hwdevice_get_type_name(k);
      notes = "software (HWACCEL=" + options.hwaccel + " is no device type this FFmpeg knows; it knows " + known + ", v4l2m2m)";
      return;
    }
    types.push_back(t);
  }
  std::string tried;
  for (auto type : types) {
    const char* name = av_hwdevice_get_type_name(type);
    AVPixelFormat pix = AV_PIX_FMT_NONE;
    for (int i = 0;; ++i) {
      const AVCodecHWConfig* c = avcodec_get_hw_config(codec, i);
      if (!c) break;
      if ((c->methods & AV_CODEC_HW_CONFIG_METHOD_HW_DEVICE_CTX) && c->device_type == type) pix = c->pix_fmt;
    }
    if (pix == AV_PIX_FMT_NONE) {
      tried += std::string(tried.empty() ? "" : "; ") + name + ": cannot decode " + codec->name;
      continue;
    }
    const int r = av_hwdevice_ctx_create(&hw_device, type, nullptr, nullptr, 0);
    if (r < 0) {
      tried += std::string(tried.empty() ? "" : "; ") + name + ": no device here (" + av_error(r) + ")";
      continue;
    }
    hw_pix = pix;
    dec->hw_device_ctx = av_buffer_ref(hw_device);
    dec->opaque = this;
    dec->get_format = &Impl::pick_format;
    notes = name;
    return;
  }
  notes = "software (HWACCEL=" + options.hwaccel + ": " + (tried.empty() ? std::string("no device types") : tried) + ")";
}

Status VideoReader::Impl::open_decoder(const AVCodec* codec) {
  notes = "software";
  codec = choose_decoder(codec);
  dec = avcodec_alloc_context3(codec);
  if (!dec) return make_error(ErrorCode::Internal, "out of memory");
  avcodec_parameters_to_context(dec, fmt->streams[stream]->codecpar);
  dec->thread_count = 0;  // as many as the machine has
  if (options.keyframes_only) dec->skip_frame = AVDISCARD_NONKEY;
  if (options.hwaccel != "none" && options.hwaccel != "v4l2m2m" && !options.hwaccel.empty()) try_hw_device(codec);
  if (const int r = avcodec_open2(dec, codec, nullptr); r < 0)
    return make_error(ErrorCode::Unsupported, "cannot decode the " + std::string(codec->name) + " video of '" + url + "': " + av_error(r));
  if (options.keyframes_only) notes += ", keyframes only";
  return ok_status();
}

Status VideoReader::Impl::open(const std::string& u) {
  quiet_ffmpeg();
  close();
  url = u;
  network = is_network(u);
  fmt = avformat_alloc_context();
  fmt->interrupt_callback = {&Impl::interrupted, this};
  AVDictionary* opts = nullptr;
  if (u.rfind("rtsp", 0) == 0) av_dict_set(&opts, "rtsp_transport", "tcp", 0);  // no torn frames on Wi-Fi
  arm(options.open_timeout_ms);
  int r = avformat_open_input(&fmt, u.c_str(), nullptr, &opts);
  av_dict_free(&opts);
  if (r < 0) {
    fmt = nullptr;  // freed by FFmpeg
    const std::string why = r == AVERROR_EXIT ? "no answer in " + std::to_string(options.open_timeout_ms / 1000.0) + " s" : av_error(r);
    return make_error(r == AVERROR_EXIT ? ErrorCode::Timeout : ErrorCode::Unavailable,
                      network ? "cannot connect to stream '" + u + "': " + why + " (server down, wrong URL or credentials)"
                              : "cannot read video file '" + u + "': " + why + " (not a video, or a format FFmpeg lacks)");
  }
  if (r = avformat_find_stream_info(fmt, nullptr); r < 0)
    return make_error(ErrorCode::Unavailable, "'" + u + "': cannot find its streams: " + av_error(r));
  const AVCodec* codec = nullptr;
  stream = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
  if (stream < 0 || !codec)
    return make_error(ErrorCode::Unsupported, "'" + u + "' has no video stream FFmpeg can decode");
  AVStream* st = fmt->streams[stream];
  tb = st->time_base;
  if (auto s = open_decoder(codec); !s) return s;
  auto f = std::make_shared<MediaFormat>();
  avcodec_parameters_copy(f->par, st->codecpar);
  f->time_base = tb;
  format = std::move(f);
  const double rate = fps_of(st);
  frame_duration = rate > 0 ? std::max<std::int64_t>(1, std::llround(1.0 / (rate * av_q2d(tb)))) : 1;
  start = st->start_time;
  loop_offset = 0;
  end = 0;
  frames_since_loop = 0;
  pkt = av_packet_alloc();
  frame = av_frame_alloc();
  sw_frame = av_frame_alloc();
  return ok_status();
}

// Timestamps made whole (a missing pts or dts takes the other, or follows the last packet), moved past earlier
// loops, and the packet handed to the sink.
void VideoReader::Impl::hand_out(AVPacket* p) {
  if (p->pts == AV_NOPTS_VALUE) p->pts = p->dts;
  if (p->dts == AV_NOPTS_VALUE) p->dts = p->pts;
  if (p->pts == AV_NOPTS_VALUE) p->pts = p->dts = end - loop_offset;
  if (start == AV_NOPTS_VALUE) start = p->dts;
  p->pts += loop_offset;
  p->dts += loop_offset;
  end = std::max(end, p->pts + std::max<std::int64_t>(p->duration, frame_duration));
  if (!sink) return;
  auto e = std::make_shared<EncodedPacket>();
  e->data.assign(p->data, p->data + p->size);
  e->pts = p->pts;
  e->dts = p->dts;
  e->duration = p->duration > 0 ? p->duration : frame_duration;
  e->t = static_cast<double>(p->pts - start) * av_q2d(tb);
  e->key = (p->flags & AV_PKT_FLAG_KEY) != 0;
  sink(format, std::move(e));
}

Result<bool> VideoReader::Impl::feed() {
  for (;;) {
    arm(options.read_timeout_ms);
    const int r = av_read_frame(fmt, pkt);
    if (r == AVERROR_EOF || (r < 0 && !network && avio_feof(fmt->pb))) {
      if (network) return make_error(ErrorCode::Unavailable, "the stream ended");
      avcodec_send_packet(dec, nullptr);  // drain what the decoder holds
      draining = true;
      return false;
    }
    if (r == AVERROR_EXIT)
      return make_error(ErrorCode::Timeout, "the stream sent nothing for " + std::to_string(options.read_timeout_ms / 1000.0) + " s");
    if (r < 0) return make_error(ErrorCode::Unavailable, "reading '" + url + "' failed: " + av_error(r));
    if (pkt->stream_index != stream) {
      av_packet_unref(pkt);
      continue;
    }
    hand_out(pkt);
    const bool key = (pkt->flags & AV_PKT_FLAG_KEY) != 0;
    if (!options.keyframes_only || key) avcodec_send_packet(dec, pkt);  // a damaged packet is skipped, not fatal
    av_packet_unref(pkt);
    return true;
  }
}

// A looping file starts again; its timestamps go on from where the last pass ended.
bool VideoReader::Impl::restart() {
  if (frames_since_loop == 0) return false;  // a whole pass gave nothing: the file is broken
  const AVStream* st = fmt->streams[stream];
  if (av_seek_frame(fmt, stream, st->start_time == AV_NOPTS_VALUE ? 0 : st->start_time, AVSEEK_FLAG_BACKWARD) < 0)
    return false;
  avcodec_flush_buffers(dec);
  loop_offset = end - (start == AV_NOPTS_VALUE ? 0 : start);
  draining = false;
  frames_since_loop = 0;
  return true;
}

Result<std::optional<DecodedFrame>> VideoReader::Impl::read() {
  if (!fmt) return make_error(ErrorCode::Unavailable, "not open");
  for (;;) {
    const int r = avcodec_receive_frame(dec, frame);
    if (r == 0) {
      const AVFrame* src = frame;
      if (frame->format == hw_pix && hw_pix != AV_PIX_FMT_NONE) {
        av_frame_unref(sw_frame);
        if (av_hwframe_transfer_data(sw_frame, frame, 0) < 0) {
          av_frame_unref(frame);
          return make_error(ErrorCode::Unavailable, "cannot copy a frame from the " + notes + " decoder");
        }
        src = sw_frame;
      }
      DecodedFrame out;
      out.image = to_bgr(src, sws);
      const std::int64_t ts = frame->best_effort_timestamp;
      out.t = ts == AV_NOPTS_VALUE || start == AV_NOPTS_VALUE ? last_t + static_cast<double>(frame_duration) * av_q2d(tb)
                                                              : static_cast<double>(ts - start) * av_q2d(tb);
      last_t = out.t;
      av_frame_unref(frame);
      if (out.image.empty()) return make_error(ErrorCode::Unsupported, "cannot convert the pixel format of '" + url + "'");
      ++frames_since_loop;
      return std::optional<DecodedFrame>(std::move(out));
    }
    if (r == AVERROR_EOF) {
      if (!options.loop) return std::optional<DecodedFrame>();
      if (!restart()) return make_error(ErrorCode::Unavailable, "video file '" + url + "' has no readable frames");
      continue;
    }
    if (r != AVERROR(EAGAIN)) return make_error(ErrorCode::Unavailable, "decoding '" + url + "' failed: " + av_error(r));
    if (draining) return make_error(ErrorCode::Internal, "the decoder wants input while draining");
    if (auto fed = feed(); !fed) return fed.error();
  }
}

VideoReader::VideoReader() : impl_(std::make_unique<Impl>()) {}
VideoReader::~VideoReader() = default;

Status VideoReader::open(const std::string& url, const ReaderOptions& options, PacketSink packets) {
  impl_->options = options;
  impl_->sink = std::move(packets);
  auto s = impl_->open(url);
  if (!s) impl_->close();
  return s;
}

Result<std::optional<DecodedFrame>> VideoReader::read() { return impl_->read(); }
void VideoReader::close() { impl_->close(); }
MediaFormatPtr VideoReader::format() const { return impl_->format; }
std::string VideoReader::decoder_notes() const { return impl_->notes; }

double VideoReader::fps() const {
  if (!impl_->fmt || impl_->stream < 0) return 0;
  return fps_of(impl_->fmt->streams[impl_->stream]);
}

// ── VideoEncoder ─────────────────────────────────────────────────────────────────────────────────────────────────

struct VideoEncoder::Impl {
  AVCodecContext* ctx = nullptr;
  AVFrame* frame = nullptr;
  AVPacket* pkt = nullptr;
  SwsContext* sws = nullptr;
  MediaFormatPtr format;
  std::int64_t last_pts = AV_NOPTS_VALUE;
  ~Impl() {
    sws_freeContext(sws);
    av_frame_free(&frame);
    av_packet_free(&pkt);
    avcodec_free_context(&ctx);
  }
};

VideoEncoder::VideoEncoder() : impl_(std::make_unique<Impl>()) {}
VideoEncoder::~VideoEncoder() = default;

Result<std::unique_ptr<VideoEncoder>> VideoEncoder::open(int width, int height, double fps) {
  quiet_ffmpeg();
  if (width < 2 || height < 2) return make_error(ErrorCode::InvalidArgument, "frames too small to encode");
  const AVCodec* codec = avcodec_find_encoder_by_name("libx264");
  const bool h264 = codec != nullptr;
  if (!codec) codec = avcodec_find_encoder(AV_CODEC_ID_MJPEG);
  if (!codec) return make_error(ErrorCode::Unsupported, "this FFmpeg has neither an H.264 (libx264) nor an MJPEG encoder");
  std::unique_ptr<VideoEncoder> e(new VideoEncoder());
  Impl& i = *e->impl_;
  i.ctx = avcodec_alloc_context3(codec);
  i.ctx->width = width & ~1;  // 4:2:0 needs even sizes
  i.ctx->height = height & ~1;
  i.ctx->time_base = {1, 1000};  // frames carry their own times, in milliseconds
  const int rate = std::clamp(static_cast<int>(std::lround(fps > 0 ? fps : 10)), 1, 120);
  i.ctx->framerate = {rate, 1};
  i.ctx->gop_size = rate;  // a keyframe every second: clips start close to their pre-roll
  i.ctx->max_b_frames = 0;
  i.ctx->pix_fmt = h264 ? AV_PIX_FMT_YUV420P : AV_PIX_FMT_YUVJ420P;
  i.ctx->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;  // MP4 keeps the parameter sets in its header
  i.ctx->thread_count = 1;                      // one core at most: the camera comes first
  if (h264) {
    av_opt_set(i.ctx->priv_data, "preset", "veryfast", 0);
    av_opt_set(i.ctx->priv_data, "tune", "zerolatency", 0);
    av_opt_set(i.ctx->priv_data, "crf", "26", 0);
  }
  if (const int r = avcodec_open2(i.ctx, codec, nullptr); r < 0)
    return make_error(ErrorCode::Unsupported, std::string("cannot open the ") + codec->name + " encoder: " + av_error(r));
  i.frame = av_frame_alloc();
  i.frame->format = i.ctx->pix_fmt;
  i.frame->width = i.ctx->width;
  i.frame->height = i.ctx->height;
  if (av_frame_get_buffer(i.frame, 0) < 0) return make_error(ErrorCode::Internal, "out of memory");
  i.pkt = av_packet_alloc();
  auto f = std::make_shared<MediaFormat>();
  avcodec_parameters_from_context(f->par, i.ctx);
  f->time_base = i.ctx->time_base;
  i.format = std::move(f);
  return e;
}

MediaFormatPtr VideoEncoder::format() const { return impl_->format; }

Result<std::vector<PacketPtr>> VideoEncoder::encode(const cv::Mat& bgr, double t) {
  Impl& i = *impl_;
  cv::Mat src = bgr;
  if (src.cols != i.ctx->width || src.rows != i.ctx->height) cv::resize(bgr, src, {i.ctx->width, i.ctx->height});
  if (src.type() != CV_8UC3) return make_error(ErrorCode::InvalidArgument, "frames to encode must be BGR");
  i.sws = sws_getCachedContext(i.sws, src.cols, src.rows, AV_PIX_FMT_BGR24, i.ctx->width, i.ctx->height, i.ctx->pix_fmt,
                               SWS_BILINEAR, nullptr, nullptr, nullptr);
  if (!i.sws || av_frame_make_writable(i.frame) < 0) return make_error(ErrorCode::Internal, "cannot convert a frame to encode");
  const std::uint8_t* in[1] = {src.data};
  int stride[1] = {static_cast<int>(src.step)};
  sws_scale(i.sws, in, stride, 0, src.rows, i.frame->data, i.frame->linesize);
  std::int64_t pts = std::llround(t * 1000);
  if (i.last_pts != AV_NOPTS_VALUE && pts <= i.last_pts) pts = i.last_pts + 1;
  i.last_pts = pts;
  i.frame->pts = pts;
  if (const int r = avcodec_send_frame(i.ctx, i.frame); r < 0)
    return make_error(ErrorCode::Internal, "encoding failed: " + av_error(r));
  std::vector<PacketPtr> out;
  while (avcodec_receive_packet(i.ctx, i.pkt) == 0) {
    auto e = std::make_shared<EncodedPacket>();
    e->data.assign(i.pkt->data, i.pkt->data + i.pkt->size);
    e->pts = i.pkt->pts;
    e->dts = i.pkt->dts;
    e->duration = i.pkt->duration;
    e->t = static_cast<double>(i.pkt->pts) / 1000.0;
    e->key = (i.pkt->flags & AV_PKT_FLAG_KEY) != 0;
    out.push_back(std::move(e));
    av_packet_unref(i.pkt);
  }
  return out;
}

// ── Clips ────────────────────────────────────────────────────────────────────────────────────────────────────────

namespace {

struct Output {
  AVFormatContext* ctx = nullptr;
  ~Output() {
    if (!ctx) return;
    if (ctx->pb) avio_closep(&ctx->pb);
    avformat_free_context(ctx);
  }
};

Result<double> write_packets(Output& out, const std::string& path, const MediaFormat& format, const std::vector<PacketPtr>& packets) {
  if (const int r = avformat_alloc_output_context2(&out.ctx, nullptr, "mp4", path.c_str()); r < 0 || !out.ctx)
    return make_error(ErrorCode::Unsupported, "this FFmpeg cannot write MP4: " + av_error(r));
  AVStream* st = avformat_new_stream(out.ctx, nullptr);
  if (!st || avcodec_parameters_copy(st->codecpar, format.par) < 0) return make_error(ErrorCode::Internal, "out of memory");
  st->codecpar->codec_tag = 0;  // the container's own tag for the codec
  st->time_base = format.time_base;
  if (const int r = avio_open(&out.ctx->pb, path.c_str(), AVIO_FLAG_WRITE); r < 0)
    return make_error(ErrorCode::Unavailable, "cannot write " + path + ": " + av_error(r));
  AVDictionary* opts = nullptr;
  av_dict_set(&opts, "movflags", "+faststart", 0);  // the index first: a browser plays it while it loads
  const int h = avformat_write_header(out.ctx, &opts);
  av_dict_free(&opts);
  if (h < 0) return make_error(ErrorCode::Unsupported, "cannot start an MP4 of " + describe_format(format) + ": " + av_error(h));
  const std::int64_t base = packets.front()->dts;
  AVPacket* pkt = av_packet_alloc();
  std::int64_t last_duration = 0, written = 0;
  for (std::size_t i = 0; i < packets.size(); ++i) {
    const auto& p = packets[i];
    if (av_new_packet(pkt, static_cast<int>(p->data.size())) < 0) break;
    std::memcpy(pkt->data, p->data.data(), p->data.size());
    pkt->pts = p->pts - base;
    pkt->dts = p->dts - base;
    // A packet without a duration (an encoder's) lasts until the next one; the last as long as the one before,
    // or a demuxer would drop the last frame.
    pkt->duration = p->duration > 0 ? p->duration : i + 1 < packets.size() ? packets[i + 1]->dts - p->dts : last_duration;
    last_duration = pkt->duration;
    written += pkt->duration;
    pkt->flags = p->key ? AV_PKT_FLAG_KEY : 0;
    pkt->stream_index = 0;
    av_packet_rescale_ts(pkt, format.time_base, st->time_base);
    if (const int r = av_interleaved_write_frame(out.ctx, pkt); r < 0) {
      av_packet_free(&pkt);
      return make_error(ErrorCode::Unavailable, "writing " + path + " failed: " + av_error(r));
    }
  }
  av_packet_free(&pkt);
  if (const int r = av_write_trailer(out.ctx); r < 0)
    return make_error(ErrorCode::Unavailable, "finishing " + path + " failed: " + av_error(r));
  return static_cast<double>(written) * av_q2d(format.time_base);
}

}  // namespace

Result<double> write_clip(const std::string& path, const MediaFormat& format, const std::vector<PacketPtr>& packets) {
  quiet_ffmpeg();
  if (packets.empty()) return make_error(ErrorCode::InvalidArgument, "no video to write");
  const std::string part = path + ".part";  // readers never see a half-written clip
  Result<double> s = [&] {
    Output out;
    return write_packets(out, part, format, packets);
  }();
  std::error_code ec;
  if (s) std::filesystem::rename(part, path, ec);
  if (!s || ec) std::filesystem::remove(part, ec);
  if (s && ec) return make_error(ErrorCode::Unavailable, "cannot rename " + part + ": " + ec.message());
  return s;
}

Result<ClipInfo> probe_clip(const std::string& path) {
  quiet_ffmpeg();
  AVFormatContext* fmt = nullptr;
  if (const int r = avformat_open_input(&fmt, path.c_str(), nullptr, nullptr); r < 0)
    return make_error(ErrorCode::Unavailable, "cannot read " + path + ": " + av_error(r));
  ClipInfo info;
  if (avformat_find_stream_info(fmt, nullptr) >= 0) {
    const int v = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
    if (v >= 0) {
      const AVStream* st = fmt->streams[v];
      info.codec = avcodec_get_name(st->codecpar->codec_id);
      info.width = st->codecpar->width;
      info.height = st->codecpar->height;
      info.frames = st->nb_frames;
      info.seconds = st->duration != AV_NOPTS_VALUE ? static_cast<double>(st->duration) * av_q2d(st->time_base)
                                                    : static_cast<double>(fmt->duration) / AV_TIME_BASE;
    }
  }
  avformat_close_input(&fmt);
  if (info.codec.empty()) return make_error(ErrorCode::Unsupported, path + " has no video stream");
  return info;
}

}  // namespace vigil::capture
