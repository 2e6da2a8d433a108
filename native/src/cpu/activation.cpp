#include "cpu/activation.h"

namespace lightnet::cpu {

void activate_inplace(Activation a, float* data, size_t n) {
  if (a == Activation::Linear) return;
  const long long count = static_cast<long long>(n);
#pragma omp parallel for schedule(static)
  for (long long i = 0; i < count; ++i) data[i] = activate(a, data[i]);
}

}  // namespace lightnet::cpu
