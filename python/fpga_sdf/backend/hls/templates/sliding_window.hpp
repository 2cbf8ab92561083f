// fpga-sdf HLS templates: the sliding window (line buffers) of conv and pool layers.
#ifndef SDF_SLIDING_WINDOW_HPP
#define SDF_SLIDING_WINDOW_HPP

#include "sdf_common.hpp"

namespace sdf {

// Turns a stream of pixels (CH channels each, channels fastest, then W, H, D) into one
// window per output position and channel: tap k = (kd * KH + kh) * KW + kw goes to
// tap k of the window token, all taps of a window in the same cycle. Zero or asymmetric padding inserts
// `pad_value` (0 for conv, the minimum for max pool); stride and dilation come from G.
//
// Storage: a ring of G::NROWS padded rows (PW pixels x CH channels). For 2D these are the
// SPAN_H - 1 line buffers plus the row being written; for 3D the ring also spans the
// (SPAN_D - 1) previous planes (the frame buffers). One code path for 2D and 3D.
// Rate: one input (or padding) word per cycle, II=1 over the padded volume.
template <typename T, typename G, int CH, int LANES = 1>
void sliding_window(hls::stream<T> in[LANES], hls::stream<vec<T, G::KVOL> > out[LANES],
                    const T pad_value, int frames = 1) {
#pragma HLS INLINE off
    T buf[LANES][G::NROWS][G::PW][CH];
#pragma HLS ARRAY_PARTITION variable=buf complete dim=1
#pragma HLS ARRAY_PARTITION variable=buf complete dim=2
#pragma HLS ARRAY_PARTITION variable=buf cyclic factor=G::SPAN_W dim=3

    const int TOTAL = G::PD * G::PH * G::PW * CH;
    int c = 0, w = 0, h = 0, d = 0;
    int row = 0;  // ring slot of the current padded row
sliding_window_loop:
    for (int i = 0; i < frames * TOTAL; i++) {
#pragma HLS PIPELINE II=1
        const bool inside = d >= G::PD0 && d < G::PD0 + G::D && h >= G::PH0 &&
                            h < G::PH0 + G::H && w >= G::PW0 && w < G::PW0 + G::W;
        const bool ready = d >= G::SPAN_D - 1 && h >= G::SPAN_H - 1 && w >= G::SPAN_W - 1 &&
                           (d - (G::SPAN_D - 1)) % G::SD == 0 &&
                           (h - (G::SPAN_H - 1)) % G::SH == 0 &&
                           (w - (G::SPAN_W - 1)) % G::SW == 0;
        for (int s = 0; s < LANES; s++) {
#pragma HLS UNROLL
            const T v = inside ? in[s].read() : pad_value;
            buf[s][row][w][c] = v;
            if (ready) {
                vec<T, G::KVOL> window;
                for (int kd = 0; kd < G::KD; kd++) {
                    for (int kh = 0; kh < G::KH; kh++) {
                        for (int kw = 0; kw < G::KW; kw++) {
#pragma HLS UNROLL
                            const int back = (G::SPAN_D - 1 - kd * G::DD) * G::PH +
                                             (G::SPAN_H - 1 - kh * G::DH);
                            int r = row - back;
                            if (r < 0) r += G::NROWS;
                            const int col = w - (G::SPAN_W - 1 - kw * G::DW);
                            window.v[(kd * G::KH + kh) * G::KW + kw] = buf[s][r][col][c];
                        }
                    }
                }
                out[s].write(window);
            }
        }

        // advance the counters: channels fastest, then width, height, depth (then frames)
        if (c == CH - 1) {
            c = 0;
            if (w == G::PW - 1) {
                w = 0;
                row = row == G::NROWS - 1 ? 0 : row + 1;
                if (h == G::PH - 1) {
                    h = 0;
                    if (d == G::PD - 1) {
                        d = 0;
                        row = 0;
                    } else {
                        d++;
                    }
                } else {
                    h++;
                }
            } else {
                w++;
            }
        } else {
            c++;
        }
    }
}

}  // namespace sdf

#endif  // SDF_SLIDING_WINDOW_HPP
