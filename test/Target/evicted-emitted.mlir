// A join whose skip stream is evicted to off-chip memory (--sdf-evict) is emitted by both
// backends as the model costs it: no skip FIFO on that edge, the model's two burst buffers of
// 4 KB (2,048 words of 16 bits), and a write and a read port to the DDR ring of one frame.
// RUN: fpga-opt %S/../Transforms/sdf-evict.mlir --sdf-evict="edges=add:1" --sdf-quantize -o %t.q.mlir 2>/dev/null
// RUN: rm -rf %t.rtl %t.hls
// RUN: fpga-translate --sdf-to-rtl %t.q.mlir --platform zc706 -o %t.rtl
// RUN: filecheck %s --check-prefix=RTL --input-file=%t.rtl/p0/p0_top.sv
// RUN: fpga-translate --sdf-to-hls %t.q.mlir --platform zc706 -o %t.hls
// RUN: filecheck %s --check-prefix=HLS --input-file=%t.hls/p0/src/p0_top.cpp
// RUN: filecheck %s --check-prefix=SCHED --input-file=%t.hls/schedule.json

// RTL: s_axis_e0_tdata
// RTL: m_axis_e0_tdata
// RTL-COUNT-2: sdf_fifo_w16_d2048 fifo_s

// HLS: hls::burst_maxi<p0_evict0_beat_t> evict0_w, hls::burst_maxi<p0_evict0_beat_t> evict0_r
// HLS: #pragma HLS STREAM variable={{s[0-9]+}} depth=2048 // evicted fork -> add: the model's write burst buffer
// HLS: #pragma HLS STREAM variable={{s[0-9]+}} depth=96 // evicted fork -> add: a token per burst
// HLS: #pragma HLS STREAM variable={{s[0-9]+}} depth=2048 // evicted fork -> add: the model's read burst buffer
// HLS: SDF_PROCESS(p0_evict0_write(
// HLS: SDF_PROCESS(p0_evict0_read(

// SCHED: "rings": [
// SCHED: "ports": [
// SCHED-NEXT: "evict0_w",
// SCHED-NEXT: "evict0_r"
// SCHED: "bytes": 401408,
// SCHED: "bursts": 98,
// SCHED: "bits_per_frame": 3211264
