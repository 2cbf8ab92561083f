// fpga-sdf HLS templates: a skip stream evicted to off-chip memory (SMOF, --sdf-evict).
//
// The join's early branch goes out through one m_axi master into a ring of one frame in
// memory and comes back through another (model/eviction.py). The ring is R bursts; burst
// k of the batch (slot k % R) is written by `evict_write`, and once its write response is
// back the writer pushes one token into `credit`, a FIFO of R - 2 tokens (R >= 3); `evict_read`
// takes a token before it requests burst k. So on hardware, not only in C-simulation:
//  - the reader never overtakes the writer: it reads burst k only after the writer has
//    seen that burst's write response (the data is in memory);
//  - the writer never laps the reader: writing burst k needs the token of burst k - 1
//    pushed, which needs at most R - 3 of the k pushed tokens waiting, i.e. the reader has
//    taken tokens 0 .. k - R + 1; it takes burst j + 1's token only after reading all of
//    burst j, so it has read all of burst k - R, the slot burst k overwrites. (With R - 1
//    tokens the writer could refill the slot the reader is still reading.)
// The burst buffers are the streams around them (depth = the model's dma_buffers depth):
// the writer's input gathers the next burst while one is on the bus, the reader's output
// holds a burst fetched ahead of the join.
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
// bursts of BURST beats; one token per burst after its write response.
template <typename T, int WORDS, int N, int PER, int BURST>
void evict_write(hls::stream<T> in[N], hls::burst_maxi<ap_uint<PER * T::width> > ring,
                 hls::stream<ap_uint<1> >& credit, int frames = 1) {
#pragma HLS INLINE off
    static_assert(WORDS % N == 0 && PER % N == 0, "N must divide the words of the map and of a beat");
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
            if (next % BURST == 0 || next == BEATS) {  // a burst is complete: in memory, then its token
                SDF_COUNT_LOOP("evict_write_response")
                ring.write_response();
                SDF_FENCE();
                credit.write(1);
            }
        }
        if (last) {  // the next frame reuses the ring from its first beat
            step = 0;
            next = 0;
        }
    }
}

// The ring -> N streams, as dma_in unpacks a frame: a token before each burst's request.
template <typename T, int WORDS, int N, int PER, int BURST>
void evict_read(hls::burst_maxi<ap_uint<PER * T::width> > ring, hls::stream<ap_uint<1> >& credit,
                hls::stream<T> out[N], int frames = 1) {
#pragma HLS INLINE off
    static_assert(WORDS % N == 0 && PER % N == 0, "N must divide the words of the map and of a beat");
    const int W = T::width, STEPS = WORDS / N, BEATS = (WORDS + PER - 1) / PER;
    ap_uint<PER * W> beat = 0;
    int step = 0, used = PER, next = 0;
evict_read_loop:
    for (int i = 0; i < frames * STEPS; i++) {
#pragma HLS PIPELINE II=1
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
        if (++step == STEPS) {  // the next frame starts on its own beat, at the ring's start
            step = 0;
            used = PER;
            next = 0;
        }
    }
}

}  // namespace sdf

#endif  // SDF_EVICT_HPP
