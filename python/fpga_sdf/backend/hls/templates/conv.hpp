// fpga-sdf HLS templates: the modules of a convolution / inner product layer.
//
// The layer is the module chain the hardware model costs (fpga_sdf.model.modules), each a
// DATAFLOW process of its own, pipelined at II=1, looping over the frames of the batch:
//
//   sliding_window x NI -> fork x NI (CO > 1) -> conv x NI*CO  <- weights_memory (NI*CO banks)
//                       -> accum x NI*CO (ACC_IN > 1) -> glue x NO (CI > 1) -> bias x NO
//
// with NI = CI * CG input streams (channel c on stream c % NI), NO = CO * CG output streams
// (filter f on stream f % NO). Lane s*CO + j of conv/accum is MAC unit (s, j): input stream
// s = g*CI + i, filter lane j. Unit (s, j) sees the windows of channels c = cl*NI + s
// (cl < CH = C/NI) and computes, per window, the COUT_S = FG/CO filters
// f = (c / CG_CH) * FG + fo * CO + j of that channel's group (CG_CH = C/GROUPS, FG = F/GROUPS).
// Its weights bank holds, at address (cl * COUT_S + fo) * (KVOL/FINE) + ko, the FINE taps
// ko*FINE .. of w[f][c % CG_CH] (fpga_sdf.backend.hls.conv builds it).
//
// Numerics: the MAC sums exact products into acc_t, which wraps like a two's complement
// register, so the split into conv / accum / glue never changes the sum; bias adds the
// bias in acc_t and converts to out_t (round half up, saturate).
#ifndef SDF_CONV_HPP
#define SDF_CONV_HPP

#include "sdf_common.hpp"
#include "sliding_window.hpp"

// A multiply of the MAC units: a test build defines it to count them in the C-simulation
// (SDF_COUNT_LOOP("multiplies"): per conv_loop iteration, the multipliers Vitis builds at
// II=1), to compare with the DSPs the model counts; elsewhere it is nothing.
#ifndef SDF_COUNT_MULTIPLY
#ifdef SDF_COUNT_MULTIPLIES
#define SDF_COUNT_MULTIPLY() SDF_COUNT_LOOP("multiplies")
#else
#define SDF_COUNT_MULTIPLY()
#endif
#endif

namespace sdf {

// fork: every window of each of LANES streams to CO filter lanes (out[s * CO + j]); with Q
// windows a word (multi-pixel), window y of stream s (in[s * Q + y]) goes to MAC array y of
// units (s, j): out[(s * CO + j) * Q + y].
template <typename T, int WORDS, int CO, int LANES, int Q = 1>
void fork(hls::stream<T> in[LANES * Q], hls::stream<T> out[LANES * CO * Q], int frames = 1) {
#pragma HLS INLINE off
fork_loop:
    for (int i = 0; i < frames * WORDS; i++) {
#pragma HLS PIPELINE II=1
        SDF_COUNT_LOOP("fork_loop")
        for (int s = 0; s < LANES; s++) {
#pragma HLS UNROLL
            for (int y = 0; y < Q; y++) {
#pragma HLS UNROLL
                const T v = in[s * Q + y].read();
                for (int j = 0; j < CO; j++) {
#pragma HLS UNROLL
                    out[(s * CO + j) * Q + y].write(v);
                }
            }
        }
    }
}

// weights_memory: each bank streams its FINE-wide words in address order, once per window
// position (REPEAT times per frame). One read per bank per cycle: the banks are the
// ARRAY_PARTITION (or, packed, ARRAY_RESHAPE) the emitter puts on the array it passes.
template <typename w_t, int FINE, int DEPTH, int REPEAT, int LANES>
void weights_memory(const w_t (&banks)[LANES][DEPTH][FINE], hls::stream<vec<w_t, FINE> > out[LANES],
                    int frames = 1) {
#pragma HLS INLINE
    int addr = 0;
weights_memory_loop:
    for (int i = 0; i < frames * REPEAT * DEPTH; i++) {
#pragma HLS PIPELINE II=1
        SDF_COUNT_LOOP("weights_memory_loop")
        for (int u = 0; u < LANES; u++) {
#pragma HLS UNROLL
            vec<w_t, FINE> word;
            for (int k = 0; k < FINE; k++) {
#pragma HLS UNROLL
                word.v[k] = banks[u][addr][k];
            }
            out[u].write(word);
        }
        addr = addr == DEPTH - 1 ? 0 : addr + 1;
    }
}

// Weights held on chip but loaded from off-chip memory (reloaded weights, weights too large
// to be literals, URAM): LANES x DEPTH x FINE values in bank order from a wide port of PER
// values per beat (value k at bits k*W ..), one bank write per cycle, before the batch (and
// once per reloading run).
template <typename w_t, int FINE, int DEPTH, int LANES, int PER>
void load_banks(const ap_uint<PER * w_t::width>* mem, w_t (&banks)[LANES][DEPTH][FINE]) {
#pragma HLS INLINE
    const int W = w_t::width;
    ap_uint<PER * W> beat = 0;
load_banks_loop:
    for (int i = 0; i < LANES * DEPTH * FINE; i++) {
#pragma HLS PIPELINE II=1
        SDF_COUNT_LOOP("load_banks_loop")
        if (i % PER == 0) beat = mem[i / PER];
        banks[i / (DEPTH * FINE)][(i / FINE) % DEPTH][i % FINE] = from_raw<w_t>(beat.range(W - 1, 0));
        beat >>= W;
    }
}

// The bias counterpart: LANES x DEPTH values, lane-major.
template <typename b_t, int DEPTH, int LANES, int PER>
void load_lanes(const ap_uint<PER * b_t::width>* mem, b_t (&lanes)[LANES][DEPTH]) {
#pragma HLS INLINE
    const int W = b_t::width;
    ap_uint<PER * W> beat = 0;
load_lanes_loop:
    for (int i = 0; i < LANES * DEPTH; i++) {
#pragma HLS PIPELINE II=1
        SDF_COUNT_LOOP("load_lanes_loop")
        if (i % PER == 0) beat = mem[i / PER];
        lanes[i / DEPTH][i % DEPTH] = from_raw<b_t>(beat.range(W - 1, 0));
        beat >>= W;
    }
}

// The exact product of an A and a B (what `a * b` of the two ap_fixed types gives).
template <typename A, typename B>
using product_t = ap_fixed<A::width + B::width, A::iwidth + B::iwidth>;

// Two products sharing an operand in one multiply (model/dsp.py `packs`, Xilinx WP486, the
// RTL's mac_common.packed_pair): s times (hi << PW) + lo, PW = the product width. Its low PW
// bits are s * lo; its high PW bits are s * hi less the borrow of a negative low part, so
// adding the low part's sign bit back recovers s * hi. The packed operand is 2 P + S + 1 bits
// (25 at 8 bits), one DSP on both families; BIND_OP keeps Vitis from splitting it into
// partial products. Lane pairs share the weight (s = w, lo / hi two arrays' taps), unit
// pairs the tap (s = x, lo / hi two units' weights).
template <typename S, typename P>
void packed_products(const S& s, const P& lo, const P& hi, product_t<S, P>& p_lo, product_t<S, P>& p_hi) {
#pragma HLS INLINE
    const int PW = S::width + P::width;
    const ap_int<PW + P::width + 1> packed = (ap_int<PW + P::width + 1>(raw(hi)) << PW) + raw(lo);
    const ap_int<2 * PW + 1> m = packed * raw(s);
#pragma HLS BIND_OP variable=m op=mul impl=dsp
    SDF_COUNT_MULTIPLY()
    const ap_int<PW> low = m.range(PW - 1, 0);
    const ap_int<PW> high = ap_int<PW>(m.range(2 * PW - 1, PW)) + ap_uint<1>(m[PW - 1]);
    p_lo = from_raw<product_t<S, P> >(low);
    p_hi = from_raw<product_t<S, P> >(high);
}

// conv (the MAC unit): per window, COUT_S dot products of KVOL taps, FINE multipliers per
// cycle, KVOL/FINE cycles per dot product (II=1 over windows * COUT_S * KVOL/FINE). With Q
// windows a word (multi-pixel) a unit holds Q MAC arrays that share the unit's one weights
// read per cycle; WINDOWS counts words of Q windows. LANES window streams (lanes v * Q + y
// of win) feed UNITS units each: unit u = v * UNITS + t reads weights[u] and writes
// out[u * Q + y]. The packing is where the model counts it (fpga_sdf.backend.hls.conv sets
// PAIRS / UNITS from model/dsp.py mac_dsp):
//   UNITS = 2 (a unit pair, dsp.pairs_units): every tap times both units' weights in one
//     packed multiply;
//   else arrays 2i and 2i + 1 (i < PAIRS) multiply each tap pair by the shared weight in one
//     packed multiply, an array left over alone; the rest are plain products.
// CI > 1 (a 1x1 conv, model/dsp.py sums_coarse_in): the CI units (g, i, j) of each output
// stream o = g * CO + j (unit u = (g * CI + i) * CO + j) are added here, as the glue would:
// out[o * Q + y] is their sum.
template <typename win_t, typename in_t, typename w_t, typename acc_t, int KVOL, int FINE,
          int WINDOWS, int COUT_S, int LANES, int Q = 1, int PAIRS = 0, int UNITS = 1, int CI = 1, int CO = 1>
void conv(hls::stream<win_t> win[LANES * Q], hls::stream<vec<w_t, FINE> > weights[LANES * UNITS],
          hls::stream<acc_t> out[LANES * UNITS * Q / CI], int frames = 1) {
#pragma HLS INLINE off
    static_assert(KVOL % FINE == 0, "FINE must divide the kernel volume");
    static_assert(2 * PAIRS <= Q, "a packed lane pair takes two MAC arrays");
    static_assert(UNITS == 1 || (UNITS == 2 && PAIRS == 0), "a unit pair packs over its units only");
    const int KO = KVOL / FINE;
    vec<in_t, KVOL> window[LANES * Q];
    acc_t acc[LANES * UNITS * Q];
#pragma HLS ARRAY_PARTITION variable=window complete dim=0
#pragma HLS ARRAY_PARTITION variable=acc complete dim=1
    int fo = 0, ko = 0;
conv_loop:
    for (int i = 0; i < frames * WINDOWS * COUT_S * KO; i++) {
#pragma HLS PIPELINE II=1
        SDF_COUNT_LOOP("conv_loop")
        for (int v = 0; v < LANES; v++) {
#pragma HLS UNROLL
            vec<w_t, FINE> w[UNITS];
            for (int t = 0; t < UNITS; t++) {
#pragma HLS UNROLL
                w[t] = weights[v * UNITS + t].read();
            }
            for (int y = 0; y < Q; y++) {
#pragma HLS UNROLL
                if (fo == 0 && ko == 0) window[v * Q + y] = as_vec(win[v * Q + y].read());
            }
            product_t<in_t, w_t> prod[UNITS][Q][FINE];
#pragma HLS ARRAY_PARTITION variable=prod complete dim=0
            for (int k = 0; k < FINE; k++) {
#pragma HLS UNROLL
                for (int y = 0; y < Q; y++) {
#pragma HLS UNROLL
                    const in_t x = window[v * Q + y].v[ko * FINE + k];
                    if (UNITS == 2) {
                        packed_products(x, w[0].v[k], w[UNITS - 1].v[k], prod[0][y][k], prod[UNITS - 1][y][k]);
                    } else if (y < 2 * PAIRS && y % 2 == 0) {
                        packed_products(w[0].v[k], x, window[v * Q + y + 1].v[ko * FINE + k], prod[0][y][k],
                                        prod[0][y + 1][k]);
                    } else if (y >= 2 * PAIRS) {
                        prod[0][y][k] = x * w[0].v[k];
                        SDF_COUNT_MULTIPLY()
                    }
                }
            }
            for (int t = 0; t < UNITS; t++) {
#pragma HLS UNROLL
                for (int y = 0; y < Q; y++) {
#pragma HLS UNROLL
                    const int a = (v * UNITS + t) * Q + y;
                    acc_t sum = ko == 0 ? acc_t(0) : acc[a];
                    for (int k = 0; k < FINE; k++) {
#pragma HLS UNROLL
                        sum += prod[t][y][k];
                    }
                    acc[a] = sum;
                    if (CI == 1 && ko == KO - 1) out[a].write(sum);
                }
            }
        }
        if (CI > 1 && ko == KO - 1) {
            for (int o = 0; o < LANES * UNITS / CI; o++) {
#pragma HLS UNROLL
                for (int y = 0; y < Q; y++) {
#pragma HLS UNROLL
                    acc_t s = 0;
                    for (int i = 0; i < CI; i++) {
#pragma HLS UNROLL
                        s += acc[((o / CO * CI + i) * CO + o % CO) * Q + y];
                    }
                    out[o * Q + y].write(s);
                }
            }
        }
        if (ko < KO - 1) {
            ko++;
        } else {
            ko = 0;
            fo = fo == COUT_S - 1 ? 0 : fo + 1;
        }
    }
}

// The FCUs of an inner product at P pixels a word: unit u's P FCUs read a word of P features
// (lanes u * P + x) and, per filter, the word of their own P weights, and a tree sums the P
// products into one partial dot product (one output lane per unit): WORDS words per frame,
// COUT_S filters each, a cycle per word and filter.
template <typename in_t, typename w_t, typename acc_t, int P, int WORDS, int COUT_S, int LANES>
void fcu(hls::stream<in_t> in[LANES * P], hls::stream<vec<w_t, P> > weights[LANES],
         hls::stream<acc_t> out[LANES], int frames = 1) {
#pragma HLS INLINE off
    in_t word[LANES][P];
#pragma HLS ARRAY_PARTITION variable=word complete dim=0
    int fo = 0;
conv_loop:
    for (int i = 0; i < frames * WORDS * COUT_S; i++) {
#pragma HLS PIPELINE II=1
        SDF_COUNT_LOOP("conv_loop")
        for (int u = 0; u < LANES; u++) {
#pragma HLS UNROLL
            if (fo == 0) {
                for (int x = 0; x < P; x++) {
#pragma HLS UNROLL
                    word[u][x] = in[u * P + x].read();
                }
            }
            const vec<w_t, P> w = weights[u].read();
            acc_t sum = 0;
            for (int x = 0; x < P; x++) {
#pragma HLS UNROLL
                sum += word[u][x] * w.v[x];
                SDF_COUNT_MULTIPLY()
            }
            out[u].write(sum);
        }
        fo = fo == COUT_S - 1 ? 0 : fo + 1;
    }
}

// accum: sums the ACC_IN consecutive channels (of one group) each MAC unit sees, for each of
// its COUT_S filters: a buffer of COUT_S partial sums, II=1.
template <typename acc_t, int ACC_IN, int COUT_S, int OUTER, int LANES>
void accum(hls::stream<acc_t> in[LANES], hls::stream<acc_t> out[LANES], int frames = 1) {
#pragma HLS INLINE off
    acc_t buf[LANES][COUT_S];
#pragma HLS ARRAY_PARTITION variable=buf complete dim=1
    int a = 0, fo = 0;
accum_loop:
    for (int i = 0; i < frames * OUTER * ACC_IN * COUT_S; i++) {
#pragma HLS PIPELINE II=1
        SDF_COUNT_LOOP("accum_loop")
        for (int u = 0; u < LANES; u++) {
#pragma HLS UNROLL
            const acc_t v = in[u].read();
            const acc_t s = a == 0 ? v : acc_t(buf[u][fo] + v);
            buf[u][fo] = s;
            if (a == ACC_IN - 1) out[u].write(s);
        }
        if (fo < COUT_S - 1) {
            fo++;
        } else {
            fo = 0;
            a = a == ACC_IN - 1 ? 0 : a + 1;
        }
    }
}

// glue: output lane o = g*CO + j adds the CI input lanes of its filter lane (an adder tree);
// with Q pixels a word, per pixel y: out[o * Q + y] sums in[((g*CI + i)*CO + j) * Q + y].
template <typename acc_t, int CI, int CO, int CG, int WORDS, int Q = 1>
void glue(hls::stream<acc_t> in[CG * CI * CO * Q], hls::stream<acc_t> out[CG * CO * Q], int frames = 1) {
#pragma HLS INLINE off
glue_loop:
    for (int n = 0; n < frames * WORDS; n++) {
#pragma HLS PIPELINE II=1
        SDF_COUNT_LOOP("glue_loop")
        for (int g = 0; g < CG; g++) {
#pragma HLS UNROLL
            for (int j = 0; j < CO; j++) {
#pragma HLS UNROLL
                for (int y = 0; y < Q; y++) {
#pragma HLS UNROLL
                    acc_t s = 0;
                    for (int i = 0; i < CI; i++) {
#pragma HLS UNROLL
                        s += in[((g * CI + i) * CO + j) * Q + y].read();
                    }
                    out[(g * CO + j) * Q + y].write(s);
                }
            }
        }
    }
}

// bias: lane o adds its own bias ROM (DEPTH values, cycling per position) and converts;
// with Q pixels a word the Q lanes o * Q + y of stream o share its one read.
template <typename acc_t, typename b_t, typename out_t, int DEPTH, int REPEAT, int LANES, int Q = 1>
void bias(hls::stream<acc_t> in[LANES * Q], hls::stream<out_t> out[LANES * Q],
          const b_t (&values)[LANES][DEPTH], int frames = 1) {
#pragma HLS INLINE
    int r = 0;
bias_loop:
    for (int n = 0; n < frames * REPEAT * DEPTH; n++) {
#pragma HLS PIPELINE II=1
        SDF_COUNT_LOOP("bias_loop")
        for (int o = 0; o < LANES; o++) {
#pragma HLS UNROLL
            const b_t b = values[o][r];
            for (int y = 0; y < Q; y++) {
#pragma HLS UNROLL
                const acc_t s = in[o * Q + y].read() + b;
                out[o * Q + y].write(out_t(s));
            }
        }
        r = r == DEPTH - 1 ? 0 : r + 1;
    }
}

// Bank layout of the weights (see the header comment): flat w (F, C/GROUPS, KVOL) in C order
// -> banks[s*CO + j][(cl*COUT_S + fo)*KO + ko][k]; bias (F,) -> lanes[g*CO + j][gl*COUT_S + fo]
// for the filters of output lane g*CO + j in stream order.
template <int C, int F, int GROUPS, int KVOL, int CI, int CO, int CG, int FINE>
struct conv_banks {
    static const int NI = CI * CG, NO = CO * CG, CH = C / NI, CG_CH = C / GROUPS, FG = F / GROUPS;
    static const int COUT_S = FG / CO, KO = KVOL / FINE, DEPTH = CH * COUT_S * KO;
    static const int BIAS_DEPTH = F / NO;
    template <typename w_t>
    static void weights(const w_t* w, w_t (&banks)[NI * CO][DEPTH][FINE]) {
        for (int s = 0; s < NI; s++)
            for (int j = 0; j < CO; j++)
                for (int cl = 0; cl < CH; cl++)
                    for (int fo = 0; fo < COUT_S; fo++)
                        for (int ko = 0; ko < KO; ko++)
                            for (int k = 0; k < FINE; k++) {
                                const int c = cl * NI + s, f = (c / CG_CH) * FG + fo * CO + j;
                                banks[s * CO + j][(cl * COUT_S + fo) * KO + ko][k] =
                                    w[(f * CG_CH + c % CG_CH) * KVOL + ko * FINE + k];
                            }
    }
    template <typename b_t>
    static void bias(const b_t* b, b_t (&lanes)[NO][BIAS_DEPTH]) {
        for (int f = 0; f < F; f++) lanes[f % NO][f / NO] = b[f];
    }
};

// A whole convolution layer from flat weights (for template tests and small designs; the
// emitter instantiates the modules itself with ROMs already in bank layout). The folding
// must keep every group on whole streams: CG = 1, or CI = C/GROUPS and CO = F/GROUPS.
template <typename in_t, typename w_t, typename b_t, typename acc_t, typename out_t,
          typename G, int C, int F, int GROUPS = 1, int COARSE_IN = 1, int COARSE_OUT = 1,
          int COARSE_GROUP = 1, int FINE = 1>
void conv_layer(hls::stream<in_t> in[COARSE_IN * COARSE_GROUP],
                hls::stream<out_t> out[COARSE_OUT * COARSE_GROUP],
                const w_t (&weights)[F * (C / GROUPS) * G::KVOL], const b_t (&bias_values)[F],
                int frames = 1) {
#pragma HLS INLINE off
    typedef conv_banks<C, F, GROUPS, G::KVOL, COARSE_IN, COARSE_OUT, COARSE_GROUP, FINE> B;
    static_assert(C % GROUPS == 0 && F % GROUPS == 0, "groups must divide C and F");
    static_assert((C / GROUPS) % COARSE_IN == 0, "COARSE_IN must divide C / GROUPS");
    static_assert((F / GROUPS) % COARSE_OUT == 0, "COARSE_OUT must divide F / GROUPS");
    static_assert(GROUPS % COARSE_GROUP == 0, "COARSE_GROUP must divide GROUPS");
    static_assert(COARSE_GROUP == 1 || (COARSE_IN == C / GROUPS && COARSE_OUT == F / GROUPS),
                  "COARSE_GROUP > 1 needs every channel and filter of a group in parallel");
    static_assert(G::KVOL % FINE == 0, "FINE must divide the kernel volume");
    const int NI = B::NI, NO = B::NO, CO = COARSE_OUT, CI = COARSE_IN;
    const int ACC_IN = (C / GROUPS) / CI;
    static w_t banks[NI * CO][B::DEPTH][FINE];
    static b_t lanes[NO][B::BIAS_DEPTH];
    B::weights(weights, banks);
    B::bias(bias_values, lanes);
    hls::stream<vec<in_t, G::KVOL> > win[NI];
    hls::stream<vec<in_t, G::KVOL> > forked[NI * CO];
    hls::stream<vec<w_t, FINE> > wstream[NI * CO];
    hls::stream<acc_t> dots[NI * CO], sums[NI * CO], glued[NO];
    {
        SDF_DATAFLOW_REGION
        SDF_PROCESS(sliding_window<in_t, G, B::CH, NI>(in, win, in_t(0), frames));
        if (CO > 1) SDF_PROCESS(fork<vec<in_t, G::KVOL>, G::OUT_PIXELS * B::CH, CO, NI>(win, forked, frames));
        SDF_PROCESS(weights_memory<w_t, FINE, B::DEPTH, G::OUT_PIXELS, NI * CO>(banks, wstream, frames));
        SDF_PROCESS(conv<vec<in_t, G::KVOL>, in_t, w_t, acc_t, G::KVOL, FINE, G::OUT_PIXELS * B::CH,
                         B::COUT_S, NI * CO>(CO > 1 ? forked : win, wstream, dots, frames));
        if (ACC_IN > 1)
            SDF_PROCESS(accum<acc_t, ACC_IN, B::COUT_S, G::OUT_PIXELS * B::CH / ACC_IN, NI * CO>(dots, sums, frames));
        hls::stream<acc_t>* partial = ACC_IN > 1 ? sums : dots;
        if (CI > 1) SDF_PROCESS(glue<acc_t, CI, CO, COARSE_GROUP, G::OUT_PIXELS * B::BIAS_DEPTH>(partial, glued, frames));
        SDF_PROCESS(bias<acc_t, b_t, out_t, B::BIAS_DEPTH, G::OUT_PIXELS, NO>(CI > 1 ? glued : partial, out, lanes,
                                                                             frames));
    }
}

// Inner product (fully connected): x (K,) -> y (F,), weights flat (F, K): the conv modules
// on one position of K channels with a one-tap window (no sliding window).
template <typename in_t, typename w_t, typename b_t, typename acc_t, typename out_t, int K,
          int F, int COARSE_IN = 1, int COARSE_OUT = 1>
void inner_product(hls::stream<in_t> in[COARSE_IN], hls::stream<out_t> out[COARSE_OUT],
                   const w_t (&weights)[F * K], const b_t (&bias_values)[F], int frames = 1) {
#pragma HLS INLINE off
    typedef conv_banks<K, F, 1, 1, COARSE_IN, COARSE_OUT, 1, 1> B;
    static_assert(K % COARSE_IN == 0 && F % COARSE_OUT == 0, "coarse factors must divide K, F");
    const int CI = COARSE_IN, CO = COARSE_OUT, NI = CI;
    static w_t banks[NI * CO][B::DEPTH][1];
    static b_t lanes[CO][B::BIAS_DEPTH];
    B::weights(weights, banks);
    B::bias(bias_values, lanes);
    hls::stream<in_t> forked[NI * CO];
    hls::stream<vec<w_t, 1> > wstream[NI * CO];
    hls::stream<acc_t> dots[NI * CO], sums[NI * CO], glued[CO];
    {
        SDF_DATAFLOW_REGION
        if (CO > 1) SDF_PROCESS(fork<in_t, B::CH, CO, NI>(in, forked, frames));
        SDF_PROCESS(weights_memory<w_t, 1, B::DEPTH, 1, NI * CO>(banks, wstream, frames));
        SDF_PROCESS(conv<in_t, in_t, w_t, acc_t, 1, 1, B::CH, B::COUT_S, NI * CO>(CO > 1 ? forked : in, wstream, dots,
                                                                                 frames));
        if (B::CH > 1) SDF_PROCESS(accum<acc_t, B::CH, B::COUT_S, 1, NI * CO>(dots, sums, frames));
        hls::stream<acc_t>* partial = B::CH > 1 ? sums : dots;
        if (CI > 1) SDF_PROCESS(glue<acc_t, CI, CO, 1, B::BIAS_DEPTH>(partial, glued, frames));
        SDF_PROCESS(bias<acc_t, b_t, out_t, B::BIAS_DEPTH, 1, CO>(CI > 1 ? glued : partial, out, lanes, frames));
    }
}

}  // namespace sdf

#endif  // SDF_CONV_HPP
