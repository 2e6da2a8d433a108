#include "addon/detect.h"

#include <cstring>
#include <string>
#include <vector>

#include "addon/common.h"
#include "addon/raw_image.h"

namespace lightnet_addon {
namespace {

struct DetectBaton {
  std::shared_ptr<EngineSlot> slot;
  std::vector<OwnedPixels> images;
  lightnet::DetectOptions options;
  std::vector<lightnet::FrameResult> results;
  Failure failure;
};

Napi::Object FrameToJs(Napi::Env env, const lightnet::FrameResult& frame) {
  Napi::Array detections = Napi::Array::New(env, frame.detections.size());
  for (size_t i = 0; i < frame.detections.size(); ++i) {
    const lightnet::Detection& d = frame.detections[i];
    Napi::Object o = Napi::Object::New(env);
    o.Set("classId", d.class_id);
    o.Set("score", d.score);
    o.Set("x", d.x);
    o.Set("y", d.y);
    o.Set("width", d.width);
    o.Set("height", d.height);
    detections.Set(uint32_t(i), o);
  }
  Napi::Array masks = Napi::Array::New(env, frame.masks.size());
  for (size_t i = 0; i < frame.masks.size(); ++i) {
    const lightnet::SegmentationMask& m = frame.masks[i];
    Napi::Uint8Array ids = Napi::Uint8Array::New(env, m.class_ids.size());
    std::memcpy(ids.Data(), m.class_ids.data(), m.class_ids.size());
    Napi::Object o = Napi::Object::New(env);
    o.Set("headLayer", m.head_layer);
    o.Set("width", m.width);
    o.Set("height", m.height);
    o.Set("classIds", ids);
    masks.Set(uint32_t(i), o);
  }
  Napi::Object timing = Napi::Object::New(env);
  timing.Set("preprocessMs", frame.timing.preprocess_ms);
  timing.Set("inferenceMs", frame.timing.inference_ms);
  timing.Set("postprocessMs", frame.timing.postprocess_ms);
  Napi::Object out = Napi::Object::New(env);
  out.Set("detections", detections);
  out.Set("masks", masks);
  out.Set("timing", timing);
  return out;
}

class DetectWorker : public Napi::AsyncWorker {
 public:
  DetectWorker(Napi::Env env, DetectBaton* baton)
      : Napi::AsyncWorker(env, "lightnet.detect"), baton_(baton), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() const { return deferred_.Promise(); }

  void Execute() override {
    try {
      std::vector<lightnet::ImageView> views;
      views.reserve(baton_->images.size());
      for (const auto& image : baton_->images) views.push_back(image.view());
      baton_->results = baton_->slot->Run([&](lightnet::Engine& e) { return e.detect(views, baton_->options); });
    } catch (...) {
      baton_->failure = CaptureCurrentException();
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (baton_->failure) return deferred_.Reject(ToJsError(env, baton_->failure).Value());
    Napi::Array out = Napi::Array::New(env, baton_->results.size());
    for (size_t i = 0; i < baton_->results.size(); ++i) out.Set(uint32_t(i), FrameToJs(env, baton_->results[i]));
    deferred_.Resolve(out);
  }

 private:
  std::unique_ptr<DetectBaton> baton_;
  Napi::Promise::Deferred deferred_;
};

}  // namespace

Napi::Value QueueDetect(const Napi::CallbackInfo& info, std::shared_ptr<EngineSlot> slot) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsArray() || !info[1].IsObject())
    throw Napi::TypeError::New(env, "detect(images: RawImage[], options: DetectOptions) expected");
  auto baton = std::make_unique<DetectBaton>();
  baton->slot = std::move(slot);
  Napi::Array images = info[0].As<Napi::Array>();
  for (uint32_t i = 0; i < images.Length(); ++i)
    baton->images.push_back(CopyRawImage(images.Get(i), "images[" + std::to_string(i) + "]"));
  Napi::Object options = info[1].As<Napi::Object>();
  RejectUnknownKeys(options, "detect", {"scoreThreshold", "nmsThreshold"});
  double score = baton->options.score_threshold, nms = baton->options.nms_threshold;
  ReadDouble(options, "scoreThreshold", score);
  ReadDouble(options, "nmsThreshold", nms);
  baton->options.score_threshold = static_cast<float>(score);
  baton->options.nms_threshold = static_cast<float>(nms);
  auto* worker = new DetectWorker(env, baton.release());
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace lightnet_addon
