#include "addon/common.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "lightnet/model_loader.h"
#ifdef LIGHTNET_WITH_OPENCV
#include "lightnet/media.h"
#endif

namespace lightnet_addon {

Failure CaptureCurrentException() {
  Failure f;
  try {
    throw;
  } catch (const lightnet::ModelError& e) {
    f = {e.what(), "LIGHTNET_MODEL_ERROR", e.file(), e.line()};
#ifdef LIGHTNET_WITH_OPENCV
  } catch (const lightnet::MediaError& e) {
    f = {e.what(), "LIGHTNET_MEDIA_ERROR", e.path(), 0};
#endif
  } catch (const std::invalid_argument& e) {
    f = {e.what(), "LIGHTNET_INVALID_ARGUMENT", "", 0};
  } catch (const std::exception& e) {
    f = {e.what(), "LIGHTNET_ERROR", "", 0};
  } catch (...) {
    f = {"unknown native error", "LIGHTNET_ERROR", "", 0};
  }
  if (f.message.empty()) f.message = "native error without a message";
  return f;
}

Napi::Error ToJsError(Napi::Env env, const Failure& failure) {
  Napi::Error error = Napi::Error::New(env, failure.message);
  error.Set("code", failure.code);
  if (!failure.file.empty()) error.Set("file", failure.file);
  if (failure.line > 0) error.Set("line", Napi::Number::New(env, failure.line));
  return error;
}

namespace {
Napi::Value Get(const Napi::Object& o, const char* key) {
  return o.Has(key) ? o.Get(key) : o.Env().Undefined();
}
[[noreturn]] void WrongType(Napi::Env env, const char* key, const char* expected) {
  throw Napi::TypeError::New(env, std::string("option '") + key + "': expected " + expected);
}
}  // namespace

void ReadString(const Napi::Object& o, const char* key, std::string& out) {
  Napi::Value v = Get(o, key);
  if (v.IsUndefined()) return;
  if (!v.IsString()) WrongType(o.Env(), key, "a string");
  out = v.As<Napi::String>().Utf8Value();
}

void ReadInt(const Napi::Object& o, const char* key, int& out) {
  Napi::Value v = Get(o, key);
  if (v.IsUndefined()) return;
  if (!v.IsNumber()) WrongType(o.Env(), key, "an integer");
  double d = v.As<Napi::Number>().DoubleValue();
  if (d != static_cast<double>(static_cast<int>(d))) WrongType(o.Env(), key, "an integer");
  out = static_cast<int>(d);
}

void ReadDouble(const Napi::Object& o, const char* key, double& out) {
  Napi::Value v = Get(o, key);
  if (v.IsUndefined()) return;
  if (!v.IsNumber()) WrongType(o.Env(), key, "a number");
  out = v.As<Napi::Number>().DoubleValue();
}

void ReadBool(const Napi::Object& o, const char* key, bool& out) {
  Napi::Value v = Get(o, key);
  if (v.IsUndefined()) return;
  if (!v.IsBoolean()) WrongType(o.Env(), key, "a boolean");
  out = v.As<Napi::Boolean>().Value();
}

void RejectUnknownKeys(const Napi::Object& o, const char* what, std::initializer_list<const char*> known) {
  Napi::Array keys = o.GetPropertyNames();
  for (uint32_t i = 0; i < keys.Length(); ++i) {
    std::string key = keys.Get(i).ToString().Utf8Value();
    bool ok = std::any_of(known.begin(), known.end(), [&](const char* k) { return key == k; });
    if (ok) continue;
    std::string valid;
    for (const char* k : known) valid += (valid.empty() ? "" : ", ") + std::string(k);
    throw Napi::TypeError::New(o.Env(), std::string(what) + ": unknown option '" + key + "' (valid: " + valid + ")");
  }
}

}  // namespace lightnet_addon
