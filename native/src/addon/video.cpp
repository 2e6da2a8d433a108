#include "addon/video.h"
#ifdef LIGHTNET_WITH_OPENCV

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "addon/common.h"
#include "addon/raw_image.h"
#include "addon/task.h"
#include "lightnet/video.h"

namespace lightnet_addon {
namespace {

Napi::Value Queue(Napi::Env env, Napi::Object keep, TaskWork work, TaskDone done, std::function<void()> always = {}) {
  return QueueTask(env, "lightnet.video", std::move(work), std::move(done), keep, std::move(always));
}

class VideoReaderWrap : public Napi::ObjectWrap<VideoReaderWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "VideoReader", {InstanceMethod<&VideoReaderWrap::Info>("info"),
                                            InstanceMethod<&VideoReaderWrap::Read>("read"),
                                            InstanceMethod<&VideoReaderWrap::Close>("close")});
  }

  explicit VideoReaderWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<VideoReaderWrap>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 1 || !(info[0].IsString() || info[0].IsNumber()))
      throw Napi::TypeError::New(env, "VideoReader(source): a file path or a camera index expected");
    int width = 0, height = 0;  // optional {width, height}: requested camera capture size
    if (info.Length() > 1 && info[1].IsObject()) {
      ReadInt(info[1].As<Napi::Object>(), "width", width);
      ReadInt(info[1].As<Napi::Object>(), "height", height);
    }
    reader_ = Guard(env, [&] {
      return info[0].IsString() ? lightnet::VideoReader::open_file(info[0].As<Napi::String>().Utf8Value())
                                : lightnet::VideoReader::open_camera(info[0].As<Napi::Number>().Int32Value(), width, height);
    });
  }

 private:
  Napi::Value Info(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Napi::Object o = Napi::Object::New(env);
    if (!reader_) throw Napi::Error::New(env, "VideoReader: closed");
    const auto& v = reader_->info();
    o.Set("name", reader_->name());
    o.Set("width", v.width);
    o.Set("height", v.height);
    o.Set("fps", v.fps);
    o.Set("frameCount", static_cast<double>(v.frame_count));
    return o;
  }

  Napi::Value Read(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!reader_) throw Napi::Error::New(env, "VideoReader: closed");
    if (busy_) throw Napi::Error::New(env, "VideoReader.read: the previous read has not finished");
    busy_ = true;
    struct Out {
      lightnet::OwnedImage image;
      double position_ms = 0;
      bool got = false;
    };
    auto out = std::make_shared<Out>();
    lightnet::VideoReader* reader = reader_.get();
    return Queue(
        env, Value(), [reader, out] { out->got = reader->read(out->image, out->position_ms); },
        [out](Napi::Env e) -> Napi::Value {
          if (!out->got) return e.Null();
          Napi::Object o = Napi::Object::New(e);
          o.Set("image", RawImageToJs(e, out->image.view()));
          o.Set("positionMs", out->position_ms);
          return o;
        },
        [this] { busy_ = false; });
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (busy_) throw Napi::Error::New(info.Env(), "VideoReader.close: a read is in progress");
    reader_.reset();
    return info.Env().Undefined();
  }

  std::unique_ptr<lightnet::VideoReader> reader_;
  bool busy_ = false;
};

class VideoWriterWrap : public Napi::ObjectWrap<VideoWriterWrap> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "VideoWriter", {InstanceMethod<&VideoWriterWrap::Write>("write"),
                                            InstanceMethod<&VideoWriterWrap::Close>("close")});
  }

  explicit VideoWriterWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<VideoWriterWrap>(info) {
    Napi::Env env = info.Env();
    if (info.Length() < 4 || !info[0].IsString() || !info[1].IsNumber() || !info[2].IsNumber() || !info[3].IsNumber())
      throw Napi::TypeError::New(env, "VideoWriter(path, width, height, fps) expected");
    writer_ = Guard(env, [&] {
      return std::make_unique<lightnet::VideoWriter>(info[0].As<Napi::String>().Utf8Value(), info[1].As<Napi::Number>().Int32Value(),
                                                     info[2].As<Napi::Number>().Int32Value(), info[3].As<Napi::Number>().DoubleValue());
    });
  }

 private:
  Napi::Value Write(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!writer_) throw Napi::Error::New(env, "VideoWriter: closed");
    if (busy_) throw Napi::Error::New(env, "VideoWriter.write: the previous write has not finished (await each write)");
    if (info.Length() < 1) throw Napi::TypeError::New(env, "VideoWriter.write(image) expected");
    auto pixels = std::make_shared<OwnedPixels>(CopyRawImage(info[0], "image"));
    busy_ = true;
    lightnet::VideoWriter* writer = writer_.get();
    return Queue(env, Value(), [writer, pixels] { writer->write(pixels->view()); },
                 [](Napi::Env e) -> Napi::Value { return e.Undefined(); }, [this] { busy_ = false; });
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (busy_) throw Napi::Error::New(info.Env(), "VideoWriter.close: a write is in progress");
    if (writer_) {
      Guard(info.Env(), [&] { writer_->close(); });
      writer_.reset();
    }
    return info.Env().Undefined();
  }

  std::unique_ptr<lightnet::VideoWriter> writer_;
  bool busy_ = false;
};

Napi::Value DecodeImage(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    throw Napi::TypeError::New(env, "decodeImage(bytes: Uint8Array, what?: string) expected");
  Napi::Uint8Array bytes = info[0].As<Napi::Uint8Array>();
  auto data = std::make_shared<std::vector<uint8_t>>(bytes.Data(), bytes.Data() + bytes.ByteLength());
  std::string what = info.Length() > 1 && info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "image data";
  auto out = std::make_shared<lightnet::OwnedImage>();
  return Queue(env, Napi::Object(), [data, what, out] { *out = lightnet::decode_image(data->data(), data->size(), what); },
               [out](Napi::Env e) -> Napi::Value { return RawImageToJs(e, out->view()); });
}

Napi::Value EncodeImage(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[1].IsString()) throw Napi::TypeError::New(env, "encodeImage(image, extension) expected");
  auto pixels = std::make_shared<OwnedPixels>(CopyRawImage(info[0], "image"));
  std::string ext = info[1].As<Napi::String>().Utf8Value();
  auto out = std::make_shared<std::vector<uint8_t>>();
  return Queue(env, Napi::Object(), [pixels, ext, out] { *out = lightnet::encode_image(pixels->view(), ext); },
               [out](Napi::Env e) -> Napi::Value {
                 Napi::Uint8Array a = Napi::Uint8Array::New(e, out->size());
                 std::copy(out->begin(), out->end(), a.Data());
                 return a;
               });
}

}  // namespace

void RegisterVideo(Napi::Env env, Napi::Object exports) {
  exports.Set("VideoReader", VideoReaderWrap::Define(env));
  exports.Set("VideoWriter", VideoWriterWrap::Define(env));
  exports.Set("decodeImage", Napi::Function::New<DecodeImage>(env, "decodeImage"));
  exports.Set("encodeImage", Napi::Function::New<EncodeImage>(env, "encodeImage"));
}

}  // namespace lightnet_addon
#endif  // LIGHTNET_WITH_OPENCV
