// The addon's one way to run work off the JS thread: QueueTask runs `work` on the libuv pool and returns a
// promise settled on the JS thread with `done(env)`, or rejected with the captured C++ failure. State the
// two share lives in what the lambdas capture (shared_ptrs), so no per-operation worker class is needed.
#pragma once
#include <napi.h>

#include <functional>

namespace lightnet_addon {

using TaskWork = std::function<void()>;
using TaskDone = std::function<Napi::Value(Napi::Env)>;

// `name` names the async resource (diagnostics). `keep`, when not empty, stays referenced until the task
// settles, so a wrapped object's native state cannot be collected mid-operation. `always` runs on the
// JS thread whether the work failed or not (e.g. to clear a busy flag).
Napi::Promise QueueTask(Napi::Env env, const char* name, TaskWork work, TaskDone done, Napi::Object keep = Napi::Object(),
                        std::function<void()> always = {});

}  // namespace lightnet_addon
