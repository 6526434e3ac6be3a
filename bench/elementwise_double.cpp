// lossfn benchmarks — the element-wise losses in double (one translation unit per
// type, so the suite builds in parallel).
#include "lossfn_losses.hpp"

namespace lossfn_bench {
void register_elementwise_double() {
  register_elementwise_losses<double>();
}
}  // namespace lossfn_bench
