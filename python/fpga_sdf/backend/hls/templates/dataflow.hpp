// fpga-sdf HLS templates: the glue fpga-translate puts between layers of a partition.
//
// A bundle of N streams carries a feature map in the flat streaming order (channels
// fastest, then W, H, D) with word i on stream i % N. Layers with different coarse factors
// are joined by `squeeze`, the partition's memory ports by `dma_in` / `dma_out`, and
// reloaded weights are copied from their AXI master port by `load_array`.
#ifndef SDF_DATAFLOW_HPP
#define SDF_DATAFLOW_HPP

#include "sdf_common.hpp"

namespace sdf {

// Compile-time gcd / lcm of the stream counts.
constexpr int cgcd(int a, int b) { return b == 0 ? a : cgcd(b, a % b); }
constexpr int clcm(int a, int b) { return a / cgcd(a, b) * b; }

// Re-stream WORDS words from NI to NO streams (word i: in[i % NI] -> out[i % NO]),
// converting each word to out_t (round half up, saturate; exact when the formats agree).
// Blocks of lcm(NI, NO) words go through a register buffer: NI words in per cycle, NO out.
template <typename in_t, typename out_t, int NI, int NO, int WORDS>
void squeeze(hls::stream<in_t> in[NI], hls::stream<out_t> out[NO]) {
#pragma HLS INLINE off
    const int L = clcm(NI, NO);
    static_assert(WORDS % L == 0, "the stream counts must divide the words of the map");
    in_t buf[L];
#pragma HLS ARRAY_PARTITION variable=buf complete dim=1
squeeze_loop:
    for (int b = 0; b < WORDS / L; b++) {
    squeeze_read:
        for (int r = 0; r < L / NI; r++) {
#pragma HLS PIPELINE II=1
            for (int s = 0; s < NI; s++) {
#pragma HLS UNROLL
                buf[r * NI + s] = in[s].read();
            }
        }
    squeeze_write:
        for (int w = 0; w < L / NO; w++) {
#pragma HLS PIPELINE II=1
            for (int s = 0; s < NO; s++) {
#pragma HLS UNROLL
                out[s].write(out_t(buf[w * NO + s]));
            }
        }
    }
}

// Memory (AXI master) -> bundle of N streams, one frame of WORDS words.
template <typename T, int WORDS, int N>
void dma_in(const T* mem, hls::stream<T> out[N]) {
#pragma HLS INLINE off
    static_assert(WORDS % N == 0, "N must divide the words of the map");
dma_in_loop:
    for (int i = 0; i < WORDS / N; i++) {
#pragma HLS PIPELINE II=1
        for (int s = 0; s < N; s++) {
#pragma HLS UNROLL
            out[s].write(mem[i * N + s]);
        }
    }
}

// Bundle of N streams -> memory (AXI master), one frame of WORDS words.
template <typename T, int WORDS, int N>
void dma_out(hls::stream<T> in[N], T* mem) {
#pragma HLS INLINE off
    static_assert(WORDS % N == 0, "N must divide the words of the map");
dma_out_loop:
    for (int i = 0; i < WORDS / N; i++) {
#pragma HLS PIPELINE II=1
        for (int s = 0; s < N; s++) {
#pragma HLS UNROLL
            mem[i * N + s] = in[s].read();
        }
    }
}

// Reloaded parameters: copy N values from an AXI master port into on-chip memory.
template <typename T, int N>
void load_array(const T* mem, T (&dst)[N]) {
#pragma HLS INLINE off
load_array_loop:
    for (int i = 0; i < N; i++) {
#pragma HLS PIPELINE II=1
        dst[i] = mem[i];
    }
}

// A constant table for C-simulation: the same exact literals as the synthesis ROM, converted
// by the same ap_fixed(double) constructor, but from a plain double array in a loop (a
// brace list of thousands of ap_fixed constructions takes g++ minutes; this takes a second).
// Generated code uses it only when __SYNTHESIS__ is not defined.
template <typename T, int N>
struct rom {
    T v[N];
    explicit rom(const double (&lit)[N]) {
        for (int i = 0; i < N; i++) v[i] = T(lit[i]);
    }
};

}  // namespace sdf

#endif  // SDF_DATAFLOW_HPP
