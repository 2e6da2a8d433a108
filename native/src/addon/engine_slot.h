// What an EngineHandle and its in-flight workers share: the engine, the lock that serialises its use (an
// Engine is not re-entrant), and the profile gathered so far. Workers hold the slot by shared_ptr, so close()
// during a run frees the engine only after that run finishes.
#pragma once
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "lightnet/engine.h"

namespace lightnet_addon {

class EngineSlot {
 public:
  explicit EngineSlot(std::unique_ptr<lightnet::Engine> engine) : engine_(std::move(engine)) {}

  // Runs `body(engine)` under the engine lock (worker threads only), then moves the engine's per-layer
  // timings into this slot, so takeProfile() on the JS thread never waits for an inference.
  template <class F>
  auto Run(F&& body) -> decltype(body(std::declval<lightnet::Engine&>())) {
    std::lock_guard<std::mutex> lock(engine_mutex_);
    struct Collect {
      EngineSlot* self;
      ~Collect() {
        try {
          self->Collect(self->engine_->take_profile());
        } catch (...) {  // a lost profile sample must not turn into std::terminate
        }
      }
    } collect{this};
    return body(*engine_);
  }

  // Immutable facts (backend, network, …) may be read without the lock.
  const lightnet::Engine& engine() const { return *engine_; }

  // Mean milliseconds per inference of every layer since the last call.
  std::vector<lightnet::LayerTiming> TakeProfile() {
    std::lock_guard<std::mutex> lock(profile_mutex_);
    std::vector<lightnet::LayerTiming> out;
    for (auto& [layer, acc] : profile_) out.push_back({layer, acc.name, acc.total_ms / acc.runs});
    profile_.clear();
    return out;
  }

 private:
  struct Accumulated {
    std::string name;
    double total_ms = 0;
    int runs = 0;
  };

  void Collect(const std::vector<lightnet::LayerTiming>& timings) {
    if (timings.empty()) return;
    std::lock_guard<std::mutex> lock(profile_mutex_);
    for (const auto& t : timings) {
      Accumulated& acc = profile_[t.layer];
      acc.name = t.name;
      acc.total_ms += t.ms;
      acc.runs += 1;
    }
  }

  std::unique_ptr<lightnet::Engine> engine_;
  std::mutex engine_mutex_;
  std::mutex profile_mutex_;
  std::map<int, Accumulated> profile_;
};

}  // namespace lightnet_addon
