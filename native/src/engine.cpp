// Backend selection: the one place that knows which backends were compiled in.
#include "lightnet/engine.h"

#include <stdexcept>

#include "cpu/cpu_engine.h"
#ifdef LIGHTNET_WITH_CUDA
#include "cuda/cuda_engine.h"
#endif

namespace lightnet {

std::vector<std::string> available_backends() {
  std::vector<std::string> backends;
#ifdef LIGHTNET_WITH_CUDA
  if (cuda_device_count() > 0) backends.push_back("cuda");
#endif
  backends.push_back("cpu");
  return backends;
}

std::unique_ptr<Engine> build_engine(const Network& net, const BuildOptions& options,
                                     const ProgressCallback& progress) {
  if (options.batch < 1) throw std::invalid_argument("batch: expected >= 1, found " + std::to_string(options.batch));
  std::string backend = options.backend;
  if (backend == "auto") backend = available_backends().front();
  if (backend == "cpu") return make_cpu_engine(net, options, progress);
#ifdef LIGHTNET_WITH_CUDA
  if (backend == "cuda") return make_cuda_engine(net, options, progress);
#endif
  std::string valid;
  for (const auto& b : available_backends()) valid += (valid.empty() ? "" : ", ") + b;
  throw std::invalid_argument("backend: '" + backend + "' is not available in this build (available: " + valid +
                              ", auto)");
}

}  // namespace lightnet
