// fpga-sdf HLS templates: convolution and inner product with coarse and fine folding.
#ifndef SDF_CONV_HPP
#define SDF_CONV_HPP

#include "sdf_common.hpp"
#include "sliding_window.hpp"

namespace sdf {

// The MAC datapath of a conv layer: fork + vector dot + accumulate + glue + bias.
//
// Per output position it (1) loads the windows of all C channels from the NI = CI * CG
// window streams (the fork: each window is kept and reused by every filter of its group),
// (2) runs the folded MAC loop nest, whose pipelined body holds CG x CO x CI x FINE
// multipliers:
//     for go < GROUPS/CG, fo < Fg/CO:           one output word per (gi, j) lane
//       for ci < Cg/CI, ko < KVOL/FINE:         II=1, the accumulate
//         unrolled gi < CG, j < CO, i < CI, fi < FINE: the multipliers and adder tree
// and (3) writes the F results to the NO = CO * CG output streams (filter f on f % NO).
// Cycles per position: C/NI + (GROUPS/CG)(Fg/CO)(Cg/CI)(KVOL/FINE) + F/NO.
//
// Numerics: acc_t (see acc_fixed) starts at the bias and adds the exact products; it wraps
// like a two's complement register, so the folding (summation order) never changes the
// result while the final sum fits; the conversion to out_t rounds half up and saturates.
// weights: flat (F, C/GROUPS, KD, KH, KW) in C order; bias: (F,) at the accumulator frac.
template <typename in_t, typename w_t, typename b_t, typename acc_t, typename out_t, int KVOL,
          int POSITIONS, int C, int F, int GROUPS, int CI, int CO, int CG, int FINE>
void conv_mac(hls::stream<in_t> win[CI * CG][KVOL], hls::stream<out_t> out[CO * CG],
              const w_t (&weights)[F * (C / GROUPS) * KVOL], const b_t (&bias)[F]) {
#pragma HLS INLINE off
    const int NI = CI * CG, NO = CO * CG;
    const int CG_CH = C / GROUPS, FG = F / GROUPS;
#pragma HLS ARRAY_PARTITION variable=weights cyclic factor=FINE dim=1

    static_assert(frac_of<acc_t>() == frac_of<in_t>() + frac_of<w_t>(),
                  "accumulator frac must be input frac + weight frac");
    static_assert(frac_of<b_t>() == frac_of<acc_t>(), "bias must be at the accumulator frac");

position_loop:
    for (int p = 0; p < POSITIONS; p++) {
        in_t wbuf[C / NI][NI][KVOL];
#pragma HLS ARRAY_PARTITION variable=wbuf complete dim=2
#pragma HLS ARRAY_PARTITION variable=wbuf cyclic factor=FINE dim=3
        out_t obuf[F / NO][NO];
#pragma HLS ARRAY_PARTITION variable=obuf complete dim=2

    load_loop:
        for (int cl = 0; cl < C / NI; cl++) {
#pragma HLS PIPELINE II=1
            for (int s = 0; s < NI; s++) {
#pragma HLS UNROLL
                for (int k = 0; k < KVOL; k++) {
#pragma HLS UNROLL
                    wbuf[cl][s][k] = win[s][k].read();
                }
            }
        }

    group_loop:
        for (int go = 0; go < GROUPS / CG; go++) {
        filter_loop:
            for (int fo = 0; fo < FG / CO; fo++) {
                acc_t acc[CG][CO];
#pragma HLS ARRAY_PARTITION variable=acc complete dim=0
                for (int gi = 0; gi < CG; gi++) {
#pragma HLS UNROLL
                    for (int j = 0; j < CO; j++) {
#pragma HLS UNROLL
                        acc[gi][j] = bias[((go * CG + gi) * FG) + fo * CO + j];
                    }
                }
            mac_loop:
                for (int it = 0; it < (CG_CH / CI) * (KVOL / FINE); it++) {
#pragma HLS PIPELINE II=1
                    const int ci = it / (KVOL / FINE), ko = it % (KVOL / FINE);
                    for (int gi = 0; gi < CG; gi++) {
#pragma HLS UNROLL
                        const int g = go * CG + gi;
                        for (int j = 0; j < CO; j++) {
#pragma HLS UNROLL
                            const int f = g * FG + fo * CO + j;
                            for (int i = 0; i < CI; i++) {
#pragma HLS UNROLL
                                const int cg = ci * CI + i;   // channel within the group
                                const int c = g * CG_CH + cg;
                                for (int fi = 0; fi < FINE; fi++) {
#pragma HLS UNROLL
                                    const int k = ko * FINE + fi;
                                    acc[gi][j] += wbuf[c / NI][c % NI][k] *
                                                  weights[(f * CG_CH + cg) * KVOL + k];
                                }
                            }
                        }
                    }
                }
                for (int gi = 0; gi < CG; gi++) {
#pragma HLS UNROLL
                    for (int j = 0; j < CO; j++) {
#pragma HLS UNROLL
                        const int f = (go * CG + gi) * FG + fo * CO + j;
                        obuf[f / NO][f % NO] = out_t(acc[gi][j]);
                    }
                }
            }
        }

    write_loop:
        for (int fo = 0; fo < F / NO; fo++) {
#pragma HLS PIPELINE II=1
            for (int s = 0; s < NO; s++) {
#pragma HLS UNROLL
                out[s].write(obuf[fo][s]);
            }
        }
    }
}

// A convolution layer (2D: G::D = G::KD = 1; 3D otherwise), grouped/depthwise through
// GROUPS, folded by COARSE_IN (parallel input channels per group), COARSE_OUT (parallel
// filters per group), COARSE_GROUP (parallel groups) and FINE (parallel taps per window).
// Streams: in[COARSE_IN * COARSE_GROUP] (channel c on stream c % that count),
// out[COARSE_OUT * COARSE_GROUP] (filter f on stream f % that count).
// Legal folding (as fpga_sdf.model.folding): COARSE_IN | C/GROUPS, COARSE_OUT | F/GROUPS,
// COARSE_GROUP | GROUPS, FINE | KVOL.
template <typename in_t, typename w_t, typename b_t, typename acc_t, typename out_t,
          typename G, int C, int F, int GROUPS = 1, int COARSE_IN = 1, int COARSE_OUT = 1,
          int COARSE_GROUP = 1, int FINE = 1>
void conv_layer(hls::stream<in_t> in[COARSE_IN * COARSE_GROUP],
                hls::stream<out_t> out[COARSE_OUT * COARSE_GROUP],
                const w_t (&weights)[F * (C / GROUPS) * G::KVOL], const b_t (&bias)[F]) {
#pragma HLS INLINE off
    static_assert(C % GROUPS == 0 && F % GROUPS == 0, "groups must divide C and F");
    static_assert((C / GROUPS) % COARSE_IN == 0, "COARSE_IN must divide C / GROUPS");
    static_assert((F / GROUPS) % COARSE_OUT == 0, "COARSE_OUT must divide F / GROUPS");
    static_assert(GROUPS % COARSE_GROUP == 0, "COARSE_GROUP must divide GROUPS");
    static_assert(G::KVOL % FINE == 0, "FINE must divide the kernel volume");
    const int NI = COARSE_IN * COARSE_GROUP;
#pragma HLS DATAFLOW
    hls::stream<in_t> win[NI][G::KVOL];
#pragma HLS STREAM variable=win depth=2
    for (int s = 0; s < NI; s++) {
#pragma HLS UNROLL
        sliding_window<in_t, G, C / NI>(in[s], win[s], in_t(0));
    }
    conv_mac<in_t, w_t, b_t, acc_t, out_t, G::KVOL, G::OUT_PIXELS, C, F, GROUPS, COARSE_IN,
             COARSE_OUT, COARSE_GROUP, FINE>(win, out, weights, bias);
}

// Inner product (fully connected): x (K,) -> y (F,), weights flat (F, K), bias (F,) at the
// accumulator frac; the conv datapath on a 1x1 map of K channels with a 1x1 kernel (its
// sliding window degenerates to a one-word pass-through).
template <typename in_t, typename w_t, typename b_t, typename acc_t, typename out_t, int K,
          int F, int COARSE_IN = 1, int COARSE_OUT = 1>
void inner_product(hls::stream<in_t> in[COARSE_IN], hls::stream<out_t> out[COARSE_OUT],
                   const w_t (&weights)[F * K], const b_t (&bias)[F]) {
#pragma HLS INLINE off
    static_assert(K % COARSE_IN == 0 && F % COARSE_OUT == 0, "coarse factors must divide K, F");
    conv_layer<in_t, w_t, b_t, acc_t, out_t, geometry<1, 1, 1, 1, 1, 1>, K, F, 1, COARSE_IN,
               COARSE_OUT, 1, 1>(in, out, weights, bias);
}

}  // namespace sdf

#endif  // SDF_CONV_HPP
