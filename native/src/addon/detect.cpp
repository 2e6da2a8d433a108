#include "addon/detect.h"

#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "addon/common.h"
#include "addon/raw_image.h"
#include "addon/task.h"
#include "lightnet/input_buffers.h"
#ifdef LIGHTNET_WITH_OPENCV
#include "lightnet/video.h"
#endif

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

// One entry of the image list, ready for the worker.
struct Input {
  enum class Kind { Placed, Copied, Encoded } kind = Kind::Copied;
  lightnet::ImageView placed;    // Placed: already copied into the call's InputBuffers (the engine's buffers)
  OwnedPixels copied;            // Copied: the engine's buffers were taken (or not wanted): the addon's memory
  std::vector<uint8_t> encoded;  // Encoded: decoded on the worker
  std::string what;              // names an encoded image in errors
};

// Everything one detect() call carries from the JS thread to its worker and back.
struct DetectCall {
  std::vector<Input> inputs;
  lightnet::DetectOptions options;
  bool pinned = true, return_decoded = false;
  uint64_t ticket = 0;                               // holds the engine's input buffers when not 0
  std::unique_ptr<lightnet::InputBuffers> buffers;   // made under the engine lock
  std::vector<lightnet::FrameResult> results;
  std::vector<lightnet::ImageView> views;            // per input, what detect() read
  std::vector<OwnedPixels> decoded;                  // per input: an encoded image's size (and pixels if asked)
};

Input ParseEncoded(const Napi::Object& o, const std::string& where) {
  Napi::Env env = o.Env();
  Input in;
  in.kind = Input::Kind::Encoded;
  in.what = where;
  ReadString(o, "what", in.what);
#ifndef LIGHTNET_WITH_OPENCV
  throw Napi::TypeError::New(env, in.what + ": cannot decode, the addon was built without OpenCV");
#endif
  Napi::Value bytes = o.Get("encoded");
  if (!bytes.IsTypedArray() || bytes.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    throw Napi::TypeError::New(env, where + ".encoded: expected a Uint8Array");
  Napi::Uint8Array data = bytes.As<Napi::Uint8Array>();
  if (data.ByteLength() == 0) throw Napi::RangeError::New(env, where + ".encoded: empty, expected JPEG/PNG/… bytes");
  in.encoded.assign(data.Data(), data.Data() + data.ByteLength());  // small next to the decoded frame
  return in;
}

// JS thread: RawImages go into the engine's input buffers when those are wanted and free (one copy, no staging
// later), else into the addon's memory (one copy, the engine stages the upload).
void PlaceRawImages(EngineSlot& slot, DetectCall& call, const std::vector<std::pair<size_t, lightnet::ImageView>>& raw) {
  if (raw.empty()) return;
  if (call.pinned) {
    try {
      call.ticket = slot.TryFillInputs([&](lightnet::Engine& engine) {
        call.buffers = std::make_unique<lightnet::InputBuffers>(engine);
        for (const auto& [i, view] : raw) {
          call.inputs[i].placed = call.buffers->copy(i, view);
          call.inputs[i].kind = Input::Kind::Placed;
        }
      });
    } catch (const std::exception&) {  // e.g. no page-locked memory left: the plain path gives the same results
      call.ticket = 0;
    }
    if (call.ticket == 0) call.buffers.reset();
  }
  for (const auto& [i, view] : raw) {
    if (call.ticket != 0) continue;
    Input& in = call.inputs[i];
    in.kind = Input::Kind::Copied;
    in.copied.width = view.width, in.copied.height = view.height, in.copied.format = view.format;
    in.copied.step = size_t(view.width) * lightnet::channels_of(view.format);
    in.copied.data.resize(in.copied.step * size_t(view.height));
    for (int y = 0; y < view.height; ++y)
      std::memcpy(in.copied.data.data() + y * in.copied.step, view.data + y * view.step, in.copied.step);
  }
}

// Decodes the call's encoded inputs into its InputBuffers, one thread per image beyond the first (a batch of
// cameras then decodes in about one image's time, as when each camera had its own decode task). The threads
// act for the worker that holds the engine lock; their allocations, which may reach the engine, take turns.
// Throws the failure of the first image (in list order) that cannot be decoded, once every thread is done.
void DecodeAll(DetectCall& call, const std::vector<size_t>& encoded) {
#ifdef LIGHTNET_WITH_OPENCV
  std::mutex allocating;
  std::vector<std::exception_ptr> failures(encoded.size());
  auto decode = [&](size_t k) {
    const size_t i = encoded[k];
    const Input& in = call.inputs[i];
    try {
      call.views[i] = lightnet::decode_image_into(in.encoded.data(), in.encoded.size(), in.what, [&](size_t bytes) {
        std::lock_guard<std::mutex> lock(allocating);
        return call.buffers->reserve(i, bytes);
      });
    } catch (...) {
      failures[k] = std::current_exception();
    }
  };
  std::vector<std::thread> helpers;
  size_t inline_from = 1;
  try {
    for (; inline_from < encoded.size(); ++inline_from) helpers.emplace_back(decode, inline_from);
  } catch (const std::system_error&) {  // no thread to be had: the rest decodes here
  }
  decode(0);
  for (size_t k = inline_from; k < encoded.size(); ++k) decode(k);
  for (std::thread& t : helpers) t.join();
  for (const std::exception_ptr& failure : failures)
    if (failure) std::rethrow_exception(failure);
#else
  (void)call;
  (void)encoded;
#endif
}

// Worker, under the engine lock: decodes the encoded inputs (into the engine's buffers when this call holds them
// or can take them), runs detect(), and keeps what the JS side gets back of the decoded frames.
void RunDetect(EngineSlot& slot, lightnet::Engine& engine, DetectCall& call) {
  struct Release {
    EngineSlot& slot;
    uint64_t& ticket;
    ~Release() { slot.ReleaseInputs(ticket); }
  } release{slot, call.ticket};
  const size_t n = call.inputs.size();
  call.views.resize(n);
  call.decoded.resize(n);
  std::vector<size_t> encoded;
  for (size_t i = 0; i < n; ++i) {
    Input& in = call.inputs[i];
    if (in.kind == Input::Kind::Placed) call.views[i] = in.placed;
    if (in.kind == Input::Kind::Copied) call.views[i] = in.copied.view();
    if (in.kind == Input::Kind::Encoded) encoded.push_back(i);
  }
  if (!encoded.empty()) {
    if (!call.buffers) call.buffers = std::make_unique<lightnet::InputBuffers>(engine, call.pinned && slot.TakeInputs(call.ticket));
    DecodeAll(call, encoded);
  }
  call.results = engine.detect(call.views, call.options);
  for (size_t i = 0; i < n; ++i) {
    if (call.inputs[i].kind != Input::Kind::Encoded) continue;
    const lightnet::ImageView& v = call.views[i];
    OwnedPixels& out = call.decoded[i];
    out.width = v.width, out.height = v.height, out.step = v.step, out.format = v.format;
    // Copied now, under the lock: once this Run ends, the next detect may overwrite the engine's buffers.
    if (call.return_decoded) out.data.assign(v.data, v.data + v.step * size_t(v.height));
  }
}

Napi::Object DecodedToJs(Napi::Env env, const OwnedPixels& decoded) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("width", decoded.width);
  o.Set("height", decoded.height);
  if (!decoded.data.empty()) o.Set("image", RawImageToJs(env, decoded.view()));
  return o;
}

}  // namespace

Napi::Value QueueDetect(const Napi::CallbackInfo& info, std::shared_ptr<EngineSlot> slot) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsArray() || !info[1].IsObject())
    throw Napi::TypeError::New(env, "detect(images: (RawImage | EncodedImage)[], options: DetectOptions) expected");
  auto call = std::make_shared<DetectCall>();
  Napi::Object options = info[1].As<Napi::Object>();
  RejectUnknownKeys(options, "detect", {"scoreThreshold", "nmsThreshold", "pinnedInput", "returnDecoded"});
  double score = call->options.score_threshold, nms = call->options.nms_threshold;
  ReadDouble(options, "scoreThreshold", score);
  ReadDouble(options, "nmsThreshold", nms);
  ReadBool(options, "pinnedInput", call->pinned);
  ReadBool(options, "returnDecoded", call->return_decoded);
  call->options.score_threshold = static_cast<float>(score);
  call->options.nms_threshold = static_cast<float>(nms);

  Napi::Array list = info[0].As<Napi::Array>();
  std::vector<std::pair<size_t, JsRawImage>> js;
  for (uint32_t i = 0; i < list.Length(); ++i) {
    const std::string what = "images[" + std::to_string(i) + "]";
    Napi::Value item = list.Get(i);
    if (item.IsObject() && item.As<Napi::Object>().Has("encoded")) {
      call->inputs.push_back(ParseEncoded(item.As<Napi::Object>(), what));
    } else {
      js.emplace_back(i, ReadRawImage(item, what));
      call->inputs.emplace_back();
    }
  }
  // No JS runs from here until the pixels are copied, so these views of JS memory stay valid that long.
  std::vector<std::pair<size_t, lightnet::ImageView>> raw;
  for (const auto& [i, image] : js) raw.emplace_back(i, image.Pixels());
  PlaceRawImages(*slot, *call, raw);
  return QueueTask(
      env, "lightnet.detect",
      [slot, call] { slot->Run([&](lightnet::Engine& e) { RunDetect(*slot, e, *call); }); },
      [call](Napi::Env e) -> Napi::Value {
        Napi::Array out = Napi::Array::New(e, call->results.size());
        for (size_t i = 0; i < call->results.size(); ++i) {
          Napi::Object frame = FrameToJs(e, call->results[i]);
          if (call->inputs[i].kind == Input::Kind::Encoded) frame.Set("decoded", DecodedToJs(e, call->decoded[i]));
          out.Set(uint32_t(i), frame);
        }
        return out;
      });
}

}  // namespace lightnet_addon
