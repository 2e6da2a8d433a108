// Shared helpers of the N-API boundary: reading JS option objects into plain C++ values, and turning C++
// exceptions into JS errors that keep the native message and a machine-readable code.
#pragma once
#include <napi.h>

#include <exception>
#include <initializer_list>
#include <string>

namespace lightnet_addon {

// A C++ failure captured on a worker thread, settled later on the JS thread (no Napi types inside).
struct Failure {
  std::string message;
  std::string code;  // LIGHTNET_MODEL_ERROR | LIGHTNET_MEDIA_ERROR | LIGHTNET_INVALID_ARGUMENT | LIGHTNET_ERROR
  std::string file;  // the file the error names, when known
  int line = 0;
  explicit operator bool() const { return !message.empty(); }
};

// Describes the exception currently being handled (call inside a catch block).
Failure CaptureCurrentException();

// A JS Error carrying message, code and (when known) file and line.
Napi::Error ToJsError(Napi::Env env, const Failure& failure);

// Runs `body` and rethrows any C++ exception as a JS error (for synchronous functions).
template <class F>
auto Guard(Napi::Env env, F&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const Napi::Error&) {
    throw;
  } catch (...) {
    throw ToJsError(env, CaptureCurrentException());
  }
}

// Option-object readers: a missing or undefined key leaves `out` as is; a wrong type throws a TypeError
// naming the key. (TypeScript validates first; these keep the C++ side safe on its own.)
void ReadString(const Napi::Object& o, const char* key, std::string& out);
void ReadInt(const Napi::Object& o, const char* key, int& out);
void ReadDouble(const Napi::Object& o, const char* key, double& out);
void ReadBool(const Napi::Object& o, const char* key, bool& out);
// Throws a TypeError if `o` has a key outside `known`, listing the valid ones.
void RejectUnknownKeys(const Napi::Object& o, const char* what, std::initializer_list<const char*> known);

}  // namespace lightnet_addon
