// Video files, cameras and in-memory image codecs (OpenCV videoio / imgcodecs; lib `lightnet_media`),
// for offline runs: `infer --input clip.mp4`, camera indices, CompressedImage messages from bags, and
// annotated video out. Errors are MediaError (media.h), naming the file or camera.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "lightnet/media.h"

namespace lightnet {

struct VideoInfo {
  int width = 0, height = 0;
  double fps = 0;            // 0 when the container does not say
  int64_t frame_count = -1;  // -1 when unknown (cameras, some streams)
};

// Frames of a video file or a camera, decoded to bgr8. Not thread-safe: one read at a time.
class VideoReader {
 public:
  // Anything OpenCV's FFmpeg backend opens. Throws MediaError if it cannot be opened or has no frame size.
  static std::unique_ptr<VideoReader> open_file(const std::string& path);
  // A camera by index (V4L2 on Linux); a requested capture size (0 = the camera's default) is asked for,
  // and info() reports what the camera actually delivers.
  static std::unique_ptr<VideoReader> open_camera(int index, int width = 0, int height = 0);
  ~VideoReader();
  VideoReader(const VideoReader&) = delete;
  VideoReader& operator=(const VideoReader&) = delete;

  const VideoInfo& info() const;
  const std::string& name() const;
  // Decodes the next frame into `out`; false at the end of the stream. `position_ms` is the frame's
  // presentation time in the stream (for files) or the host time of capture in ms (for cameras).
  bool read(OwnedImage& out, double& position_ms);

 private:
  struct Impl;
  explicit VideoReader(std::unique_ptr<Impl> impl);
  // Reads the stream's properties; throws MediaError if it did not open.
  static std::unique_ptr<VideoReader> finish_open(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Encodes frames of one fixed size into a video file; the codec follows the extension (.mp4/.mov/.m4v:
// MPEG-4 part 2, .avi/.mkv: Motion-JPEG). Frames in other formats than bgr8 are converted.
class VideoWriter {
 public:
  VideoWriter(const std::string& path, int width, int height, double fps);
  ~VideoWriter();
  VideoWriter(const VideoWriter&) = delete;
  VideoWriter& operator=(const VideoWriter&) = delete;

  // Throws MediaError when the frame's size differs from the writer's.
  void write(const ImageView& frame);
  // Finishes the file (also done by the destructor); further writes throw.
  void close();
  int64_t frames_written() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Decodes an encoded image held in memory (JPEG, PNG, …) to bgr8; `what` names it in errors
// ("/camera/image/compressed @ 1700000000.123").
OwnedImage decode_image(const uint8_t* data, size_t size, const std::string& what);

// Memory for a decoded frame: at least `bytes` bytes, never null; e.g. InputBuffers::reserve for one batch slot
// (lightnet/input_buffers.h), so that a frame is decoded straight into the engine's input buffer.
using FrameAllocator = std::function<uint8_t*(size_t bytes)>;

// decode_image into memory from `allocate`: the same bgr8 pixels, packed rows, byte for byte. The decoder writes
// straight into that memory (one allocate call, once the header gave the size); only when OpenCV moves the
// result (a JPEG that EXIF rotates) is the frame copied there from a second allocate call. The view points into
// the allocated memory.
ImageView decode_image_into(const uint8_t* data, size_t size, const std::string& what, const FrameAllocator& allocate);

// Encodes `image` as `extension` (".png", ".jpg", …) in memory.
std::vector<uint8_t> encode_image(const ImageView& image, const std::string& extension);

}  // namespace lightnet
