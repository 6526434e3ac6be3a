// How far BCE-with-logits can go on lossfn's formulation: lossfn's fused
// call, its bare packet kernel (the loss's evaluate on Vec<float>, no
// driver), and the same formulas hand-written in AVX-512 intrinsics with none
// of lossfn's generality (no NaN/inf limits, no zero-weight selects, float
// accumulator), each beside Eigen's exp summed over the same logits, as
// fractions of that exp floor. Medians of thread CPU time. Built by CMake
// with -march=native; on a machine without AVX-512 it says so and exits.
#include <lossfn/lossfn.hpp>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <random>
#include <vector>

#ifndef __AVX512F__
int main() {
  std::puts("probe_logistic needs AVX-512 (-march=native on an AVX-512 machine)");
}
#else
#include <immintrin.h>

namespace {

template <class F>
double median_ns(F f, long n, int reps = 31) {
  auto now = [] {
    timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e9 + static_cast<double>(ts.tv_nsec);
  };
  std::vector<double> t;
  for (int r = 0; r < reps; ++r) {
    const double a = now();
    for (int i = 0; i < 20; ++i) f();
    t.push_back((now() - a) / 20 / static_cast<double>(n));
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

// softplus(±x) and σ(±x) from e = exp(−|x|), the atanh series of log1p(e)
// and r = 1/(1 + e): lossfn's formulas (detail/math.hpp, packet.hpp).
inline void bce_with_logits(__m512 x, __m512 t, __m512& value, __m512& first) {
  const __m512 zero = _mm512_setzero_ps(), one = _mm512_set1_ps(1);
  const __m512 e = Eigen::internal::pexp(_mm512_sub_ps(zero, _mm512_abs_ps(x)));
  const __m512 u = _mm512_div_ps(e, _mm512_add_ps(_mm512_set1_ps(2), e));
  const __m512 r = _mm512_div_ps(one, _mm512_add_ps(one, e));
  const __m512 u2 = _mm512_mul_ps(u, u);
  __m512 s = _mm512_set1_ps(1.f / 13);
  for (float c : {1.f / 11, 1.f / 9, 1.f / 7, 1.f / 5, 1.f / 3})
    s = _mm512_fmadd_ps(s, u2, _mm512_set1_ps(c));
  const __m512 two_u = _mm512_add_ps(u, u);
  const __m512 tail = _mm512_fmadd_ps(two_u, _mm512_mul_ps(u2, s), two_u);
  const __m512 er = _mm512_mul_ps(e, r);
  const __m512 sig = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, zero, _CMP_GE_OQ), er, r);
  const __m512 sig_neg = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, zero, _CMP_LE_OQ), er, r);
  const __m512 sp = _mm512_add_ps(_mm512_max_ps(x, zero), tail);
  const __m512 sp_neg = _mm512_add_ps(_mm512_max_ps(_mm512_sub_ps(zero, x), zero), tail);
  const __m512 nt = _mm512_sub_ps(one, t);
  value = _mm512_fmadd_ps(t, sp_neg, _mm512_mul_ps(nt, sp));
  first = _mm512_fmsub_ps(nt, sig, _mm512_mul_ps(t, sig_neg));
}

}  // namespace

int main() {
  using V = lossfn::detail::Vec<float>;
  volatile float sink = 0;
  for (const long n : {65536L, 1048576L}) {
    std::mt19937 rng(1);
    std::normal_distribution<float> normal(0, 2);
    Eigen::ArrayXf x(n), t(n), g(n), e(n);
    for (long i = 0; i < n; ++i) {
      x[i] = normal(rng);
      t[i] = static_cast<float>(rng() & 1);
    }
    const lossfn::BinaryCrossEntropyWithLogits loss;
    const float scale = 1.0f / static_cast<float>(n);
    double floor = 0, fused = 0, kernel = 0, hand = 0;
    for (int round = 0; round < 5; ++round) {
      floor += median_ns([&] { sink = x.exp().sum(); }, n);
      fused += median_ns([&] { sink = loss.value_and_gradient(x, t, lossfn::out(g)); }, n);
      kernel += median_ns(
          [&] {
            V acc(0);
            for (long i = 0; i + V::size <= n; i += V::size) {
              const V xi = V::load(&x[i]);
              const auto d =
                  loss.evaluate<1>(xi, V::load(&t[i]), V(1), lossfn::detail::exp_minus_abs(xi));
              acc += d.value;
              (d.first * V(scale)).store(&g[i]);
            }
            sink = Eigen::internal::predux(acc.p);
          },
          n);
      hand += median_ns(
          [&] {
            __m512 acc = _mm512_setzero_ps();
            for (long i = 0; i + 16 <= n; i += 16) {
              __m512 v, d;
              bce_with_logits(_mm512_loadu_ps(&x[i]), _mm512_loadu_ps(&t[i]), v, d);
              acc = _mm512_add_ps(acc, v);
              _mm512_storeu_ps(&g[i], _mm512_mul_ps(d, _mm512_set1_ps(scale)));
            }
            sink = _mm512_reduce_add_ps(acc);
          },
          n);
    }
    std::printf(
        "n = %7ld  ns/element: exp %.3f | lossfn fused %.3f (%.2f of exp) | bare kernel %.3f (%.2f)"
        " | hand-written AVX-512 %.3f (%.2f)\n",
        n, floor / 5, fused / 5, floor / fused, kernel / 5, floor / kernel, hand / 5, floor / hand);
  }
}
#endif
