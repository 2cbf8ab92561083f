// AutoWS weight fragments (model/weights_memory.py, seed 000): each MAC unit's weights memory
// of N fragments, each U_ON words kept on chip (the static region) then U_OFF words streamed
// from off-chip memory (the dynamic region), so its depth is N (U_ON + U_OFF). The dynamic
// regions arrive from an m_axi port through a stream of 2 U_OFF words a unit (the model's
// double-buffered stream_buffer: the next fragment lands while this one is read), fetched
// again every time the memory is cycled (once per output pixel, REPEAT times a frame).
#ifndef SDF_WEIGHTS_FRAGMENTS_HPP
#define SDF_WEIGHTS_FRAGMENTS_HPP

#include "sdf_common.hpp"

namespace sdf {

// The dynamic regions from memory: per cycle one word of FINE weights for each of the LANES
// units, the image (fragment by fragment, word by word, unit by unit, tap by tap, value k of
// a beat at bits k*W ..) read again from its first beat every REPEAT-th of a frame.
template <typename w_t, int FINE, int N, int U_OFF, int REPEAT, int LANES, int PER>
void fragment_dma(const ap_uint<PER * w_t::width>* mem, hls::stream<vec<w_t, FINE> > out[LANES],
                  int frames = 1) {
#pragma HLS INLINE
    static_assert(PER % (LANES * FINE) == 0, "a beat holds whole words of every unit");
    const int W = w_t::width, STEP = LANES * FINE, STEPS = N * U_OFF, PER_STEPS = PER / STEP;
    ap_uint<PER * W> beat = 0;
    int step = 0, used = PER_STEPS, next = 0;
fragment_dma_loop:
    for (int i = 0; i < frames * REPEAT * STEPS; i++) {
#pragma HLS PIPELINE II=1
        SDF_COUNT_LOOP("fragment_dma_loop")
        if (used == PER_STEPS) {
            beat = mem[next];
            next++;
            used = 0;
        }
        for (int u = 0; u < LANES; u++) {
#pragma HLS UNROLL
            vec<w_t, FINE> word;
            for (int k = 0; k < FINE; k++) {
#pragma HLS UNROLL
                word.v[k] = from_raw<w_t>(beat.range((u * FINE + k) * W + W - 1, (u * FINE + k) * W));
            }
            out[u].write(word);
        }
        beat >>= STEP * W;
        used++;
        if (++step == STEPS) {  // the memory is cycled again: the image from its first beat
            step = 0;
            used = PER_STEPS;
            next = 0;
        }
    }
}

// The MAC units' weights in address order, REPEAT times a frame, as sdf::weights_memory
// streams them: a fragment's first U_ON words from the on-chip banks (static regions only,
// N U_ON words a unit; SDEPTH = max(N U_ON, 1)), its other U_OFF from the dynamic stream.
template <typename w_t, int FINE, int N, int U_ON, int U_OFF, int REPEAT, int LANES, int SDEPTH>
void weights_memory_fragments(const w_t (&banks)[LANES][SDEPTH][FINE], hls::stream<vec<w_t, FINE> > dynamic[LANES],
                              hls::stream<vec<w_t, FINE> > out[LANES], int frames = 1) {
#pragma HLS INLINE
    int w = 0, base = 0;  // the word within its fragment; the fragment's first static address
weights_memory_loop:
    for (int i = 0; i < frames * REPEAT * N * (U_ON + U_OFF); i++) {
#pragma HLS PIPELINE II=1
        SDF_COUNT_LOOP("weights_memory_loop")
        for (int u = 0; u < LANES; u++) {
#pragma HLS UNROLL
            vec<w_t, FINE> word;
            if (w < U_ON) {
                for (int k = 0; k < FINE; k++) {
#pragma HLS UNROLL
                    word.v[k] = banks[u][base + w][k];
                }
            } else {
                word = dynamic[u].read();
            }
            out[u].write(word);
        }
        if (++w == U_ON + U_OFF) {
            w = 0;
            base = base + U_ON == N * U_ON ? 0 : base + U_ON;
        }
    }
}

}  // namespace sdf

#endif  // SDF_WEIGHTS_FRAGMENTS_HPP
