#include "addon/build_engine.h"

#include <cstdint>
#include <memory>
#include <string>

#include "addon/common.h"
#include "addon/engine_handle.h"
#include "lightnet/engine.h"
#include "lightnet/model_loader.h"

namespace lightnet_addon {
namespace {

struct BuildBaton {
  std::string cfg;
  std::string weights;  // "" → seeded random weights
  double seed = 1;
  lightnet::BuildOptions options;
  std::unique_ptr<lightnet::Engine> engine;
  Failure failure;
};

struct Progress {
  double fraction = 0;
  std::string message;
};

class BuildWorker : public Napi::AsyncProgressQueueWorker<Progress> {
 public:
  BuildWorker(Napi::Env env, BuildBaton* baton, Napi::Function on_progress)
      : Napi::AsyncProgressQueueWorker<Progress>(env, "lightnet.buildEngine"),
        baton_(baton),
        deferred_(Napi::Promise::Deferred::New(env)) {
    if (!on_progress.IsEmpty()) on_progress_ = Napi::Persistent(on_progress);
  }
  Napi::Promise Promise() const { return deferred_.Promise(); }

  void Execute(const ExecutionProgress& progress) override {
    try {
      auto report = [&](double fraction, const std::string& message) {
        Progress p{fraction, message};
        progress.Send(&p, 1);
      };
      report(0, "loading " + baton_->cfg);
      lightnet::Network net = lightnet::load_cfg(baton_->cfg);
      if (baton_->weights.empty()) {
        lightnet::randomize_weights(net, static_cast<uint64_t>(baton_->seed));
      } else {
        report(0, "loading " + baton_->weights);
        lightnet::load_weights(net, baton_->weights);
      }
      baton_->engine = lightnet::build_engine(net, baton_->options, report);
      report(1, "engine ready");
    } catch (...) {
      baton_->failure = CaptureCurrentException();
    }
  }

  void OnProgress(const Progress* data, size_t count) override {
    if (on_progress_.IsEmpty()) return;
    Napi::Env env = Env();
    for (size_t i = 0; i < count; ++i) {
      try {
        on_progress_.Call({Napi::Number::New(env, data[i].fraction), Napi::String::New(env, data[i].message)});
      } catch (const Napi::Error&) {
        // A throwing progress listener must not abort the build; the TypeScript wrapper reports it.
      }
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    if (baton_->failure) return deferred_.Reject(ToJsError(env, baton_->failure).Value());
    deferred_.Resolve(EngineHandle::Wrap(env, std::move(baton_->engine)));
  }

 private:
  std::unique_ptr<BuildBaton> baton_;
  Napi::Promise::Deferred deferred_;
  Napi::FunctionReference on_progress_;
};

// Every key buildEngine understands; anything else is rejected rather than ignored.
void ReadOptions(const Napi::Object& o, BuildBaton& b) {
  RejectUnknownKeys(o, "buildEngine",
                    {"cfg", "weights", "seed", "backend", "precision", "batch", "threads", "gpuId", "multiPrecision",
                     "sparsity", "dlaCore", "cacheDir", "calibrationTable", "calibrationList",
                     "calibrationAlgorithm", "percentile", "clipValue", "quantizeFirstLayer", "quantizeLastLayer",
                     "profile"});
  ReadString(o, "cfg", b.cfg);
  if (b.cfg.empty()) throw Napi::TypeError::New(o.Env(), "buildEngine: option 'cfg' (a cfg file path) is required");
  ReadString(o, "weights", b.weights);
  ReadDouble(o, "seed", b.seed);
  lightnet::BuildOptions& opt = b.options;
  ReadString(o, "backend", opt.backend);
  std::string precision = lightnet::to_string(opt.precision);
  ReadString(o, "precision", precision);
  opt.precision = Guard(o.Env(), [&] { return lightnet::parse_precision(precision); });
  ReadInt(o, "batch", opt.batch);
  ReadInt(o, "threads", opt.threads);
  ReadInt(o, "gpuId", opt.gpu_id);
  ReadBool(o, "multiPrecision", opt.multi_precision);
  ReadBool(o, "sparsity", opt.sparsity);
  ReadInt(o, "dlaCore", opt.dla_core);
  ReadString(o, "cacheDir", opt.cache_dir);
  ReadString(o, "calibrationTable", opt.calibration_table);
  ReadString(o, "calibrationList", opt.calibration_list);
  ReadString(o, "calibrationAlgorithm", opt.calibration_algorithm);
  ReadDouble(o, "percentile", opt.percentile);
  ReadDouble(o, "clipValue", opt.clip_value);
  ReadBool(o, "quantizeFirstLayer", opt.quantize_first_layer);
  ReadBool(o, "quantizeLastLayer", opt.quantize_last_layer);
  ReadBool(o, "profile", opt.profile);
}

}  // namespace

Napi::Value BuildEngine(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject())
    throw Napi::TypeError::New(env, "buildEngine(options: EngineOptions, onProgress?) expected");
  auto baton = std::make_unique<BuildBaton>();
  ReadOptions(info[0].As<Napi::Object>(), *baton);
  Napi::Function on_progress;
  if (info.Length() > 1 && !info[1].IsUndefined()) {
    if (!info[1].IsFunction()) throw Napi::TypeError::New(env, "buildEngine: onProgress must be a function");
    on_progress = info[1].As<Napi::Function>();
  }
  auto* worker = new BuildWorker(env, baton.release(), on_progress);
  Napi::Promise promise = worker->Promise();
  worker->Queue();
  return promise;
}

}  // namespace lightnet_addon
