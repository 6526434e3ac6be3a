// lossfn benchmarks — the row-wise losses in double, both storage orders.
#include "lossfn_losses.hpp"

namespace lossfn_bench {
void register_rowwise_double() {
  register_rowwise_losses<double>();
}
}  // namespace lossfn_bench
