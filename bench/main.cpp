// lossfn_bench — lossfn's losses beside their baselines, in one process.
//
// Environment:
//   LOSSFN_BENCH_PRETOUCH_MB=M  before anything runs, allocate M MiB, write every
//                               page and free it. With glibc's tunables
//                               mmap_max=0 and a huge trim_threshold (set by
//                               scripts/bench.sh), the heap then keeps those
//                               pages, so libtorch's temporaries (and the
//                               allocating entry points) reuse paged-in memory
//                               instead of paying a page fault per 4 KiB.
#include <cstdlib>
#include <cstring>
#include <lossfn/version.hpp>
#include <string>

#include "common.hpp"

namespace {

void pretouch_heap(std::size_t mebibytes) {
  if (mebibytes == 0) return;
  const std::size_t bytes = mebibytes << 20;
  void* block = std::malloc(bytes);
  if (block == nullptr) return;
  std::memset(block, 1, bytes);
  benchmark::DoNotOptimize(block);
  std::free(block);
}

std::string environment(const char* variable) {
  const char* v = std::getenv(variable);
  return v ? v : "";
}

}  // namespace

int main(int argc, char** argv) {
  const std::string pretouch = environment("LOSSFN_BENCH_PRETOUCH_MB");
  if (!pretouch.empty()) pretouch_heap(std::strtoull(pretouch.c_str(), nullptr, 10));

  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext("lossfn_version", LOSSFN_VERSION);
  benchmark::AddCustomContext("glibc_tunables", environment("GLIBC_TUNABLES"));
  benchmark::AddCustomContext("pretouch_mb", pretouch);
#ifdef LOSSFN_BENCH_TORCH
  benchmark::AddCustomContext("libtorch", "yes");
  lossfn_bench::torch_init();
#else
  benchmark::AddCustomContext("libtorch", "no");
#endif

  using namespace lossfn_bench;
  register_floors();
  register_eigen_baselines();
  register_elementwise_float();
  register_elementwise_double();
  register_rowwise_float();
  register_rowwise_double();
  register_survival();
#ifdef LOSSFN_BENCH_TORCH
  register_torch();
#endif
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return mismatches() == 0 ? 0 : 1;
}
