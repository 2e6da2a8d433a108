#include "addon/detect.h"

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "addon/common.h"
#include "addon/raw_image.h"
#include "addon/task.h"

namespace lightnet_addon {
namespace {

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

}  // namespace

Napi::Value QueueDetect(const Napi::CallbackInfo& info, std::shared_ptr<EngineSlot> slot) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsArray() || !info[1].IsObject())
    throw Napi::TypeError::New(env, "detect(images: RawImage[], options: DetectOptions) expected");
  auto images = std::make_shared<std::vector<OwnedPixels>>();
  Napi::Array list = info[0].As<Napi::Array>();
  for (uint32_t i = 0; i < list.Length(); ++i) images->push_back(CopyRawImage(list.Get(i), "images[" + std::to_string(i) + "]"));
  Napi::Object options = info[1].As<Napi::Object>();
  RejectUnknownKeys(options, "detect", {"scoreThreshold", "nmsThreshold"});
  lightnet::DetectOptions detect_options;
  double score = detect_options.score_threshold, nms = detect_options.nms_threshold;
  ReadDouble(options, "scoreThreshold", score);
  ReadDouble(options, "nmsThreshold", nms);
  detect_options.score_threshold = static_cast<float>(score);
  detect_options.nms_threshold = static_cast<float>(nms);
  auto results = std::make_shared<std::vector<lightnet::FrameResult>>();
  return QueueTask(
      env, "lightnet.detect",
      [slot, images, detect_options, results] {
        std::vector<lightnet::ImageView> views;
        views.reserve(images->size());
        for (const auto& image : *images) views.push_back(image.view());
        *results = slot->Run([&](lightnet::Engine& e) { return e.detect(views, detect_options); });
      },
      [results](Napi::Env e) -> Napi::Value {
        Napi::Array out = Napi::Array::New(e, results->size());
        for (size_t i = 0; i < results->size(); ++i) out.Set(uint32_t(i), FrameToJs(e, (*results)[i]));
        return out;
      });
}

}  // namespace lightnet_addon
