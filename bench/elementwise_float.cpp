// lossfn benchmarks — the element-wise losses in float (one translation unit per
// type, so the suite builds in parallel).
#include "lossfn_losses.hpp"

namespace lossfn_bench {
void register_elementwise_float() {
  register_elementwise_losses<float>();
}
}  // namespace lossfn_bench
