// What an EngineHandle and its in-flight workers share: the engine, the lock that serialises its use (an
// Engine is not re-entrant), who holds its input buffers, and the profile gathered so far. Workers hold the slot by shared_ptr, so close()
// during a run frees the engine only after that run finishes.
#pragma once
#include <cstdint>
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

  // The engine's input buffers (Engine::pinned_input) serve one detect at a time. A detect takes them on the JS
  // thread to copy frames in (TryFillInputs, only while the engine is idle: the JS thread never waits), or on
  // its worker inside Run to decode into them (TakeInputs); either way it gives them back at the end of that Run
  // (ReleaseInputs). A detect that finds them taken uses memory of its own, as before. Tickets name the holder.

  // JS thread: when the engine lock is free and no detect holds the buffers, runs fill(engine) under the lock
  // and returns the ticket that now holds them; returns 0 (fill not run) otherwise.
  template <class F>
  uint64_t TryFillInputs(F&& fill) {
    std::unique_lock<std::mutex> lock(engine_mutex_, std::try_to_lock);
    if (!lock.owns_lock() || inputs_holder_ != 0) return 0;
    const uint64_t ticket = ++last_ticket_;
    inputs_holder_ = ticket;
    try {
      fill(*engine_);
    } catch (...) {
      inputs_holder_ = 0;
      throw;
    }
    return ticket;
  }
  // Inside Run only (the lock is held): takes the buffers for `ticket` (0: a new one is assigned) when nobody
  // holds them; true when `ticket` holds them.
  bool TakeInputs(uint64_t& ticket) {
    if (inputs_holder_ == 0) {
      if (ticket == 0) ticket = ++last_ticket_;
      inputs_holder_ = ticket;
    }
    return ticket != 0 && inputs_holder_ == ticket;
  }
  // Inside Run only: gives the buffers back if `ticket` holds them.
  void ReleaseInputs(uint64_t ticket) {
    if (ticket != 0 && inputs_holder_ == ticket) inputs_holder_ = 0;
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
  uint64_t inputs_holder_ = 0, last_ticket_ = 0;  // guarded by engine_mutex_
  std::mutex profile_mutex_;
  std::map<int, Accumulated> profile_;
};

}  // namespace lightnet_addon
