// fpga-sdf HLS templates: the glue fpga-translate puts between layers of a partition.
//
// A bundle of N streams carries a feature map in the flat streaming order (channels
// fastest, then W, H, D) with word i on stream i % N. Layers with different coarse factors
// are joined by `squeeze`, the partition's memory ports by `dma_in` / `dma_out`, and
// the constants of generated layers are built for C-simulation by `rom`.
#ifndef SDF_DATAFLOW_HPP
#define SDF_DATAFLOW_HPP

#include "sdf_common.hpp"

namespace sdf {

// Compile-time gcd / lcm of the stream counts.
constexpr int cgcd(int a, int b) { return b == 0 ? a : cgcd(b, a % b); }
constexpr int clcm(int a, int b) { return a / cgcd(a, b) * b; }

// Re-stream WORDS words from NI to NO streams (word i: in[i % NI] -> out[i % NO]),
// converting each word to out_t (round half up, saturate; exact when the formats agree).
// Blocks of L = lcm(NI, NO) words go through a register buffer in one pipelined loop of
// max(L/NI, L/NO) cycles per block: NI words in on each of the first L/NI cycles, NO out on
// each of the last L/NO (a word is always read by the cycle it is written out), so the rate
// is WORDS / min(NI, NO) cycles per frame, the model's squeeze interval.
template <typename in_t, typename out_t, int NI, int NO, int WORDS>
void squeeze(hls::stream<in_t> in[NI], hls::stream<out_t> out[NO], int frames = 1) {
#pragma HLS INLINE off
    const int L = clcm(NI, NO), READS = L / NI, WRITES = L / NO;
    const int STEPS = READS > WRITES ? READS : WRITES, FIRST_WRITE = STEPS - WRITES;
    static_assert(WORDS % L == 0, "the stream counts must divide the words of the map");
    in_t buf[L];
#pragma HLS ARRAY_PARTITION variable=buf complete dim=1
    int t = 0;
squeeze_loop:
    for (int i = 0; i < frames * (WORDS / L) * STEPS; i++) {
#pragma HLS PIPELINE II=1
        SDF_COUNT_LOOP("squeeze_loop")
        if (t < READS) {
            for (int s = 0; s < NI; s++) {
#pragma HLS UNROLL
                buf[t * NI + s] = in[s].read();
            }
        }
        if (t >= FIRST_WRITE) {
            const int w = t - FIRST_WRITE;
            for (int s = 0; s < NO; s++) {
#pragma HLS UNROLL
                out[s].write(out_t(buf[w * NO + s]));
            }
        }
        t = t == STEPS - 1 ? 0 : t + 1;
    }
}

// The write lag of a re-pack block (see repack): output word w of a block (pixels
// (w / CO) PO .., channels (w % CO) NO ..) needs input word need(w) = ((w / CO + 1) PO - 1)
// / PI x CI + ((w % CO + 1) NO - 1) / NI of the same block; writing word w at step LAG + w,
// LAG = max(0, max_w need(w) - w), writes every word on or after the step its last value is
// read (fpga_sdf.backend.hls.squeeze.repack_lag, the same sum).
constexpr int repack_lag(int C, int NI, int PI, int NO, int PO) {
    int lag = 0;
    const int B = clcm(PI, PO), CI = C / NI, CO = C / NO, RO = B * C / (NO * PO);
    for (int w = 0; w < RO; w++) {
        const int need = ((w / CO + 1) * PO - 1) / PI * CI + ((w % CO + 1) * NO - 1) / NI;
        if (need - w > lag) lag = need - w;
    }
    return lag;
}

// Re-pack a map of C channels and PIXELS pixels between NI streams of PI-pixel words and NO
// streams of PO-pixel words (multi-pixel layers; lane s * P + x holds pixel x of stream s's
// word, channel c is on stream c % N, words in the order channels, words of a row, rows),
// converting each value to out_t. Blocks of B = lcm(PI, PO) pixels of a row (all C channels)
// take STEPS = max(RI, RO) cycles each, RI = B C / (NI PI) words in on the block's first RI
// steps, RO = B C / (NO PO) out on steps LAG .. LAG + RO - 1 (repack_lag: each word once its
// values are in), so the rate is C PIXELS / min(NI PI, NO PO) cycles per frame (the model's
// edge converter) and a block is written out within its own STEPS: its last word never waits
// for a word of the next block. (Writing block n while block n + 1 is read would: at a row's
// end the next block is the next row's, which a strided producer makes only after reading
// rows more, and where branches join, the other branch's FIFO, sized for the layers' own
// needs, fills first: the tiny ResNet's block.conv1 at 4 pixels a word, coarse 2, deadlocked
// so.) The emitter builds only re-packs where LAG + RO <= STEPS (equal stream counts, or
// equal pixels per word, always do) and splits the others into a re-stream and a re-pack.
template <typename in_t, typename out_t, int C, int PIXELS, int NI, int PI, int NO, int PO>
void repack(hls::stream<in_t> in[NI * PI], hls::stream<out_t> out[NO * PO], int frames = 1) {
#pragma HLS INLINE off
    const int B = clcm(PI, PO), RI = B * C / (NI * PI), RO = B * C / (NO * PO);
    const int STEPS = RI > RO ? RI : RO, CI = C / NI, CO = C / NO;
    const int LAG = repack_lag(C, NI, PI, NO, PO);
    static_assert(C % NI == 0 && C % NO == 0 && PIXELS % B == 0,
                  "the streams must divide the channels and lcm(PI, PO) the pixels of a row");
    static_assert(LAG + RO <= STEPS, "a block must be written within its own steps (split the re-pack)");
    const int BANKS = clcm(NI, NO);  // a write of NI channels and a read of NO hit distinct banks
    in_t buf[B][C];
#pragma HLS ARRAY_PARTITION variable=buf complete dim=1
#pragma HLS ARRAY_PARTITION variable=buf cyclic factor=BANKS dim=2
    (void)BANKS;  // read only by the pragma above (unused in C-simulation)
    int t = 0;
repack_loop:
    for (int i = 0; i < frames * (PIXELS / B) * STEPS; i++) {
#pragma HLS PIPELINE II=1
        SDF_COUNT_LOOP("repack_loop")
        if (t < RI) {  // word t / CI of the block, channels (t % CI) * NI ..
            for (int s = 0; s < NI; s++) {
#pragma HLS UNROLL
                for (int x = 0; x < PI; x++) {
#pragma HLS UNROLL
                    buf[(t / CI) * PI + x][(t % CI) * NI + s] = in[s * PI + x].read();
                }
            }
        }
        if (t >= LAG && t < LAG + RO) {  // word w of the block, its values read by now
            const int w = t - LAG;
            for (int s = 0; s < NO; s++) {
#pragma HLS UNROLL
                for (int x = 0; x < PO; x++) {
#pragma HLS UNROLL
                    out[s * PO + x].write(out_t(buf[(w / CO) * PO + x][(w % CO) * NO + s]));
                }
            }
        }
        t = t == STEPS - 1 ? 0 : t + 1;
    }
}

// Memory (AXI master) -> bundle of N streams, `frames` frames of WORDS words. The port is
// wide: a beat packs PER values (value k at bits k*W ..; PER a multiple of N), each frame
// starts on a new beat. One beat is read every PER/N cycles and shifted out N values a cycle.
template <typename T, int WORDS, int N, int PER>
void dma_in(const ap_uint<PER * T::width>* mem, hls::stream<T> out[N], int frames = 1) {
#pragma HLS INLINE off
    static_assert(WORDS % N == 0 && PER % N == 0, "N must divide the words of the map and of a beat");
    const int W = T::width, STEPS = WORDS / N, BEATS = (WORDS + PER - 1) / PER;
    ap_uint<PER * W> beat = 0;
    int step = 0, used = PER, base = 0, next = 0;
dma_in_loop:
    for (int i = 0; i < frames * STEPS; i++) {
#pragma HLS PIPELINE II=1
        SDF_COUNT_LOOP("dma_in_loop")
        if (used == PER) {
            beat = mem[base + next];
            next++;
            used = 0;
        }
        for (int s = 0; s < N; s++) {
#pragma HLS UNROLL
            out[s].write(from_raw<T>(beat.range(s * W + W - 1, s * W)));
        }
        beat >>= N * W;
        used += N;
        if (++step == STEPS) {  // the next frame starts on its own beat
            step = 0;
            used = PER;
            base += BEATS;
            next = 0;
        }
    }
}

// Bundle of N streams -> memory (AXI master), `frames` frames of WORDS words, packed as
// dma_in reads them (the last beat of a frame zero-padded).
template <typename T, int WORDS, int N, int PER>
void dma_out(hls::stream<T> in[N], ap_uint<PER * T::width>* mem, int frames = 1) {
#pragma HLS INLINE off
    static_assert(WORDS % N == 0 && PER % N == 0, "N must divide the words of the map and of a beat");
    const int W = T::width, STEPS = WORDS / N, BEATS = (WORDS + PER - 1) / PER;
    ap_uint<PER * W> beat = 0;
    int step = 0, filled = 0, base = 0, next = 0;
dma_out_loop:
    for (int i = 0; i < frames * STEPS; i++) {
#pragma HLS PIPELINE II=1
        SDF_COUNT_LOOP("dma_out_loop")
        beat.range(filled * W + N * W - 1, filled * W) = read_group<T, N>(in);
        filled += N;
        const bool last = ++step == STEPS;
        if (filled == PER || last) {
            mem[base + next] = beat;
            next++;
            beat = 0;
            filled = 0;
        }
        if (last) {
            step = 0;
            base += BEATS;
            next = 0;
        }
    }
}

// A constant table for C-simulation: the same exact literals as the synthesis ROM, converted
// by the same ap_fixed(double) constructor, but from a plain double array in a loop (a
// brace list of thousands of ap_fixed constructions takes g++ minutes; this takes a second).
// N values from n literals repeated (per-lane copies of one table). Generated code uses it
// only when __SYNTHESIS__ is not defined.
template <typename T, int N>
struct rom {
    T v[N];
    rom(const double* lit, int n) {
        for (int i = 0; i < N; i++) v[i] = T(lit[i % n]);
    }
};

}  // namespace sdf

#endif  // SDF_DATAFLOW_HPP
