#include "addon/task.h"

#include <string>
#include <utility>

#include "addon/common.h"

namespace lightnet_addon {
namespace {

class Task : public Napi::AsyncWorker {
 public:
  Task(Napi::Env env, const char* name, TaskWork work, TaskDone done, Napi::Object keep, std::function<void()> always)
      : Napi::AsyncWorker(env, name), work_(std::move(work)), done_(std::move(done)), always_(std::move(always)),
        deferred_(Napi::Promise::Deferred::New(env)) {
    if (!keep.IsEmpty()) keep_ = Napi::Persistent(keep);
  }
  Napi::Promise Promise() const { return deferred_.Promise(); }

  void Execute() override {
    try {
      work_();
    } catch (...) {
      failure_ = CaptureCurrentException();
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (always_) always_();
    if (failure_) return deferred_.Reject(ToJsError(env, failure_).Value());
    deferred_.Resolve(done_(env));
  }

 private:
  TaskWork work_;
  TaskDone done_;
  std::function<void()> always_;
  Failure failure_;
  Napi::ObjectReference keep_;
  Napi::Promise::Deferred deferred_;
};

}  // namespace

Napi::Promise QueueTask(Napi::Env env, const char* name, TaskWork work, TaskDone done, Napi::Object keep,
                        std::function<void()> always) {
  auto* task = new Task(env, name, std::move(work), std::move(done), keep, std::move(always));  // deletes itself
  Napi::Promise promise = task->Promise();
  task->Queue();
  return promise;
}

}  // namespace lightnet_addon
