// The CUDA backend's post-processing kernels against the host's (lightnet::decode_yolo, lightnet::nms):
// launch_nms keeps exactly what lightnet::nms keeps from the kNmsTopK best candidates (ties in score included),
// launch_yolo_decode counts every candidate and stores each once. Skips, saying why, without a GPU.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "lightnet/network.h"
#include "lightnet/postprocess.h"

#ifdef LIGHTNET_WITH_CUDA
#include <cuda_runtime.h>

#include "cuda/cuda_engine.h"
#include "cuda/kernels.h"
#endif

namespace lightnet {
namespace {

#ifndef LIGHTNET_WITH_CUDA
TEST(CudaPostprocess, Builds) { GTEST_SKIP() << "built without the CUDA backend (needs nvcc and cuDNN at configure time)"; }
#else

#define REQUIRE_GPU()                                                                               \
  do {                                                                                              \
    if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA GPU visible (cuda_device_count() == 0)"; \
  } while (0)

using cuda::GpuDetection;
using cuda::kMaxCandidates;
using cuda::kNmsTopK;

// Device memory for one test, freed at scope exit; get() is null when cudaMalloc failed.
template <class T>
class DeviceArray {
 public:
  explicit DeviceArray(size_t n) {
    if (cudaMalloc(&p_, sizeof(T) * std::max<size_t>(n, 1)) != cudaSuccess) p_ = nullptr;
  }
  ~DeviceArray() { cudaFree(p_); }
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;
  T* get() const { return p_; }

 private:
  T* p_ = nullptr;
};

Detection to_detection(const GpuDetection& g) { return {g.class_id, g.score, g.x, g.y, g.width, g.height}; }

// launch_nms's contract: of the first min(count, capacity) candidates, the kNmsTopK best by descending score
// (equal scores: the lower index first, as std::stable_sort keeps them) through lightnet::nms.
std::vector<Detection> reference_nms(const std::vector<GpuDetection>& cands, int count, int capacity, float thr) {
  std::vector<Detection> top;
  for (int i = 0; i < std::min(count, capacity); ++i) top.push_back(to_detection(cands[i]));
  std::stable_sort(top.begin(), top.end(), [](const Detection& a, const Detection& b) { return a.score > b.score; });
  if (top.size() > size_t(kNmsTopK)) top.resize(kNmsTopK);
  return nms(top, thr);
}

// One launch over a batch: image b's candidates fill its `capacity` slots (the rest of the slots, past the
// vector, stay garbage), counts[b] of them claimed. Returns the kept boxes per image.
std::vector<std::vector<GpuDetection>> run_nms(const std::vector<std::vector<GpuDetection>>& images,
                                               const std::vector<int>& counts, int capacity, float thr) {
  const int batch = int(images.size());
  DeviceArray<GpuDetection> d_cands(size_t(batch) * capacity), d_kept(size_t(batch) * kNmsTopK);
  DeviceArray<int> d_counts(batch), d_kept_counts(batch);
  DeviceArray<char> d_workspace(cuda::nms_workspace_bytes(batch));
  std::vector<std::vector<GpuDetection>> kept(batch);
  if (!d_cands.get() || !d_kept.get() || !d_counts.get() || !d_kept_counts.get() || !d_workspace.get()) {
    ADD_FAILURE() << "cudaMalloc failed";
    return kept;
  }
  // Garbage everywhere the kernels must not read: unused slots, the scratch (0xff bits in an unwritten mask
  // word would suppress boxes) and the outputs.
  EXPECT_EQ(cudaMemset(d_cands.get(), 0x7f, sizeof(GpuDetection) * batch * capacity), cudaSuccess);
  EXPECT_EQ(cudaMemset(d_workspace.get(), 0xff, cuda::nms_workspace_bytes(batch)), cudaSuccess);
  EXPECT_EQ(cudaMemset(d_kept.get(), 0xff, sizeof(GpuDetection) * batch * kNmsTopK), cudaSuccess);
  for (int b = 0; b < batch; ++b)
    EXPECT_EQ(cudaMemcpy(d_cands.get() + size_t(b) * capacity, images[b].data(),
                         sizeof(GpuDetection) * std::min<size_t>(images[b].size(), capacity), cudaMemcpyHostToDevice),
              cudaSuccess);
  EXPECT_EQ(cudaMemcpy(d_counts.get(), counts.data(), sizeof(int) * batch, cudaMemcpyHostToDevice), cudaSuccess);
  cuda::launch_nms(d_cands.get(), d_counts.get(), capacity, batch, thr, d_workspace.get(), d_kept.get(),
                   d_kept_counts.get(), nullptr);
  EXPECT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  std::vector<int> kept_counts(batch, -1);
  EXPECT_EQ(cudaMemcpy(kept_counts.data(), d_kept_counts.get(), sizeof(int) * batch, cudaMemcpyDeviceToHost),
            cudaSuccess);
  for (int b = 0; b < batch; ++b) {
    if (kept_counts[b] < 0 || kept_counts[b] > kNmsTopK) {
      ADD_FAILURE() << "image " << b << ": kept count " << kept_counts[b] << ", expected 0.." << kNmsTopK;
      continue;
    }
    kept[b].resize(kept_counts[b]);
    EXPECT_EQ(cudaMemcpy(kept[b].data(), d_kept.get() + size_t(b) * kNmsTopK, sizeof(GpuDetection) * kept_counts[b],
                         cudaMemcpyDeviceToHost),
              cudaSuccess);
  }
  return kept;
}

void expect_same_boxes(const std::vector<GpuDetection>& got, const std::vector<Detection>& want,
                       const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what << ": kept boxes";
  int shown = 0;
  for (size_t k = 0; k < got.size() && shown < 5; ++k) {
    const GpuDetection& g = got[k];
    const Detection& e = want[k];
    const bool same = g.class_id == e.class_id && g.score == e.score && g.x == e.x && g.y == e.y &&
                      g.width == e.width && g.height == e.height;
    if (!same) {
      ++shown;
      ADD_FAILURE() << what << ", kept box " << k << ": got class " << g.class_id << " score " << g.score << " at "
                    << g.x << "," << g.y << " " << g.width << "x" << g.height << ", expected class " << e.class_id
                    << " score " << e.score << " at " << e.x << "," << e.y << " " << e.width << "x" << e.height;
    }
  }
}

enum class Boxes {
  Grid,   // integer corners in a 40×40 square, 1..8 wide: heavy overlap, IoUs are ratios of small integers
  Float,  // arbitrary floats: the GPU's IoU must round exactly as the host's
};

// n candidates of 4 classes. score_levels = 0: scores uniform in [0.25, 1); otherwise that many distinct
// values, so that many scores tie (also where the best kNmsTopK are cut off).
std::vector<GpuDetection> random_candidates(int n, Boxes boxes, int score_levels, std::mt19937& rng) {
  std::uniform_real_distribution<float> unit(0.f, 1.f);
  std::vector<GpuDetection> out(n);
  for (GpuDetection& c : out) {
    c.class_id = int(rng() % 4);
    c.score = score_levels == 0 ? 0.25f + 0.75f * unit(rng)
                                : 0.25f + 0.75f * float(rng() % score_levels) / float(score_levels);
    if (boxes == Boxes::Grid) {
      c.x = float(rng() % 40), c.y = float(rng() % 40);
      c.width = float(1 + rng() % 8), c.height = float(1 + rng() % 8);
    } else {
      c.x = 200.f * unit(rng), c.y = 150.f * unit(rng);
      c.width = 2.f + 40.f * unit(rng), c.height = 2.f + 40.f * unit(rng);
    }
  }
  return out;
}

TEST(CudaPostprocess, NmsMatchesHostNmsOnTheBestCandidates) {
  REQUIRE_GPU();
  std::mt19937 rng(41);
  for (Boxes boxes : {Boxes::Grid, Boxes::Float})
    for (int levels : {0, 64})
      for (int n : {0, 1, 37, 1000, 1024, 1025, 3000, 40000}) {
        // Above kMaxCandidates the decode stored only the first kMaxCandidates it found but counted them all.
        const int capacity = n > kMaxCandidates ? kMaxCandidates : n + 7;
        auto cands = random_candidates(std::min(n, capacity), boxes, levels, rng);
        for (float thr : {0.45f, 0.5f}) {
          const std::string what = std::string(boxes == Boxes::Grid ? "grid" : "float") + " boxes, " +
                                   (levels ? "tied" : "distinct") + " scores, " + std::to_string(n) +
                                   " candidates, IoU threshold " + std::to_string(thr);
          const auto got = run_nms({cands}, {n}, capacity, thr);
          const auto want = reference_nms(cands, n, capacity, thr);
          if (n > 0) {
            EXPECT_GT(want.size(), 0u) << what;
          }
          expect_same_boxes(got[0], want, what);
        }
      }
}

TEST(CudaPostprocess, NmsTakesTiedScoresAtTheCutByIndex) {
  REQUIRE_GPU();
  std::mt19937 rng(7);
  // Every score equal: the first kNmsTopK candidates are the best.
  auto same = random_candidates(2000, Boxes::Float, 1, rng);
  // Eight scores, about 625 candidates each: the cut falls inside the second best group, of which the lowest
  // indices are taken.
  auto eight = random_candidates(5000, Boxes::Grid, 8, rng);
  for (const auto* cands : {&same, &eight}) {
    const int n = int(cands->size());
    const auto got = run_nms({*cands}, {n}, n, 0.45f);
    expect_same_boxes(got[0], reference_nms(*cands, n, n, 0.45f), std::to_string(n) + " candidates");
  }
}

TEST(CudaPostprocess, NmsBatchKeepsImagesApart) {
  REQUIRE_GPU();
  std::mt19937 rng(3);
  const std::vector<int> counts = {3000, 0, 40000, 37};
  std::vector<std::vector<GpuDetection>> images;
  for (size_t b = 0; b < counts.size(); ++b)
    images.push_back(random_candidates(std::min(counts[b], kMaxCandidates), b % 2 ? Boxes::Grid : Boxes::Float,
                                       b == 2 ? 64 : 0, rng));
  const auto got = run_nms(images, counts, kMaxCandidates, 0.45f);
  ASSERT_EQ(got.size(), counts.size());
  for (size_t b = 0; b < counts.size(); ++b)
    expect_same_boxes(got[b], reference_nms(images[b], counts[b], kMaxCandidates, 0.45f), "image " + std::to_string(b));
}

TEST(CudaPostprocess, NmsRejectsACapacityAboveTheLimit) {
  // Checked on the host before any launch: no GPU needed.
  EXPECT_THROW(cuda::launch_nms(nullptr, nullptr, kMaxCandidates + 1, 1, 0.45f, nullptr, nullptr, nullptr, nullptr),
               std::invalid_argument);
}

// A [yolo] head of 2 images with random logits, in NHWC with padded pixels. Every (anchor, cell, class) whose
// score clears the threshold must be counted, and stored once where it fits. No score lies within 1e-3 of the
// threshold, so the GPU's fast exp cannot tip one across it.
TEST(CudaPostprocess, DecodeCountsEveryCandidateAndStoresEachOnce) {
  REQUIRE_GPU();
  const int classes = 7, anchors = 3, h = 6, w = 10, batch = 2, per_anchor = 5 + classes, c = anchors * per_anchor;
  const int pixel_stride = c + 4;  // a channel slice of a wider buffer
  const float thr = 0.2f;
  Network net;
  net.input = {3, 192, 320};
  YoloParams yp;
  yp.mask = {0, 1, 2};
  yp.anchors = {10, 14, 23, 27, 37, 58};
  yp.classes = classes;
  yp.num = 3;
  yp.scale_x_y = 1.05f;
  Layer yolo;
  yolo.type = LayerType::Yolo;
  yolo.params = yp;
  yolo.input_shapes = {Shape{c, h, w}};
  const int sizes[batch][2] = {{640, 480}, {333, 201}};

  std::mt19937 rng(11);
  std::normal_distribution<float> logit(0.f, 1.5f);
  auto sigmoid = [](double x) { return 1.0 / (1.0 + std::exp(-x)); };
  const size_t plane = size_t(h) * w;
  std::vector<std::vector<float>> chw(batch, std::vector<float>(c * plane));
  for (auto& img : chw)
    for (int a = 0; a < anchors; ++a)
      for (size_t p = 0; p < plane; ++p) {
        float* t = img.data() + a * per_anchor * plane + p;
        for (int k = 0; k < 4; ++k) t[k * plane] = logit(rng);
        double obj;
        do t[4 * plane] = logit(rng), obj = sigmoid(t[4 * plane]);
        while (std::fabs(obj - thr) < 1e-3);
        for (int k = 0; k < classes; ++k) {
          float& v = t[(5 + k) * plane];
          do v = logit(rng);
          while (std::fabs(obj * sigmoid(v) - thr) < 1e-3);
        }
      }
  std::vector<float> nhwc(size_t(batch) * plane * pixel_stride, 0.f);
  for (int b = 0; b < batch; ++b)
    for (size_t p = 0; p < plane; ++p)
      for (int ch = 0; ch < c; ++ch) nhwc[(b * plane + p) * pixel_stride + ch] = chw[b][ch * plane + p];
  std::vector<std::vector<Detection>> want(batch);
  for (int b = 0; b < batch; ++b) decode_yolo(net, yolo, chw[b].data(), sizes[b][0], sizes[b][1], thr, want[b]);

  cuda::YoloDecodeParams p;
  p.classes = classes;
  p.anchors = anchors;
  for (int a = 0; a < anchors; ++a) p.anchor_wh[2 * a] = yp.anchors[2 * a], p.anchor_wh[2 * a + 1] = yp.anchors[2 * a + 1];
  p.scale_x_y = yp.scale_x_y;
  p.net_w = net.input.w;
  p.net_h = net.input.h;
  DeviceArray<float> d_head(nhwc.size());
  DeviceArray<int2> d_sizes(batch);
  DeviceArray<int> d_counts(batch);
  ASSERT_TRUE(d_head.get() && d_sizes.get() && d_counts.get());
  ASSERT_EQ(cudaMemcpy(d_head.get(), nhwc.data(), sizeof(float) * nhwc.size(), cudaMemcpyHostToDevice), cudaSuccess);
  const int2 host_sizes[batch] = {make_int2(sizes[0][0], sizes[0][1]), make_int2(sizes[1][0], sizes[1][1])};
  ASSERT_EQ(cudaMemcpy(d_sizes.get(), host_sizes, sizeof(host_sizes), cudaMemcpyHostToDevice), cudaSuccess);
  cuda::View head;
  head.data = d_head.get();
  head.n = batch, head.h = h, head.w = w, head.c = c;
  head.pixel_stride = pixel_stride;
  head.batch_stride = int64_t(plane) * pixel_stride;

  const int total = int(std::max(want[0].size(), want[1].size()));
  ASSERT_GT(total, 200) << "the random head should give a few hundred candidates per image";
  for (int capacity : {total + 16, 100}) {  // room for all, then overflow
    SCOPED_TRACE("capacity " + std::to_string(capacity));
    DeviceArray<GpuDetection> d_out(size_t(batch) * capacity);
    ASSERT_TRUE(d_out.get());
    ASSERT_EQ(cudaMemset(d_counts.get(), 0, sizeof(int) * batch), cudaSuccess);
    cuda::launch_yolo_decode(head, p, d_sizes.get(), thr, d_out.get(), d_counts.get(), capacity, cuda::DType::F32,
                             nullptr);
    ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
    int counts[batch];
    ASSERT_EQ(cudaMemcpy(counts, d_counts.get(), sizeof(counts), cudaMemcpyDeviceToHost), cudaSuccess);
    std::vector<GpuDetection> out(size_t(batch) * capacity);
    ASSERT_EQ(cudaMemcpy(out.data(), d_out.get(), sizeof(GpuDetection) * out.size(), cudaMemcpyDeviceToHost),
              cudaSuccess);
    for (int b = 0; b < batch; ++b) {
      EXPECT_EQ(counts[b], int(want[b].size())) << "image " << b << ": every candidate counted";
      // Each stored slot is a distinct host candidate (same class, score and box up to the fast exp).
      const int stored = std::min(counts[b], capacity);
      std::vector<bool> used(want[b].size(), false);
      for (int s = 0; s < stored; ++s) {
        const GpuDetection& g = out[size_t(b) * capacity + s];
        bool found = false;
        for (size_t k = 0; k < want[b].size() && !found; ++k) {
          const Detection& e = want[b][k];
          if (used[k] || e.class_id != g.class_id || std::fabs(e.score - g.score) > 1e-5f) continue;
          const float tol = 1e-4f * (1.f + std::fabs(e.x) + std::fabs(e.width) + std::fabs(e.y) + std::fabs(e.height));
          if (std::fabs(e.x - g.x) < tol && std::fabs(e.y - g.y) < tol && std::fabs(e.width - g.width) < tol &&
              std::fabs(e.height - g.height) < tol)
            used[k] = found = true;
        }
        EXPECT_TRUE(found) << "image " << b << ", slot " << s << ": class " << g.class_id << " score " << g.score
                           << " at " << g.x << "," << g.y << " " << g.width << "x" << g.height
                           << " is no host candidate (or a second copy of one)";
      }
    }
  }
}

#endif  // LIGHTNET_WITH_CUDA

}  // namespace
}  // namespace lightnet
