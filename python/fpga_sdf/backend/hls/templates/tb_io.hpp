// fpga-sdf C-simulation testbench I/O (not for synthesis): integer arrays in and out.
//
// File format (text): every array is its length followed by its integers. Streams are
// fed and drained round robin (value i of the flat, channels-fastest order on stream
// i % n), the channel-to-stream convention of the sdf templates.
#ifndef SDF_TB_IO_HPP
#define SDF_TB_IO_HPP

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <vector>

#include "sdf_common.hpp"

namespace sdf {
namespace tb {

inline std::vector<long long> read_array(std::istream& is) {
    long long n = -1;
    if (!(is >> n) || n < 0) {
        std::cerr << "tb: bad or missing array length\n";
        std::exit(2);
    }
    std::vector<long long> v(n);
    for (long long i = 0; i < n; i++) {
        if (!(is >> v[i])) {
            std::cerr << "tb: truncated array\n";
            std::exit(2);
        }
    }
    return v;
}

inline void write_array(std::ostream& os, const std::vector<long long>& v) {
    os << v.size();
    for (size_t i = 0; i < v.size(); i++) os << ' ' << v[i];
    os << '\n';
}

template <typename T>
void feed(const std::vector<long long>& v, hls::stream<T>* s, int n) {
    for (size_t i = 0; i < v.size(); i++) s[i % n].write(from_raw<T>(ap_int<64>(v[i])));
}

template <typename T>
void check_empty(hls::stream<T>* s, int n, const char* what) {
    for (int i = 0; i < n; i++) {
        if (!s[i].empty()) {
            std::cerr << "tb: " << what << " stream " << i << " has " << s[i].size()
                      << " words left\n";
            std::exit(3);
        }
    }
}

// Read `total` words round robin from n streams; fail (exit 3) when a stream runs dry or
// words are left over, so a wrong word count is caught, not silently padded.
template <typename T>
std::vector<long long> drain(hls::stream<T>* s, int n, long long total) {
    std::vector<long long> v(total);
    for (long long i = 0; i < total; i++) {
        if (s[i % n].empty()) {
            std::cerr << "tb: output stream " << (i % n) << " ran dry at word " << i << "\n";
            std::exit(3);
        }
        v[i] = raw(s[i % n].read()).to_int64();
    }
    check_empty(s, n, "output");
    return v;
}

}  // namespace tb
}  // namespace sdf

#endif  // SDF_TB_IO_HPP
