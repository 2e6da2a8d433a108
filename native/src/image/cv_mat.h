// cv::Mat <-> lightnet images, shared by image files, the in-memory codec and video (lib lightnet_media).
#pragma once

#include <opencv2/core.hpp>

#include "lightnet/media.h"

namespace lightnet {

// A cv::Mat in the channel order imwrite/imencode expect (BGR, BGRA or gray): a header over the caller's
// pixels (no copy) unless RGB(A) must be swapped. Validates the view.
cv::Mat to_codec_mat(const ImageView& image);

// A bgr8 cv::Mat (what a VideoWriter takes): a header over bgr8 pixels, else a converted copy.
cv::Mat to_bgr_mat(const ImageView& image);

// A decoded or captured cv::Mat (gray, BGR or BGRA, 8-bit) -> a packed bgr8 image.
OwnedImage to_owned_bgr(const cv::Mat& mat);

}  // namespace lightnet
