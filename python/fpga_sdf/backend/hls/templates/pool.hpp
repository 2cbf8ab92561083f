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

// Reduce each window of KVOL taps (one per stream) to one value, CH channels per position,
// FINE taps per cycle: KO = ceil(KVOL / FINE) cycles per window (the model's pool ii, and the
// RTL's). Max: the largest tap, converted to out_t (round half up, saturate). Avg: the exact
// sum of the taps divided by the number of in-bounds taps (COUNT_PAD = false) or by KVOL
// (COUNT_PAD = true), rounded half up into out_t (fpga_sdf.interp.kernels.pool_fixed).
// With Q windows a word (multi-pixel) each stream has Q trees in lock-step: lane s * Q + y
// takes window y of the word (output column ow * Q + y); ow counts words of the row.
template <typename in_t, typename out_t, typename G, int CH, int MODE, bool COUNT_PAD, int LANES = 1,
          int FINE = G::KVOL, int Q = 1>
void pool(hls::stream<vec<in_t, G::KVOL> > win[LANES * Q], hls::stream<out_t> out[LANES * Q], int frames = 1) {
#pragma HLS INLINE off
    static_assert(G::OW % Q == 0, "Q must divide the output row");
    const int SUM_W = in_t::width + bits_for(G::KVOL);
    const int KO = (G::KVOL + FINE - 1) / FINE;
    vec<in_t, G::KVOL> window[LANES * Q];
    in_t best[LANES * Q];
    ap_int<SUM_W> total[LANES * Q];
#pragma HLS ARRAY_PARTITION variable=window complete dim=0
#pragma HLS ARRAY_PARTITION variable=best complete dim=1
#pragma HLS ARRAY_PARTITION variable=total complete dim=1
    int c = 0, ow = 0, oh = 0, od = 0, ko = 0;
pool_loop:
    for (int i = 0; i < frames * (G::OUT_PIXELS / Q) * CH * KO; i++) {
#pragma HLS PIPELINE II=1
        SDF_COUNT_LOOP("pool_loop")
        for (int s = 0; s < LANES * Q; s++) {  // lane s: window s % Q of stream s / Q
#pragma HLS UNROLL
            const int den = COUNT_PAD ? G::KVOL
                                      : taps_inside<G::D, G::KD, G::SD, G::PD0>(od) *
                                            taps_inside<G::H, G::KH, G::SH, G::PH0>(oh) *
                                            taps_inside<G::W, G::KW, G::SW, G::PW0>(ow * Q + s % Q);
            if (ko == 0) window[s] = win[s].read();
            in_t m = ko == 0 ? window[s].v[0] : best[s];
            ap_int<SUM_W> sum = ko == 0 ? ap_int<SUM_W>(0) : total[s];
            for (int k = 0; k < FINE; k++) {
#pragma HLS UNROLL
                const int tap = ko * FINE + k;
                if (tap < G::KVOL) {
                    const in_t v = window[s].v[tap];
                    if (v > m) m = v;
                    sum += raw(v);
                }
            }
            best[s] = m;
            total[s] = sum;
            if (ko == KO - 1) {
                if (MODE == POOL_MAX) out[s].write(out_t(m));
                else out[s].write(div_round<out_t, frac_of<in_t>(), SUM_W>(sum, den));
            }
        }
        if (ko < KO - 1) {
            ko++;
            continue;
        }
        ko = 0;
        if (c == CH - 1) {
            c = 0;
            if (ow == G::OW / Q - 1) {
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
// streams (FINE taps reduced per cycle), channel c on stream c % COARSE, each with its own sliding window and pool unit.
// Max pads with the minimum of in_t, avg with 0.
template <typename in_t, typename out_t, typename G, int C, int MODE,
          bool COUNT_PAD = false, int COARSE = 1, int FINE = G::KVOL>
void pool_layer(hls::stream<in_t> in[COARSE], hls::stream<out_t> out[COARSE], int frames = 1) {
#pragma HLS INLINE off
    static_assert(C % COARSE == 0, "COARSE must divide C");
    static_assert(G::DD == 1 && G::DH == 1 && G::DW == 1, "pooling has no dilation");
#pragma HLS DATAFLOW
    hls::stream<vec<in_t, G::KVOL> > win[COARSE];
    const in_t pad = MODE == POOL_MAX ? min_value<in_t>() : in_t(0);
    SDF_DATAFLOW_REGION
    SDF_PROCESS(sliding_window<in_t, G, C / COARSE, COARSE>(in, win, pad, frames));
    SDF_PROCESS(pool<in_t, out_t, G, C / COARSE, MODE, COUNT_PAD, COARSE, FINE>(win, out, frames));
}

// Global pooling over all PIXELS (= D*H*W) positions: C outputs. Avg divides the exact sum
// by PIXELS with round half up; max converts the largest value. One pipelined loop over the
// batch: a channel's result is written as its last pixel arrives, so the rate is one word a
// cycle with no per-frame write phase (the model's PIXELS * C / COARSE cycles per frame).
// With P pixels a word (lanes s * P + x) a tree first reduces the word's P pixels, then the
// sum / maximum accumulates per channel as at one pixel: PIXELS / P words per channel.
template <typename in_t, typename out_t, int C, int PIXELS, int MODE, int COARSE = 1, int P = 1>
void global_pool(hls::stream<in_t> in[COARSE * P], hls::stream<out_t> out[COARSE], int frames = 1) {
#pragma HLS INLINE off
    static_assert(C % COARSE == 0 && PIXELS % P == 0, "COARSE must divide C, P the pixels");
    const int CH = C / COARSE, WORDS = PIXELS / P;
    const int SUM_W = in_t::width + bits_for(PIXELS);
    ap_int<SUM_W> sum[COARSE][CH];
    in_t mx[COARSE][CH];
#pragma HLS ARRAY_PARTITION variable=sum complete dim=1
#pragma HLS ARRAY_PARTITION variable=mx complete dim=1
    int c = 0, p = 0;
global_pool_loop:
    for (int i = 0; i < frames * WORDS * CH; i++) {
#pragma HLS PIPELINE II=1
        SDF_COUNT_LOOP("global_pool_loop")
        for (int s = 0; s < COARSE; s++) {
#pragma HLS UNROLL
            in_t word_max = in[s * P].read();
            ap_int<SUM_W> word_sum = raw(word_max);
            for (int x = 1; x < P; x++) {
#pragma HLS UNROLL
                const in_t v = in[s * P + x].read();
                word_sum += raw(v);
                if (v > word_max) word_max = v;
            }
            const ap_int<SUM_W> total = p == 0 ? word_sum : ap_int<SUM_W>(sum[s][c] + word_sum);
            const in_t m = p == 0 || word_max > mx[s][c] ? word_max : mx[s][c];
            sum[s][c] = total;
            mx[s][c] = m;
            if (p == WORDS - 1) {
                if (MODE == POOL_MAX) out[s].write(out_t(m));
                else out[s].write(div_round<out_t, frac_of<in_t>(), SUM_W>(total, PIXELS));
            }
        }
        if (c == CH - 1) {
            c = 0;
            p = p == WORDS - 1 ? 0 : p + 1;
        } else {
            c++;
        }
    }
}

}  // namespace sdf

#endif  // SDF_POOL_HPP
