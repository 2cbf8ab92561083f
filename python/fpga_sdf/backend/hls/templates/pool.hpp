// fpga-sdf HLS templates: windowed and global pooling (max / average).
#ifndef SDF_POOL_HPP
#define SDF_POOL_HPP

#include "sdf_common.hpp"
#include "sliding_window.hpp"

namespace sdf {

enum pool_mode { POOL_MAX = 0, POOL_AVG = 1 };

// In-bounds taps of a window along one dim: k < K with 0 <= o*S - P0 + k < N.
template <int N, int K, int S, int P0>
int taps_inside(int o) {
#pragma HLS INLINE
    const int lo = o * S - P0;
    int n = 0;
    for (int k = 0; k < K; k++) {
#pragma HLS UNROLL
        n += (lo + k >= 0 && lo + k < N) ? 1 : 0;
    }
    return n;
}

// Reduce each window of KVOL taps (one per stream) to one value, CH channels per position.
// Max: the largest tap, converted to out_t (round half up, saturate). Avg: the exact sum of
// the taps divided by the number of in-bounds taps (COUNT_PAD = false) or by KVOL
// (COUNT_PAD = true), rounded half up into out_t (fpga_sdf.interp.kernels.pool_fixed).
template <typename in_t, typename out_t, typename G, int CH, int MODE, bool COUNT_PAD, int LANES = 1>
void pool(hls::stream<vec<in_t, G::KVOL> > win[LANES], hls::stream<out_t> out[LANES], int frames = 1) {
#pragma HLS INLINE off
    const int SUM_W = in_t::width + bits_for(G::KVOL);
    int c = 0, ow = 0, oh = 0, od = 0;
pool_loop:
    for (int i = 0; i < frames * G::OUT_PIXELS * CH; i++) {
#pragma HLS PIPELINE II=1
        const int den = COUNT_PAD ? G::KVOL
                                  : taps_inside<G::D, G::KD, G::SD, G::PD0>(od) *
                                        taps_inside<G::H, G::KH, G::SH, G::PH0>(oh) *
                                        taps_inside<G::W, G::KW, G::SW, G::PW0>(ow);
        for (int s = 0; s < LANES; s++) {
#pragma HLS UNROLL
            const vec<in_t, G::KVOL> window = win[s].read();
            in_t m = window.v[0];
            ap_int<SUM_W> sum = raw(m);
            for (int k = 1; k < G::KVOL; k++) {
#pragma HLS UNROLL
                const in_t v = window.v[k];
                if (v > m) m = v;
                sum += raw(v);
            }
            if (MODE == POOL_MAX) out[s].write(out_t(m));
            else out[s].write(div_round<out_t, frac_of<in_t>(), SUM_W>(sum, den));
        }
        if (c == CH - 1) {
            c = 0;
            if (ow == G::OW - 1) {
                ow = 0;
                if (oh == G::OH - 1) {
                    oh = 0;
                    od = od == G::OD - 1 ? 0 : od + 1;
                } else {
                    oh++;
                }
            } else {
                ow++;
            }
        } else {
            c++;
        }
    }
}

// Pooling layer (2D or 3D by G; dilation must be 1 as in pool_fixed), COARSE parallel
// streams, channel c on stream c % COARSE, each with its own sliding window and pool unit.
// Max pads with the minimum of in_t, avg with 0.
template <typename in_t, typename out_t, typename G, int C, int MODE,
          bool COUNT_PAD = false, int COARSE = 1>
void pool_layer(hls::stream<in_t> in[COARSE], hls::stream<out_t> out[COARSE], int frames = 1) {
#pragma HLS INLINE off
    static_assert(C % COARSE == 0, "COARSE must divide C");
    static_assert(G::DD == 1 && G::DH == 1 && G::DW == 1, "pooling has no dilation");
#pragma HLS DATAFLOW
    hls::stream<vec<in_t, G::KVOL> > win[COARSE];
    const in_t pad = MODE == POOL_MAX ? min_value<in_t>() : in_t(0);
    SDF_DATAFLOW_REGION
    SDF_PROCESS(sliding_window<in_t, G, C / COARSE, COARSE>(in, win, pad, frames));
    SDF_PROCESS(pool<in_t, out_t, G, C / COARSE, MODE, COUNT_PAD, COARSE>(win, out, frames));
}

// Global pooling over all PIXELS (= D*H*W) positions: C outputs. Avg divides the exact sum
// by PIXELS with round half up; max converts the largest value.
template <typename in_t, typename out_t, int C, int PIXELS, int MODE, int COARSE = 1>
void global_pool(hls::stream<in_t> in[COARSE], hls::stream<out_t> out[COARSE], int frames = 1) {
#pragma HLS INLINE off
    static_assert(C % COARSE == 0, "COARSE must divide C");
    const int CH = C / COARSE;
    const int SUM_W = in_t::width + bits_for(PIXELS);
    ap_int<SUM_W> sum[COARSE][CH];
    in_t mx[COARSE][CH];
#pragma HLS ARRAY_PARTITION variable=sum complete dim=1
#pragma HLS ARRAY_PARTITION variable=mx complete dim=1
    for (int frame = 0; frame < frames; frame++) {
global_pool_loop:
    for (int i = 0; i < PIXELS * CH; i++) {
#pragma HLS PIPELINE II=1
        const int c = i % CH;
        for (int s = 0; s < COARSE; s++) {
#pragma HLS UNROLL
            const in_t v = in[s].read();
            if (i < CH) {
                sum[s][c] = raw(v);
                mx[s][c] = v;
            } else {
                sum[s][c] += raw(v);
                if (v > mx[s][c]) mx[s][c] = v;
            }
        }
    }
global_pool_write:
    for (int c = 0; c < CH; c++) {
#pragma HLS PIPELINE II=1
        for (int s = 0; s < COARSE; s++) {
#pragma HLS UNROLL
            if (MODE == POOL_MAX) out[s].write(out_t(mx[s][c]));
            else out[s].write(div_round<out_t, frac_of<in_t>(), SUM_W>(sum[s][c], PIXELS));
        }
    }
    }
}

}  // namespace sdf

#endif  // SDF_POOL_HPP
