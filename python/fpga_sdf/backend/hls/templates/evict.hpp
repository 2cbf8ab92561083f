// fpga-sdf HLS templates: a stream evicted to off-chip memory (SMOF, --sdf-evict): a join's
// skip stream, or a sliding window's dim-0 delay lines (window_evicted).
//
// A skip stream goes out through one m_axi master into a ring of one frame in memory and
// comes back through another (model/eviction.py). A window_evicted layer's input goes out
// through one master the same way and comes back through one master per lagged tap j along
// dim 0, each reading a prefix of the frame (its first n_j slices). The ring is R bursts;
// burst k of the batch (slot k % R) is written by `evict_write`, and once its write response
// is back the writer pushes one token into each of its CREDITS credit streams, FIFOs of
// R - 2 tokens each (R >= 3), one per reader; each `evict_read` takes a token from its own
// before it requests burst k, and a reader of a prefix takes, once it has read the prefix,
// the tokens of the frame's bursts it does not read. So on hardware, not only in
// C-simulation, for every reader:
//  - the reader never overtakes the writer: it reads burst k only after the writer has
//    seen that burst's write response (the data is in memory);
//  - the writer never laps the reader: writing burst k needs the token of burst k - 1
//    pushed to this reader, which needs at most R - 3 of the k pushed tokens waiting, i.e.
//    the reader has taken tokens 0 .. k - R + 1. It takes burst j + 1's token only once it
//    no longer needs burst j: after reading all of it, or (a token it drains) after its
//    whole prefix, which ends before burst j + 1 of the frame. So it has done with burst
//    k - R, the slot burst k overwrites. (With R - 1 tokens the writer could refill the slot
//    the reader is still reading.) Every reader takes R tokens a frame, so every frame starts
//    with every credit stream empty and the ring aligned.
// The burst buffers are the streams around them (depth = the model's dma_buffers or
// window_burst depth): the writer's input gathers the next burst while one is on the bus,
// a reader's output holds a burst fetched ahead of its consumer.
#ifndef SDF_EVICT_HPP
#define SDF_EVICT_HPP

#include "sdf_common.hpp"

#ifdef __VITIS_HLS__
#include <ap_utils.h>
#include <hls_burst_maxi.h>
#define SDF_FENCE() ap_wait()
#else
#include <cstdio>
#include <cstdlib>
#define SDF_FENCE()
namespace hls {
// C-simulation stand-in for Vitis HLS's manual-burst master (hls_burst_maxi.h): a pointer
// and the offsets of the current requests; the write response is immediate.
template <typename T>
class burst_maxi {
    T* base;
    size_t rd, wr;
    long rd_left, wr_left;

public:
    burst_maxi(T* p) : base(p), rd(0), wr(0), rd_left(0), wr_left(0) {}
    void read_request(size_t offset, unsigned len) { rd = offset; rd_left = len; }
    T read() {
        if (rd_left-- <= 0) { std::fprintf(stderr, "csim: burst_maxi read past its request\n"); std::exit(5); }
        return base[rd++];
    }
    void write_request(size_t offset, unsigned len) { wr = offset; wr_left = len; }
    void write(const T& v) {
        if (wr_left-- <= 0) { std::fprintf(stderr, "csim: burst_maxi write past its request\n"); std::exit(5); }
        base[wr++] = v;
    }
    void write_response() {}
};
}  // namespace hls
#endif

namespace sdf {

// N streams of a map of WORDS values -> the ring: each frame packed as dma_out packs it
// (PER values a beat, whole groups of the N lanes, the frame's last beat zero-padded), in
// bursts of BURST beats; after each burst's write response one token into each of the
// CREDITS credit streams (one per reader of the ring).
template <typename T, int WORDS, int N, int PER, int BURST, int CREDITS>
void evict_write(hls::stream<T> in[N], hls::burst_maxi<ap_uint<PER * T::width> > ring,
                 hls::stream<ap_uint<1> > credit[CREDITS], int frames = 1) {
#pragma HLS INLINE off
    static_assert(WORDS % N == 0 && PER % N == 0, "N must divide the words of the map and of a beat");
    static_assert(CREDITS >= 1, "a ring has at least one reader");
    const int W = T::width, STEPS = WORDS / N, BEATS = (WORDS + PER - 1) / PER;
    ap_uint<PER * W> beat = 0;
    int step = 0, filled = 0, next = 0;
evict_write_loop:
    for (int i = 0; i < frames * STEPS; i++) {
#pragma HLS PIPELINE II=1
        SDF_COUNT_LOOP("evict_write_loop")
        if (filled == 0 && next % BURST == 0)
            ring.write_request(next, BEATS - next < BURST ? BEATS - next : BURST);
        beat.range(filled * W + N * W - 1, filled * W) = read_group<T, N>(in);
        filled += N;
        const bool last = ++step == STEPS;
        if (filled == PER || last) {
            ring.write(beat);
            next++;
            beat = 0;
            filled = 0;
            if (next % BURST == 0 || next == BEATS) {  // a burst is complete: in memory, then its tokens
                SDF_COUNT_LOOP("evict_write_response")
                ring.write_response();
                SDF_FENCE();
                for (int k = 0; k < CREDITS; k++) {
#pragma HLS UNROLL
                    credit[k].write(1);
                }
            }
        }
        if (last) {  // the next frame reuses the ring from its first beat
            step = 0;
            next = 0;
        }
    }
}

// The writer of a ring with one reader (a skip stream): one credit stream.
template <typename T, int WORDS, int N, int PER, int BURST>
void evict_write(hls::stream<T> in[N], hls::burst_maxi<ap_uint<PER * T::width> > ring,
                 hls::stream<ap_uint<1> >& credit, int frames = 1) {
#pragma HLS INLINE
    evict_write<T, WORDS, N, PER, BURST, 1>(in, ring, &credit, frames);
}

// The ring -> N streams, as dma_in unpacks a frame: a token before each burst's request.
// READ < WORDS (a lagged tap of a window_evicted layer): only the frame's first READ words
// (a multiple of N), then, one an iteration, the tokens of the bursts past them, so the
// writer's tokens stay aligned with the frames.
template <typename T, int WORDS, int N, int PER, int BURST, int READ = WORDS>
void evict_read(hls::burst_maxi<ap_uint<PER * T::width> > ring, hls::stream<ap_uint<1> >& credit,
                hls::stream<T> out[N], int frames = 1) {
#pragma HLS INLINE off
    static_assert(WORDS % N == 0 && PER % N == 0, "N must divide the words of the map and of a beat");
    static_assert(READ % N == 0 && READ > 0 && READ <= WORDS, "a prefix of whole groups of the N lanes");
    const int W = T::width, STEPS = READ / N, BEATS = (READ + PER - 1) / PER;
    const int BURSTS = ((WORDS + PER - 1) / PER + BURST - 1) / BURST;  // the ring's, R
    const int SKIPPED = BURSTS - (BEATS + BURST - 1) / BURST;  // bursts past the prefix
    ap_uint<PER * W> beat = 0;
    int step = 0, used = PER, next = 0;
evict_read_loop:
    for (int i = 0; i < frames * (STEPS + SKIPPED); i++) {
#pragma HLS PIPELINE II=1
        if (step >= STEPS) {  // the prefix is read: the token of a burst it does not read
            SDF_COUNT_LOOP("evict_read_drain")
            credit.read();
        } else {
            SDF_COUNT_LOOP("evict_read_loop")
            if (used == PER) {
                if (next % BURST == 0) {  // burst next / BURST is in memory once its token is here
                    SDF_COUNT_LOOP("evict_read_request")
                    credit.read();
                    SDF_FENCE();
                    ring.read_request(next, BEATS - next < BURST ? BEATS - next : BURST);
                }
                beat = ring.read();
                next++;
                used = 0;
            }
            for (int s = 0; s < N; s++) {
#pragma HLS UNROLL
                out[s].write(from_raw<T>(beat.range(s * W + W - 1, s * W)));
            }
            beat >>= N * W;
            used += N;
        }
        if (++step == STEPS + SKIPPED) {  // the next frame starts on its own beat, at the ring's start
            step = 0;
            used = PER;
            next = 0;
        }
    }
}

}  // namespace sdf

#endif  // SDF_EVICT_HPP
