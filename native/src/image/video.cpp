// Video files and cameras through OpenCV's videoio.
#include "lightnet/video.h"

#include "image/cv_mat.h"

#include <chrono>
#include <filesystem>
#include <string>
#include <system_error>

#include <opencv2/core.hpp>
#include <opencv2/videoio.hpp>

namespace lightnet {
namespace {

int fourcc_for(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  for (auto& c : ext) c = char(std::tolower(static_cast<unsigned char>(c)));
  if (ext == ".mp4" || ext == ".mov" || ext == ".m4v") return cv::VideoWriter::fourcc('m', 'p', '4', 'v');
  if (ext == ".avi" || ext == ".mkv") return cv::VideoWriter::fourcc('M', 'J', 'P', 'G');
  throw MediaError(path, "unsupported video extension '" + ext + "', expected .mp4, .mov, .m4v, .avi or .mkv");
}

}  // namespace

struct VideoReader::Impl {
  cv::VideoCapture capture;
  VideoInfo info;
  std::string name;
  bool camera = false;
  cv::Mat frame;
};

VideoReader::VideoReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
VideoReader::~VideoReader() = default;

std::unique_ptr<VideoReader> VideoReader::finish_open(std::unique_ptr<Impl> impl) {
  auto& cap = impl->capture;
  if (!cap.isOpened()) throw MediaError(impl->name, impl->camera ? "cannot open camera" : "cannot open video (not a video OpenCV/FFmpeg can read)");
  impl->info.width = int(cap.get(cv::CAP_PROP_FRAME_WIDTH));
  impl->info.height = int(cap.get(cv::CAP_PROP_FRAME_HEIGHT));
  impl->info.fps = cap.get(cv::CAP_PROP_FPS);
  const double count = cap.get(cv::CAP_PROP_FRAME_COUNT);
  impl->info.frame_count = (!impl->camera && count > 0) ? int64_t(count) : -1;
  if (impl->info.width <= 0 || impl->info.height <= 0) throw MediaError(impl->name, "video has no frame size (no video stream?)");
  return std::unique_ptr<VideoReader>(new VideoReader(std::move(impl)));
}

std::unique_ptr<VideoReader> VideoReader::open_file(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) throw MediaError(path, "no such file");
  auto impl = std::make_unique<Impl>();
  impl->name = path;
  try {
    // FFmpeg only: the other backends (GStreamer, image sequences) print noise for non-video files.
    impl->capture.open(path, cv::CAP_FFMPEG);
  } catch (const cv::Exception& e) {
    throw MediaError(path, std::string("cannot open video (") + e.err + ")");
  }
  return finish_open(std::move(impl));
}

std::unique_ptr<VideoReader> VideoReader::open_camera(int index, int width, int height) {
  auto impl = std::make_unique<Impl>();
  impl->name = "camera " + std::to_string(index);
  impl->camera = true;
  try {
    impl->capture.open(index, cv::CAP_ANY);
    if (impl->capture.isOpened() && width > 0 && height > 0) {
      impl->capture.set(cv::CAP_PROP_FRAME_WIDTH, width);
      impl->capture.set(cv::CAP_PROP_FRAME_HEIGHT, height);
    }
  } catch (const cv::Exception& e) {
    throw MediaError(impl->name, std::string("cannot open camera (") + e.err + ")");
  }
  return finish_open(std::move(impl));
}

const VideoInfo& VideoReader::info() const { return impl_->info; }
const std::string& VideoReader::name() const { return impl_->name; }

bool VideoReader::read(OwnedImage& out, double& position_ms) {
  try {
    if (!impl_->capture.read(impl_->frame) || impl_->frame.empty()) return false;
  } catch (const cv::Exception& e) {
    throw MediaError(impl_->name, std::string("cannot decode frame (") + e.err + ")");
  }
  if (impl_->camera) {
    using namespace std::chrono;
    position_ms = double(duration_cast<microseconds>(system_clock::now().time_since_epoch()).count()) / 1000.0;
  } else {
    position_ms = impl_->capture.get(cv::CAP_PROP_POS_MSEC);
  }
  out = to_owned_bgr(impl_->frame);
  return true;
}

struct VideoWriter::Impl {
  cv::VideoWriter writer;
  std::string path;
  int width = 0, height = 0;
  int64_t frames = 0;
  bool closed = false;
};

VideoWriter::VideoWriter(const std::string& path, int width, int height, double fps) : impl_(std::make_unique<Impl>()) {
  impl_->path = path;
  impl_->width = width;
  impl_->height = height;
  if (width <= 0 || height <= 0) throw MediaError(path, "video size " + std::to_string(width) + "x" + std::to_string(height) + ", expected > 0");
  if (!(fps > 0)) throw MediaError(path, "video fps " + std::to_string(fps) + ", expected > 0");
  const int fourcc = fourcc_for(path);
  try {
    impl_->writer.open(path, cv::CAP_FFMPEG, fourcc, fps, cv::Size(width, height), true);
  } catch (const cv::Exception& e) {
    throw MediaError(path, std::string("cannot open video writer (") + e.err + ")");
  }
  if (!impl_->writer.isOpened()) throw MediaError(path, "cannot open video writer (unwritable path or codec missing)");
}

VideoWriter::~VideoWriter() {
  try {
    close();
  } catch (...) {
  }
}

void VideoWriter::write(const ImageView& frame) {
  if (impl_->closed) throw MediaError(impl_->path, "write after close");
  if (frame.width != impl_->width || frame.height != impl_->height)
    throw MediaError(impl_->path, "frame " + std::to_string(frame.width) + "x" + std::to_string(frame.height) +
                                      ", expected the video's " + std::to_string(impl_->width) + "x" + std::to_string(impl_->height));
  try {
    impl_->writer.write(to_bgr_mat(frame));
  } catch (const cv::Exception& e) {
    throw MediaError(impl_->path, std::string("cannot encode frame (") + e.err + ")");
  }
  ++impl_->frames;
}

void VideoWriter::close() {
  if (impl_->closed) return;
  impl_->closed = true;
  impl_->writer.release();
}

int64_t VideoWriter::frames_written() const { return impl_->frames; }

}  // namespace lightnet
