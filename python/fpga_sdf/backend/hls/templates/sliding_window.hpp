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
// One step of a window's walk over the padded map: channels fastest, then the ROW positions
// of a padded row (pixels at one pixel a word, words of the grid at P), height, depth, then
// the next frame; `row` is the ring slot of the current padded row, in a ring of NR rows.
template <typename G, int CH, int ROW, int NR = G::NROWS>
inline void walk_next(int &c, int &x, int &row, int &h, int &d) {
#pragma HLS INLINE
    if (c != CH - 1) {
        c++;
        return;
    }
    c = 0;
    if (x != ROW - 1) {
        x++;
        return;
    }
    x = 0;
    row = row == NR - 1 ? 0 : row + 1;
    if (h != G::PH - 1) {
        h++;
        return;
    }
    h = 0;
    if (d != G::PD - 1) {
        d++;
    } else {
        d = 0;
        row = 0;
    }
}

// The ring slot of the padded row holding tap (kd, kh) of a window whose newest row is in
// slot `row`.
template <typename G>
inline int ring_row(int row, int kd, int kh) {
#pragma HLS INLINE
    const int r = row - ((G::SPAN_D - 1 - kd * G::DD) * G::PH + (G::SPAN_H - 1 - kh * G::DH));
    return r < 0 ? r + G::NROWS : r;
}

// Whether a window ends at padded position (d, h, w): past each dim's span, on its stride.
template <typename G>
inline bool window_ends(int d, int h, int w) {
#pragma HLS INLINE
    return d >= G::SPAN_D - 1 && h >= G::SPAN_H - 1 && w >= G::SPAN_W - 1 && (d - (G::SPAN_D - 1)) % G::SD == 0 &&
           (h - (G::SPAN_H - 1)) % G::SH == 0 && (w - (G::SPAN_W - 1)) % G::SW == 0;
}

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
        SDF_COUNT_LOOP("sliding_window_loop")
        const bool inside = d >= G::PD0 && d < G::PD0 + G::D && h >= G::PH0 &&
                            h < G::PH0 + G::H && w >= G::PW0 && w < G::PW0 + G::W;
        const bool ready = window_ends<G>(d, h, w);
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
                            const int r = ring_row<G>(row, kd, kh);
                            const int col = w - (G::SPAN_W - 1 - kw * G::DW);
                            window.v[(kd * G::KH + kh) * G::KW + kw] = buf[s][r][col][c];
                        }
                    }
                }
                out[s].write(window);
            }
        }

        walk_next<G, CH, G::PW>(c, w, row, h, d);  // channels fastest, then the row's pixels, height, depth
    }
}


// The dim of a window_evicted layer whose delay lines are off chip (model/eviction.py): the
// layer's spatial dim 0, in G's terms the outermost of D / H the kernel spans (D for a 3D
// layer, H for a 2D one, whose G has D = KD = 1; a 3D kernel not spanning D is refused).
// Per tap k along it (lag J(k) = SPAN - 1 - k * DIL slices of SLICE words, the last the live
// stream) a ring of the inner dims only: ROWS padded rows (3D: the SPAN_H - 1 line buffers and
// the row being written; 2D: the row being written) of COLS columns (3D: the padded row, or as 2D
// where the kernel does not span H; 2D:
// the SPAN_W columns the window reaches, a cyclic ring).
template <typename G>
struct evicted_dim {
    static const bool IS_D = G::SPAN_D > 1;
    static const int K = IS_D ? G::KD : G::KH, DIL = IS_D ? G::DD : G::DH;
    static const int SPAN = IS_D ? G::SPAN_D : G::SPAN_H;
    static const int REAL = IS_D ? G::D : G::H, BEGIN = IS_D ? G::PD0 : G::PH0;
    // a 3D kernel not spanning H (R(2+1)D's temporal (3, 1, 1) convs) keeps 2D's column ring
    static const int ROWS = IS_D ? G::SPAN_H : 1, COLS = IS_D && G::SPAN_H > 1 ? G::PW : G::SPAN_W;
    static const int LAGGED = K - 1;  // the taps read back from off-chip memory
    static int lag(int k) {
#pragma HLS INLINE
        return SPAN - 1 - k * DIL;
    }
};

// sliding_window with its dim-0 delay lines (frame buffers in 3D, line buffers in 2D) in a
// ring of one frame in off-chip memory (window_evicted). The walk over the padded volume, its
// cycles and the windows it emits are sliding_window's. Every real input word the walk reads
// is also written, in order, to `evict` (the writer's stream: sdf::evict_write); at walk
// position (p0, rest) lagged tap k takes one word from `lag[k]` (its reader's stream:
// sdf::evict_read of a prefix of the frame) iff (p0 - J(k), rest) is a real position, else
// the pad value. Each tap's words go into its own ring of the inner rows (evicted_dim), which
// the window reads as sliding_window reads its one ring. One code path for 2D and 3D.
template <typename T, typename G, int CH, int LANES = 1>
void sliding_window_evicted(hls::stream<T> in[LANES], hls::stream<vec<T, G::KVOL> > out[LANES],
                            hls::stream<T> evict[LANES], hls::stream<T> lag[evicted_dim<G>::LAGGED][LANES],
                            const T pad_value, int frames = 1) {
#pragma HLS INLINE off
    typedef evicted_dim<G> E;
    static_assert(E::K > 1, "the kernel must span the evicted dim");
    T buf[LANES][E::K][E::ROWS][E::COLS][CH];
#pragma HLS ARRAY_PARTITION variable=buf complete dim=1
#pragma HLS ARRAY_PARTITION variable=buf complete dim=2
#pragma HLS ARRAY_PARTITION variable=buf complete dim=3
#pragma HLS ARRAY_PARTITION variable=buf cyclic factor=G::SPAN_W dim=4

    const int TOTAL = G::PD * G::PH * G::PW * CH;
    int c = 0, w = 0, h = 0, d = 0;
    int row = 0;  // ring slot of the current padded row (in every tap's ring)
    int col = 0;  // ring column of the current pixel: w, or w mod SPAN_W in 2D
sliding_window_loop:
    for (int i = 0; i < frames * TOTAL; i++) {
#pragma HLS PIPELINE II=1
        SDF_COUNT_LOOP("sliding_window_loop")
        const bool real_d = d >= G::PD0 && d < G::PD0 + G::D, real_h = h >= G::PH0 && h < G::PH0 + G::H;
        const bool real_w = w >= G::PW0 && w < G::PW0 + G::W;
        const bool inner = (E::IS_D ? real_h : real_d) && real_w;  // the dims below dim 0
        const int p0 = E::IS_D ? d : h;
        const bool inside = (E::IS_D ? real_d : real_h) && inner;
        const bool ready = window_ends<G>(d, h, w);
        for (int s = 0; s < LANES; s++) {
#pragma HLS UNROLL
            const T v = inside ? in[s].read() : pad_value;
            if (inside) evict[s].write(v);
            buf[s][E::K - 1][row][col][c] = v;
            for (int k = 0; k < E::LAGGED; k++) {
#pragma HLS UNROLL
                const int q = p0 - E::lag(k);  // the slice tap k sees
                const bool real = inner && q >= E::BEGIN && q < E::BEGIN + E::REAL;
                buf[s][k][row][col][c] = real ? lag[k][s].read() : pad_value;
            }
            if (ready) {
                vec<T, G::KVOL> window;
                for (int kd = 0; kd < G::KD; kd++) {
                    for (int kh = 0; kh < G::KH; kh++) {
                        for (int kw = 0; kw < G::KW; kw++) {
#pragma HLS UNROLL
                            const int k = E::IS_D ? kd : kh;
                            const int back = E::IS_D ? G::SPAN_H - 1 - kh * G::DH : 0;
                            const int r = row - back < 0 ? row - back + E::ROWS : row - back;
                            const int back_w = G::SPAN_W - 1 - kw * G::DW;
                            const int x = col - back_w < 0 ? col - back_w + E::COLS : col - back_w;
                            window.v[(kd * G::KH + kh) * G::KW + kw] = buf[s][k][r][x][c];
                        }
                    }
                }
                out[s].write(window);
            }
        }

        const bool next_pixel = c == CH - 1;
        walk_next<G, CH, G::PW, E::ROWS>(c, w, row, h, d);  // as sliding_window, on the taps' rings of ROWS rows
        if (next_pixel) col = w == 0 ? 0 : (col == E::COLS - 1 ? 0 : col + 1);
    }
}


// The sliding window of a P-pixel layer (docs/notes/rtl-backend.md "Multi-pixel layers"):
// a word of input stream s carries P consecutive pixels of a row (lane s * P + x: pixel x),
// and the window walks a word grid per padded row (fpga_sdf.model.modules.window_word_grid):
// LEAD padding words, the W / P input words, TRAIL padding words, one word per cycle. The
// Q = P / SW windows of output group g (outputs g Q .. g Q + Q - 1 of the row) are written at
// walk position LEAD + EMIT + g, when the newest word they reach has arrived, on lanes s * Q + y
// (window y). Rows off the vertical stride grid pass without windows, as at one pixel.
// Storage: the ring of G::NROWS rows, each ROW words of P pixels x CH channels (cyclic over
// the LEAD + EMIT + 1 words a group of windows reaches).
template <typename T, typename G, int CH, int LANES, int P, int LEAD, int TRAIL, int EMIT>
void sliding_window_mp(hls::stream<T> in[LANES * P], hls::stream<vec<T, G::KVOL> > out[LANES * (P / G::SW)],
                       const T pad_value, int frames = 1) {
#pragma HLS INLINE off
    const int Q = P / G::SW, ROW = LEAD + G::W / P + TRAIL, OUT_WORDS = G::OW / Q;
    const int SPAN = LEAD + EMIT + 1;
    static_assert(P % G::SW == 0 && G::W % P == 0 && G::OW % Q == 0,
                  "the stride must divide P, P the row and Q = P / stride the output row");
    static_assert(LEAD * P >= G::PW0 && LEAD + EMIT + OUT_WORDS <= ROW,
                  "the word grid must hold the leading padding and every window's newest word");
    T buf[LANES][G::NROWS][ROW][CH][P];
#pragma HLS ARRAY_PARTITION variable=buf complete dim=1
#pragma HLS ARRAY_PARTITION variable=buf complete dim=2
#pragma HLS ARRAY_PARTITION variable=buf cyclic factor=SPAN dim=3
#pragma HLS ARRAY_PARTITION variable=buf complete dim=5
    (void)SPAN;  // read only by the pragma above (unused in C-simulation)

    const int TOTAL = G::PD * G::PH * ROW * CH;
    int c = 0, j = 0, h = 0, d = 0;
    int row = 0;  // ring slot of the current padded row
sliding_window_mp_loop:
    for (int i = 0; i < frames * TOTAL; i++) {
#pragma HLS PIPELINE II=1
        SDF_COUNT_LOOP("sliding_window_loop")
        const bool inside = d >= G::PD0 && d < G::PD0 + G::D && h >= G::PH0 && h < G::PH0 + G::H &&
                            j >= LEAD && j < LEAD + G::W / P;
        const bool ready = d >= G::SPAN_D - 1 && h >= G::SPAN_H - 1 && j >= LEAD + EMIT &&
                           j < LEAD + EMIT + OUT_WORDS && (d - (G::SPAN_D - 1)) % G::SD == 0 &&
                           (h - (G::SPAN_H - 1)) % G::SH == 0;
        const int g = j - LEAD - EMIT;  // the output group whose windows end here
        for (int s = 0; s < LANES; s++) {
#pragma HLS UNROLL
            for (int x = 0; x < P; x++) {
#pragma HLS UNROLL
                buf[s][row][j][c][x] = inside ? in[s * P + x].read() : pad_value;
            }
            if (ready) {
                for (int y = 0; y < Q; y++) {
#pragma HLS UNROLL
                    vec<T, G::KVOL> window;
                    for (int kd = 0; kd < G::KD; kd++) {
                        for (int kh = 0; kh < G::KH; kh++) {
                            for (int kw = 0; kw < G::KW; kw++) {
#pragma HLS UNROLL
                                const int r = ring_row<G>(row, kd, kh);
                                // the tap's column of the padded row, from the grid's first word
                                const int col = (g * Q + y) * G::SW - G::PW0 + kw * G::DW + LEAD * P;
                                window.v[(kd * G::KH + kh) * G::KW + kw] = buf[s][r][col / P][c][col % P];
                            }
                        }
                    }
                    out[s * Q + y].write(window);
                }
            }
        }

        walk_next<G, CH, ROW>(c, j, row, h, d);  // channels fastest, then the row's words, height, depth
    }
}

}  // namespace sdf

#endif  // SDF_SLIDING_WINDOW_HPP
