// Encoded images held in memory (CompressedImage payloads, PNG/JPEG bytes) through OpenCV's imgcodecs.
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "image/cv_mat.h"
#include "lightnet/video.h"

namespace lightnet {

OwnedImage decode_image(const uint8_t* data, size_t size, const std::string& what) {
  if (size == 0) throw MediaError(what, "empty image data");
  cv::Mat mat;
  try {
    const cv::Mat bytes(1, int(size), CV_8UC1, const_cast<uint8_t*>(data));
    mat = cv::imdecode(bytes, cv::IMREAD_COLOR);
  } catch (const cv::Exception& e) {
    throw MediaError(what, std::string("cannot decode image (") + e.err + ")");
  }
  if (mat.empty()) throw MediaError(what, "cannot decode image (" + std::to_string(size) + " bytes, not a JPEG/PNG/… OpenCV reads)");
  return to_owned_bgr(mat);
}

namespace {

// Hands the first allocation of a cv::Mat (the decoder's destination) to a FrameAllocator, so the decoder writes
// into the caller's memory; any later one (e.g. EXIF rotation's transposed copy) gets ordinary heap memory,
// never the same caller memory twice. The caller's memory is only borrowed: deallocate leaves it alone.
class BorrowingAllocator : public cv::MatAllocator {
 public:
  explicit BorrowingAllocator(const FrameAllocator& allocate) : allocate_(allocate) {}
  uint8_t* borrowed() const { return borrowed_; }

  cv::UMatData* allocate(int dims, const int* sizes, int type, void* data, size_t* step, cv::AccessFlag flags,
                         cv::UMatUsageFlags usage) const override {
    if (data || borrowed_) return cv::Mat::getStdAllocator()->allocate(dims, sizes, type, data, step, flags, usage);
    size_t total = CV_ELEM_SIZE(type);
    for (int i = dims - 1; i >= 0; --i) {
      if (step) step[i] = total;
      total *= size_t(sizes[i]);
    }
    borrowed_ = allocate_(total);
    auto* u = new cv::UMatData(this);
    u->data = u->origdata = borrowed_;
    u->size = total;
    return u;
  }
  bool allocate(cv::UMatData* u, cv::AccessFlag, cv::UMatUsageFlags) const override { return u != nullptr; }
  void deallocate(cv::UMatData* u) const override { delete u; }

 private:
  const FrameAllocator& allocate_;
  mutable uint8_t* borrowed_ = nullptr;
};

}  // namespace

ImageView decode_image_into(const uint8_t* data, size_t size, const std::string& what, const FrameAllocator& allocate) {
  if (size == 0) throw MediaError(what, "empty image data");
  BorrowingAllocator borrowing(allocate);  // declared before the Mats: outlives every Mat that uses it
  cv::Mat mat;
  mat.allocator = &borrowing;
  try {
    const cv::Mat bytes(1, int(size), CV_8UC1, const_cast<uint8_t*>(data));
    cv::imdecode(bytes, cv::IMREAD_COLOR, &mat);  // allocates `mat` through `borrowing` once the header is read
  } catch (const cv::Exception& e) {
    throw MediaError(what, std::string("cannot decode image (") + e.err + ")");
  }
  if (mat.empty()) throw MediaError(what, "cannot decode image (" + std::to_string(size) + " bytes, not a JPEG/PNG/… OpenCV reads)");
  if (mat.type() != CV_8UC3) throw MediaError(what, "decoded OpenCV type " + std::to_string(mat.type()) + ", expected CV_8UC3");
  const size_t row = size_t(mat.cols) * 3;
  uint8_t* target = mat.data;
  if (target != borrowing.borrowed() || !mat.isContinuous()) {  // the decoder's result moved (EXIF rotation)
    target = allocate(row * size_t(mat.rows));
    cv::Mat packed(mat.rows, mat.cols, CV_8UC3, target);
    mat.copyTo(packed);  // same size and type: copies into `packed`'s memory
  }
  return ImageView{target, mat.cols, mat.rows, row, PixelFormat::BGR8};
}

std::vector<uint8_t> encode_image(const ImageView& image, const std::string& extension) {
  const cv::Mat mat = to_codec_mat(image);
  std::vector<uint8_t> out;
  bool ok = false;
  try {
    ok = cv::imencode(extension, mat, out);
  } catch (const cv::Exception& e) {
    throw MediaError(extension, std::string("cannot encode image (") + e.err + ")");
  }
  if (!ok) throw MediaError(extension, "cannot encode image (unsupported extension)");
  return out;
}

}  // namespace lightnet
