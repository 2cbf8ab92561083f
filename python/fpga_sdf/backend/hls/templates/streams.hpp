// fpga-sdf HLS templates: element-wise, concat, split (fork), resize and scale-shift.
#ifndef SDF_STREAMS_HPP
#define SDF_STREAMS_HPP

#include "sdf_common.hpp"

namespace sdf {

enum eltwise_mode { ELT_ADD = 0, ELT_MUL = 1 };

// Element-wise add / mul of a (PIXELS x C) and b, COARSE parallel streams (channel c on
// stream c % COARSE). BROADCAST: b is (C, 1, 1[, 1]), streamed once per frame (C values),
// each read when the first pixel needs it and kept for the others. The sum / product is
// exact (ap_fixed full precision), then converted to out_t. One pipelined loop over the
// batch: PIXELS * C / COARSE cycles per frame. With P pixels a word (lanes s * P + x) the
// cycles are PIXELS / P * C / COARSE, and a broadcast value (one word per channel on stream
// s) serves the word's P pixels.
template <typename a_t, typename b_t, typename out_t, int C, int PIXELS, int MODE,
          bool BROADCAST = false, int COARSE = 1, int P = 1>
void eltwise(hls::stream<a_t> a[COARSE * P], hls::stream<b_t> b[BROADCAST ? COARSE : COARSE * P],
             hls::stream<out_t> out[COARSE * P], int frames = 1) {
#pragma HLS INLINE off
    static_assert(C % COARSE == 0 && PIXELS % P == 0, "COARSE must divide C, P the pixels");
    const int CH = C / COARSE;
    b_t bbuf[COARSE][CH];
#pragma HLS ARRAY_PARTITION variable=bbuf complete dim=1
    int c = 0, p = 0;
eltwise_loop:
    for (int i = 0; i < frames * (PIXELS / P) * CH; i++) {
#pragma HLS PIPELINE II=1
        SDF_COUNT_LOOP("eltwise_loop")
        for (int s = 0; s < COARSE; s++) {
#pragma HLS UNROLL
            b_t shared = 0;  // the broadcast operand's value of this channel
            if (BROADCAST && p == 0) {
                shared = b[s].read();
                bbuf[s][c] = shared;
            } else if (BROADCAST) {
                shared = bbuf[s][c];
            }
            for (int x = 0; x < P; x++) {
#pragma HLS UNROLL
                const a_t v = a[s * P + x].read();
                const b_t y = BROADCAST ? shared : b[s * P + x].read();
                if (MODE == ELT_ADD) out[s * P + x].write(out_t(v + y));
                else out[s * P + x].write(out_t(v * y));
            }
        }
        if (c == CH - 1) {
            c = 0;
            p = p == PIXELS / P - 1 ? 0 : p + 1;
        } else {
            c++;
        }
    }
}

// Channel concatenation of two maps: per pixel, the C1 channels of a then the C2 of b,
// each converted to out_t; C1 and C2 are per stream (lane s of the output is lane s of a
// then lane s of b, COARSE lanes in lock-step).
template <typename a_t, typename b_t, typename out_t, int C1, int C2, int PIXELS, int COARSE = 1>
void concat(hls::stream<a_t> a[COARSE], hls::stream<b_t> b[COARSE], hls::stream<out_t> out[COARSE],
            int frames = 1) {
#pragma HLS INLINE off
    int c = 0;
concat_loop:
    for (int i = 0; i < frames * PIXELS * (C1 + C2); i++) {
#pragma HLS PIPELINE II=1
        SDF_COUNT_LOOP("concat_loop")
        for (int s = 0; s < COARSE; s++) {
#pragma HLS UNROLL
            if (c < C1) out[s].write(out_t(a[s].read()));
            else out[s].write(out_t(b[s].read()));
        }
        c = c == C1 + C2 - 1 ? 0 : c + 1;
    }
}

// Split / fork: copy each of the N words of every input stream to N_OUT output streams.
template <typename T, int N_OUT, int N, int COARSE = 1>
void split(hls::stream<T> in[COARSE], hls::stream<T> out[N_OUT][COARSE], int frames = 1) {
#pragma HLS INLINE off
split_loop:
    for (int i = 0; i < frames * N; i++) {
#pragma HLS PIPELINE II=1
        SDF_COUNT_LOOP("split_loop")
        for (int s = 0; s < COARSE; s++) {
#pragma HLS UNROLL
            const T v = in[s].read();
            for (int o = 0; o < N_OUT; o++) {
#pragma HLS UNROLL
                out[o][s].write(v);
            }
        }
    }
}

// Nearest-neighbour upsampling by integer factors (SD, SH, SW), CH channels per stream.
// A row buffer (W x CH) repeats rows; with SD > 1 it holds a whole plane to repeat planes.
// One word out per cycle; an input word is read the first time its pixels are emitted. With
// P pixels a word (lanes in[x], multi-pixel) the buffer holds P-pixel words, W / P a row, and
// input word w becomes the SW output words w SW + r, lane x taking its pixel (r P + x) / SW.
template <typename T, int CH, int D, int H, int W, int SD, int SH, int SW, int P = 1>
void resize_nearest_unit(hls::stream<T> in[P], hls::stream<T> out[P], int frames) {
#pragma HLS INLINE
    const int ROWS = SD > 1 ? H : 1, WORDS = W / P;
    static_assert(W % P == 0, "P must divide the row");
    T buf[ROWS][WORDS][CH][P];
#pragma HLS ARRAY_PARTITION variable=buf complete dim=4
    for (int frame = 0; frame < frames; frame++) {
    int c = 0, rw = 0, w = 0, rh = 0, h = 0, rd = 0, d = 0;
resize_loop:
    for (int i = 0; i < D * SD * H * SH * WORDS * SW * CH; i++) {
#pragma HLS PIPELINE II=1
        SDF_COUNT_LOOP("resize_loop")
        const int row = SD > 1 ? h : 0;
        if (rd == 0 && rh == 0 && rw == 0) {
            for (int x = 0; x < P; x++) {
#pragma HLS UNROLL
                buf[row][w][c][x] = in[x].read();
            }
        }
        for (int x = 0; x < P; x++) {
#pragma HLS UNROLL
            out[x].write(buf[row][w][c][(rw * P + x) / SW]);
        }
        // counters, fastest first: c, rw, w, rh, h, rd, d
        if (c < CH - 1) { c++; continue; }
        c = 0;
        if (rw < SW - 1) { rw++; continue; }
        rw = 0;
        if (w < WORDS - 1) { w++; continue; }
        w = 0;
        if (rh < SH - 1) { rh++; continue; }
        rh = 0;
        if (h < H - 1) { h++; continue; }
        h = 0;
        if (rd < SD - 1) { rd++; continue; }
        rd = 0;
        d++;
    }
    }
}

// COARSE streams, each its own unit of P lanes (stream s: lanes s * P ..). In the
// C-simulation unit s > 0 counts its loop as `<process>.<s>` (SDF_UNIT_NAME): the units run in
// lock-step, unit 0 under the process's name.
template <typename T, int C, int D, int H, int W, int SD, int SH, int SW, int COARSE = 1, int P = 1>
void resize_nearest(hls::stream<T> in[COARSE * P], hls::stream<T> out[COARSE * P], int frames = 1) {
#pragma HLS INLINE off
    static_assert(C % COARSE == 0, "COARSE must divide C");
#pragma HLS DATAFLOW
    SDF_DATAFLOW_REGION
    for (int s = 0; s < COARSE; s++) {
#pragma HLS UNROLL
        // references to the unit's first lanes: the C-simulation's threads capture them by
        // reference, which outlives the loop's iteration (a local pointer would not)
        hls::stream<T>& lane_in = in[s * P];
        hls::stream<T>& lane_out = out[s * P];
        SDF_PROCESS(SDF_UNIT_NAME((&lane_in - in) / P)
                    resize_nearest_unit<T, C / COARSE, D, H, W, SD, SH, SW, P>(&lane_in, &lane_out, frames));
    }
}

// Per-channel affine y = x * scale[c] + shift[c] (an unfolded batch norm): acc_t is the
// wrapping accumulator at frac x.frac + scale.frac (acc_fixed), shift is at that frac. With
// P pixels a word (lanes s * P + x) the word's pixels share the channel's parameter reads.
template <typename in_t, typename s_t, typename b_t, typename acc_t, typename out_t, int C,
          int PIXELS, int COARSE = 1, int P = 1>
void scale_shift(hls::stream<in_t> in[COARSE * P], hls::stream<out_t> out[COARSE * P],
                 const s_t (&scale)[C], const b_t (&shift)[C], int frames = 1) {
#pragma HLS INLINE off
    static_assert(C % COARSE == 0, "COARSE must divide C");
    static_assert(frac_of<acc_t>() == frac_of<in_t>() + frac_of<s_t>(),
                  "accumulator frac must be input frac + scale frac");
    static_assert(frac_of<b_t>() == frac_of<acc_t>(), "shift must be at the accumulator frac");
#pragma HLS ARRAY_PARTITION variable=scale cyclic factor=COARSE dim=1
#pragma HLS ARRAY_PARTITION variable=shift cyclic factor=COARSE dim=1
    const int CH = C / COARSE;
    int cl = 0;
scale_shift_loop:
    for (int i = 0; i < frames * (PIXELS / P) * CH; i++) {
#pragma HLS PIPELINE II=1
        SDF_COUNT_LOOP("scale_shift_loop")
        for (int s = 0; s < COARSE; s++) {
#pragma HLS UNROLL
            const int c = cl * COARSE + s;
            const s_t k = scale[c];
            const b_t t = shift[c];
            for (int x = 0; x < P; x++) {
#pragma HLS UNROLL
                acc_t acc = t;
                acc += in[s * P + x].read() * k;
                out[s * P + x].write(out_t(acc));
            }
        }
        cl = cl == CH - 1 ? 0 : cl + 1;
    }
}

}  // namespace sdf

#endif  // SDF_STREAMS_HPP
