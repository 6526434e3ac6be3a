// lossfn benchmarks — the row-wise losses in float, both storage orders.
#include "lossfn_losses.hpp"

namespace lossfn_bench {
void register_rowwise_float() {
  register_rowwise_losses<float>();
}
}  // namespace lossfn_bench
