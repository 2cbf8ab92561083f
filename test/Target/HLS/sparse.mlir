// PASS's sparse engine (seed 003) in HLS: per input stream a weights memory of K-weight words,
// a fork and a sparse_conv process; the sparse_buffer is the depth of the window stream and the
// engines' output FIFO holds sparse_buffer x cout_s results; the cycles are the model's
// expected figure from the histogram (marked *). Off-chip sparse weights are refused.
// RUN: rm -rf %t %t.q.mlir && fpga-opt %s --split-input-file --sdf-quantize --mlir-print-debuginfo -o %t.q.mlir 2>/dev/null
// RUN: %python -c "import sys; parts = open(sys.argv[1]).read().split('// -----'); open(sys.argv[2], 'w').write(parts[0]); open(sys.argv[3], 'w').write(parts[1])" %t.q.mlir %t.sparse.mlir %t.reload.mlir
// RUN: %python -m fpga_sdf.tools.fpga_translate --sdf-to-hls %t.sparse.mlir -o %t
// RUN: filecheck %s --check-prefix=CONV --input-file=%t/p0/src/conv.cpp
// RUN: filecheck %s --check-prefix=TOP --input-file=%t/p0/src/p0_top.cpp
// RUN: filecheck %s --check-prefix=CYC --input-file=%t/cycles.txt
// RUN: filecheck %s --check-prefix=SCHED --input-file=%t/schedule.json
// RUN: not %python -m fpga_sdf.tools.fpga_translate --sdf-to-hls %t.reload.mlir -o %t.reload 2>&1 | filecheck %s --check-prefix=RELOAD

// coarse_in 2 x coarse_out 2: ch_s = 2 channels per stream, cout_s = 4 filters per unit, 128 windows
// CONV: void conv_weights_memory_s0(hls::stream<sdf::vec<[[W:fx[0-9]+_f[0-9]+]], 9> > out[2], int frames)
// CONV: sdf::weights_memory<[[W]], 9, 8, 64, 2>(ns_conv::weights_s0, out, frames);
// CONV: void conv_weights_memory_s1(
// CONV: void conv_fork_s0(
// CONV: void conv_fork_s1(
// CONV: void conv_conv_s0(
// CONV: sdf::sparse_conv<sdf::vec<{{.*}}, 9>, {{.*}}, 9, 3, 128, 4, 2, 0>(win, weights, out, frames);
// CONV: void conv_conv_s1(
// TOP: depth=4  // sparse_buffer: 4 windows per input stream (the model's FIFO)
// TOP: depth=16  // sparse engine output FIFO: sparse_buffer 4 x cout_s 4 results
// TOP: conv_conv_s0([[WIN:s[0-9]+]], {{s[0-9]+}}, [[OUT:s[0-9]+]]
// TOP: conv_conv_s1([[WIN]] + 2, {{s[0-9]+}}, [[OUT]] + 2
// A window of 4 or 5 non-zeros takes 2 cycles on 3 MACs: each engine 128 windows x 4 filters
// x 2 = 1024 expected cycles; the layer is the sliding window's burst term, 1036 (border runs
// longer than the 4 windows of slack cost the engines idle cycles).
// SCHED: "name": "conv_conv_s0",
// SCHED: "data_dependent": true,
// SCHED: "sparse_conv_loop: frames x 1024 expected (data-dependent: 512 dot products x 2.0000 mean cycles, the model's stream_cycles of input stream 0) + 9"
// CYC: conv *  {{ +}}1036
// RELOAD: error: the sparse engine's weights from off-chip memory (weights reloading, URAM or more than 16384 weights) are modelled, but the HLS backend emits them as ROM literals only

func.func @sparse(%x: tensor<1x4x8x8xf32>) -> tensor<1x8x8x8xf32> {
  %w = "sdf.weights"() {value = dense<0.25> : tensor<8x4x3x3xf32>} : () -> tensor<8x4x3x3xf32>
  %b = "sdf.weights"() {value = dense<0.5> : tensor<8xf32>} : () -> tensor<8xf32>
  %0 = "sdf.conv"(%x, %w, %b) {pad = array<i64: 1, 1, 1, 1>, coarse_in = 2 : i64, coarse_out = 2 : i64, fine = 3 : i64, sparse_buffer = 4 : i64, sparsity = array<f64: 0.5, 0.5, 0.5, 0.5>, sparsity_hist = array<f64: 0.0, 0.0, 0.0, 0.0, 0.5, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5, 0.5, 0.0, 0.0, 0.0, 0.0>} : (tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>, tensor<8xf32>) -> tensor<1x8x8x8xf32> loc("conv")
  return %0 : tensor<1x8x8x8xf32>
}

// -----

func.func @reload(%x: tensor<1x4x8x8xf32>) -> tensor<1x8x8x8xf32> {
  %w = "sdf.weights"() {value = dense<0.25> : tensor<8x4x3x3xf32>} : () -> tensor<8x4x3x3xf32>
  %b = "sdf.weights"() {value = dense<0.5> : tensor<8xf32>} : () -> tensor<8xf32>
  %0 = "sdf.conv"(%x, %w, %b) {pad = array<i64: 1, 1, 1, 1>, fine = 3 : i64, wr_factor = 2 : i64, sparsity = array<f64: 0.5, 0.5, 0.5, 0.5>, sparsity_hist = array<f64: 0.0, 0.0, 0.0, 0.0, 0.5, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5, 0.5, 0.0, 0.0, 0.0, 0.0>} : (tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>, tensor<8xf32>) -> tensor<1x8x8x8xf32> loc("conv")
  return %0 : tensor<1x8x8x8xf32>
}
