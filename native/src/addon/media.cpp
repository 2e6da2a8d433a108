// Built only with OpenCV (lib lightnet_media); addon.cpp registers these functions under the same condition.
#include "addon/media.h"
#ifdef LIGHTNET_WITH_OPENCV

#include <memory>
#include <string>

#include "addon/common.h"
#include "addon/raw_image.h"
#include "lightnet/media.h"

namespace lightnet_addon {
namespace {

struct MediaBaton {
  std::string path;
  lightnet::OwnedImage decoded;  // readImage's result
  OwnedPixels pixels;            // writeImage's input
  Failure failure;
};

class MediaWorker : public Napi::AsyncWorker {
 public:
  enum class Op { Read, Write };
  MediaWorker(Napi::Env env, Op op, MediaBaton* baton)
      : Napi::AsyncWorker(env, "lightnet.media"), op_(op), baton_(baton), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise Promise() const { return deferred_.Promise(); }

  void Execute() override {
    try {
      if (op_ == Op::Read) baton_->decoded = lightnet::read_image(baton_->path);
      else lightnet::write_image(baton_->path, baton_->pixels.view());
    } catch (...) {
      baton_->failure = CaptureCurrentException();
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (baton_->failure) return deferred_.Reject(ToJsError(env, baton_->failure).Value());
    if (op_ == Op::Read) deferred_.Resolve(RawImageToJs(env, baton_->decoded.view()));
    else deferred_.Resolve(env.Undefined());
  }

 private:
  Op op_;
  std::unique_ptr<MediaBaton> baton_;
  Napi::Promise::Deferred deferred_;
};

std::string PathArgument(const Napi::CallbackInfo& info, const char* fn) {
  if (info.Length() < 1 || !info[0].IsString())
    throw Napi::TypeError::New(info.Env(), std::string(fn) + ": path (a string) expected");
  return info[0].As<Napi::String>().Utf8Value();
}

Napi::Value Queue(Napi::Env env, MediaWorker::Op op, std::unique_ptr<MediaBaton> baton) {
  auto* worker = new MediaWorker(env, op, baton.release());
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace

Napi::Value ReadImage(const Napi::CallbackInfo& info) {
  auto baton = std::make_unique<MediaBaton>();
  baton->path = PathArgument(info, "readImage");
  return Queue(info.Env(), MediaWorker::Op::Read, std::move(baton));
}

Napi::Value WriteImage(const Napi::CallbackInfo& info) {
  auto baton = std::make_unique<MediaBaton>();
  baton->path = PathArgument(info, "writeImage");
  if (info.Length() < 2) throw Napi::TypeError::New(info.Env(), "writeImage(path, image) expected");
  baton->pixels = CopyRawImage(info[1], "image");
  return Queue(info.Env(), MediaWorker::Op::Write, std::move(baton));
}

}  // namespace lightnet_addon
#endif  // LIGHTNET_WITH_OPENCV
