// fpga-sdf HLS templates: PASS's sparse engine (seed 003), the MAC units of one input stream.
//
// A layer on the sparse engine is the dense chain (conv.hpp) with, per input stream s, its
// own fork, weights memory and sparse_conv process: the windows of different streams hold
// different numbers of non-zeros, so their engines run at different, data-dependent rates
// and may only meet again at accum / glue (through the conv's output FIFO of
// sparse_buffer * COUT_S results). The CO units behind one stream see the same windows and
// run in lock-step, so they are one process.
//
// Per window the CO units compute COUT_S dot products each (filters fo), one dot product
// over max(1, ceil(n / FINE)) cycles, n = non-zero taps of the window: a cycle multiplies
// the next FINE unused non-zero taps (in tap order) by their weights on FINE multipliers
// per unit and adds the products into the accumulator; zero taps cost nothing. The
// crossbar is banded as the RTL's (backend/rtl/sparse_conv.py, model/sparse_engine.py
// crossbar_band): multiplier j reads only taps j..j + KVOL - FINE; of the non-zero taps not
// yet used by this dot product, the first FINE (prefix count, rank r < FINE) are taken, tap
// t of rank r by multiplier max(r, t - (KVOL - FINE)), always in its band and never two on
// one multiplier, so the cycles are those of a full crossbar. A dot product's weights
// are one word of all KVOL weights (the sparse weights memory: one word per dot product).
//
// ID numbers the process for the C-simulation's cycle counter (sparse_conv_cycles<ID>).
//
// Numerics as the dense conv: exact products summed in acc_t (two's complement wrap), so
// the order the crossbar takes the taps in never changes the sum.
#ifndef SDF_SPARSE_CONV_HPP
#define SDF_SPARSE_CONV_HPP

#include "sdf_common.hpp"

namespace sdf {

#ifndef __SYNTHESIS__
// C-simulation only: the iterations of the sparse_conv_loops of process ID so far (their
// cycles at II=1), so a testbench measures the data-dependent cycles of each engine.
template <int ID>
long& sparse_conv_cycles() {
    static long n = 0;
    return n;
}
#endif

template <typename win_t, typename in_t, typename w_t, typename acc_t, int KVOL, int FINE,
          int WINDOWS, int COUT_S, int CO, int ID = 0>
void sparse_conv(hls::stream<win_t> win[CO], hls::stream<vec<w_t, KVOL> > weights[CO],
                 hls::stream<acc_t> out[CO], int frames = 1) {
#pragma HLS INLINE off
    static_assert(FINE >= 1 && FINE < KVOL, "the sparse engine has fewer MACs than taps");
    const int RB = bits_for(KVOL);  // a prefix count 0..KVOL
    vec<in_t, KVOL> window;
    vec<w_t, KVOL> w[CO];
    acc_t acc[CO];
    bool used[KVOL];
#pragma HLS ARRAY_PARTITION variable=window complete dim=0
#pragma HLS ARRAY_PARTITION variable=w complete dim=0
#pragma HLS ARRAY_PARTITION variable=acc complete dim=1
#pragma HLS ARRAY_PARTITION variable=used complete dim=1
    for (int t = 0; t < KVOL; t++) {
#pragma HLS UNROLL
        used[t] = false;
    }
    bool start = true;  // the next cycle begins a dot product
    int fo = 0;
    const long total = (long)frames * WINDOWS * COUT_S;
    long dots = 0, steps = 0;
sparse_conv_loop:
    while (dots < total) {
#pragma HLS PIPELINE II=1
#pragma HLS LOOP_TRIPCOUNT min=WINDOWS*COUT_S max=WINDOWS*COUT_S*((KVOL+FINE-1)/FINE)
        if (start) {
            for (int u = 0; u < CO; u++) {
#pragma HLS UNROLL
                if (fo == 0) window = as_vec(win[u].read());  // every unit's fork copy, same taps
                w[u] = weights[u].read();
            }
        }
        // the non-zero check and the prefix count of the unused non-zero taps
        bool rem[KVOL];
        ap_uint<RB> rank[KVOL + 1];
#pragma HLS ARRAY_PARTITION variable=rem complete dim=1
#pragma HLS ARRAY_PARTITION variable=rank complete dim=1
        rank[0] = 0;
        for (int t = 0; t < KVOL; t++) {
#pragma HLS UNROLL
            rem[t] = window.v[t] != 0 && !used[t];
            rank[t + 1] = rank[t] + (rem[t] ? 1 : 0);
        }
        const bool last = rank[KVOL] <= FINE;  // at most FINE taps left: the dot product's last cycle
        // the banded crossbar: multiplier j takes tap t of its band when t goes to j
        constexpr int BAND = KVOL - FINE;
        in_t x[FINE];
        w_t wx[CO][FINE];
#pragma HLS ARRAY_PARTITION variable=x complete dim=1
#pragma HLS ARRAY_PARTITION variable=wx complete dim=0
        for (int j = 0; j < FINE; j++) {
#pragma HLS UNROLL
            x[j] = 0;
            for (int u = 0; u < CO; u++) {
#pragma HLS UNROLL
                wx[u][j] = 0;
            }
            for (int t = j; t <= j + BAND; t++) {
#pragma HLS UNROLL
                const int mac = t - BAND > (int)rank[t] ? t - BAND : (int)rank[t];
                if (rem[t] && mac == j) {
                    x[j] = window.v[t];
                    for (int u = 0; u < CO; u++) {
#pragma HLS UNROLL
                        wx[u][j] = w[u].v[t];
                    }
                }
            }
        }
        for (int u = 0; u < CO; u++) {
#pragma HLS UNROLL
            acc_t sum = start ? acc_t(0) : acc[u];
            for (int j = 0; j < FINE; j++) {
#pragma HLS UNROLL
                sum += x[j] * wx[u][j];
            }
            acc[u] = sum;
            if (last) out[u].write(sum);
        }
        for (int t = 0; t < KVOL; t++) {
#pragma HLS UNROLL
            used[t] = last ? false : (used[t] || (rem[t] && rank[t] < FINE));
        }
        start = last;
        if (last) {
            fo = fo == COUT_S - 1 ? 0 : fo + 1;
            dots++;
        }
        steps++;
    }
#ifndef __SYNTHESIS__
    __atomic_fetch_add(&sparse_conv_cycles<ID>(), steps, __ATOMIC_RELAXED);  // processes are threads in csim
#else
    (void)steps;
#endif
}

}  // namespace sdf

#endif  // SDF_SPARSE_CONV_HPP
