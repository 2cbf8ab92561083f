// fpga-sdf HLS templates: common types, geometry and fixed-point helpers.
//
// Numeric contract: every format is ap_fixed<W, I, AP_RND, AP_SAT> (round half up,
// saturate), accumulators are ap_fixed<ACC_W, ACC_W - F, AP_TRN, AP_WRAP> at the exact
// product frac F, so conversions between ap_fixed types reproduce
// fpga_sdf.interp.fixed.requantize bit for bit. Integer ("raw") access goes through
// sdf::raw / sdf::from_raw.
//
// Streaming order: channels fastest, then width, then height, then depth. A layer with
// N parallel streams puts channel c on stream c % N (round robin over the flat order).
#ifndef SDF_COMMON_HPP
#define SDF_COMMON_HPP

// packed memory ports and wide window tokens exceed ap_int's default 1024-bit limit
#ifndef AP_INT_MAX_W
#define AP_INT_MAX_W 4096
#endif
#include <ap_fixed.h>
#include <ap_int.h>
#ifdef SDF_THREADED_CSIM
#include "csim_stream.hpp"  // bounded streams, one thread per process (g++ C-simulation)
#else
#include <hls_stream.h>
#endif

// A DATAFLOW region's processes: plain calls for Vitis; in the threaded C-simulation each
// call runs in its own thread and the region joins them when it ends (csim_stream.hpp).
#ifndef SDF_THREADED_CSIM
#define SDF_DATAFLOW_REGION
#define SDF_PROCESS(...) __VA_ARGS__
#define SDF_DEPTH(stream, depth)
#define SDF_PROCESS_NAME(name)
#define SDF_COUNT_LOOP(label)
#define SDF_PRINT_LOOP_COUNTS()
#define SDF_UNIT_NAME(s)
#endif

namespace sdf {

// ---------------------------------------------------------------- compile-time helpers

constexpr int cmax(int a, int b) { return a > b ? a : b; }
constexpr int cmin(int a, int b) { return a < b ? a : b; }
constexpr int cabs(int a) { return a < 0 ? -a : a; }

// Number of bits needed to hold the unsigned value n (clog2(n + 1)); at least 1.
constexpr int bits_for(long long n) {
    int b = 1;
    for (long long v = n >> 1; v > 0; v >>= 1) b++;
    return b;
}

// A token of N values moved in one cycle (a window of taps, a vector of `fine` weights).
template <typename T, int N>
struct vec {
    T v[N];
};

// A stream word as a vector: windows stay windows, a plain value is a window of one tap.
template <typename T, int N>
vec<T, N> as_vec(const vec<T, N>& x) {
#pragma HLS INLINE
    return x;
}
template <typename T>
vec<T, 1> as_vec(const T& x) {
#pragma HLS INLINE
    vec<T, 1> r;
    r.v[0] = x;
    return r;
}

// Fractional bits of an ap_fixed type (may be negative or larger than its width).
template <typename T>
constexpr int frac_of() { return T::width - T::iwidth; }

// The wrapping accumulator for products of X and Wt: ACC_W bits at frac X.frac + Wt.frac.
template <typename X, typename Wt, int ACC_W>
using acc_fixed = ap_fixed<ACC_W, ACC_W - (frac_of<X>() + frac_of<Wt>()), AP_TRN, AP_WRAP>;

// ---------------------------------------------------------------- raw integer access

// The two's complement integer of an ap_fixed value (its value times 2**frac).
template <typename T>
ap_int<T::width> raw(const T& x) {
#pragma HLS INLINE
    ap_int<T::width> r = x.range(T::width - 1, 0);
    return r;
}

// One word of each of N streams, stream s in bits [s W, (s + 1) W): a group of a packed beat.
template <typename T, int N>
ap_uint<N * T::width> read_group(hls::stream<T> in[N]) {
#pragma HLS INLINE
    const int W = T::width;
    ap_uint<N * W> group = 0;
    for (int s = 0; s < N; s++) {
#pragma HLS UNROLL
        group.range(s * W + W - 1, s * W) = raw(in[s].read());
    }
    return group;
}

// The ap_fixed value whose integer is q (the low T::width bits of q).
template <typename T, typename Q>
T from_raw(const Q& q) {
#pragma HLS INLINE
    T x;
    x.range(T::width - 1, 0) = q;
    return x;
}

template <typename T>
T min_value() {
#pragma HLS INLINE
    ap_int<T::width> q = 0;
    q[T::width - 1] = 1;  // 100...0
    return from_raw<T>(q);
}

template <typename T>
T max_value() {
#pragma HLS INLINE
    ap_int<T::width> q = -1;
    q[T::width - 1] = 0;  // 011...1
    return from_raw<T>(q);
}

// round_half_up(num * 2**-FROM_F / den) in out_t, saturated: the exact integer division of
// fpga_sdf.interp.kernels._div_round, floor((2n + d) / 2d) after aligning binary points.
template <typename out_t, int FROM_F, int NW>
out_t div_round(const ap_int<NW>& num, int den) {
#pragma HLS INLINE
    const int UP = frac_of<out_t>() - FROM_F;
    const int DW = 34 + cmax(-UP, 0);                 // den < 2**31, shifted
    const int WW = cmax(NW + cmax(UP, 0), DW) + 3;    // 2n + d without overflow
    ap_int<WW> n = num;
    ap_int<WW> d = den;
    if (UP >= 0) n = n << cmax(UP, 0);
    else d = d << cmax(-UP, 0);
    ap_int<WW> t = 2 * n + d;
    ap_int<WW> dd = 2 * d;
    ap_int<WW> q;
    if (t >= 0) q = t / dd;
    else q = -((-t + dd - 1) / dd);  // floor division for a positive divisor
    const ap_int<WW> lo = raw(min_value<out_t>());
    const ap_int<WW> hi = raw(max_value<out_t>());
    if (q < lo) q = lo;
    if (q > hi) q = hi;
    return from_raw<out_t>(q);
}

// ---------------------------------------------------------------- geometry

// Spatial geometry of a windowed layer, rank-generic: a 2D layer is D = KD = SD = 1 with
// zero depth padding. Pads are (begin, end) per dim; dilation applies to the kernel taps.
template <int D_, int H_, int W_, int KD_, int KH_, int KW_,
          int SD_ = 1, int SH_ = 1, int SW_ = 1,
          int PD0_ = 0, int PH0_ = 0, int PW0_ = 0, int PD1_ = 0, int PH1_ = 0, int PW1_ = 0,
          int DD_ = 1, int DH_ = 1, int DW_ = 1>
struct geometry {
    static const int D = D_, H = H_, W = W_;
    static const int KD = KD_, KH = KH_, KW = KW_;
    static const int SD = SD_, SH = SH_, SW = SW_;
    static const int PD0 = PD0_, PH0 = PH0_, PW0 = PW0_, PD1 = PD1_, PH1 = PH1_, PW1 = PW1_;
    static const int DD = DD_, DH = DH_, DW = DW_;
    // padded input, dilated kernel span, output size (floor rounding, as PyTorch/ONNX)
    static const int PD = D + PD0 + PD1, PH = H + PH0 + PH1, PW = W + PW0 + PW1;
    static const int SPAN_D = (KD - 1) * DD + 1, SPAN_H = (KH - 1) * DH + 1,
                     SPAN_W = (KW - 1) * DW + 1;
    static const int OD = (PD - SPAN_D) / SD + 1, OH = (PH - SPAN_H) / SH + 1,
                     OW = (PW - SPAN_W) / SW + 1;
    static const int KVOL = KD * KH * KW;
    static const int IN_PIXELS = D * H * W, OUT_PIXELS = OD * OH * OW;
    // padded rows (of PW pixels) the window reaches back over, plus the current one
    static const int NROWS = (SPAN_D - 1) * PH + SPAN_H;
};

}  // namespace sdf

#endif  // SDF_COMMON_HPP
