// Multi-pixel layers (pixels = (p, 1), issue 14): the p-pixel code the HLS backend emits, and
// the kinds it still refuses at the layer.
// RUN: rm -rf %t %t.q.mlir && fpga-opt %s --split-input-file --sdf-quantize --mlir-print-debuginfo -o %t.q.mlir 2>/dev/null
// RUN: %python -c "import sys; parts = open(sys.argv[1]).read().split('// -----'); open(sys.argv[2], 'w').write(parts[0]); open(sys.argv[3], 'w').write(parts[1])" %t.q.mlir %t.built.mlir %t.refused.mlir
// RUN: %python -m fpga_sdf.tools.fpga_translate --sdf-to-hls %t.built.mlir -o %t
// RUN: filecheck %s --check-prefix=CONV --input-file=%t/p0/src/conv.cpp
// RUN: filecheck %s --check-prefix=RELU --input-file=%t/p0/src/relu.cpp
// RUN: filecheck %s --check-prefix=TOP --input-file=%t/p0/src/p0_top.cpp
// RUN: filecheck %s --check-prefix=SCHED --input-file=%t/schedule.json
// RUN: not %python -m fpga_sdf.tools.fpga_translate --sdf-to-hls %t.refused.mlir -o %t.refused 2>&1 | filecheck %s --check-prefix=REFUSED

// A 3x3 / 2 conv at 4 pixels a word, 2 input streams of 2 channels: the window walks a word
// grid of 1 lead, 2 input and 0 trail words, 2 windows a word; 2 MAC units of 2 MAC arrays
// each share one weights read; glue, accum and bias on 2 lanes a stream. The glue adds the 2
// units' dot products as they come (16 / 2 words x 2 channels x 8 filters = 128 words), the
// accumulator behind it sums a stream's 2 channels (8 filters, 8 words of 2 sums).
// CONV-LABEL: void conv_sliding_window(hls::stream<{{.*}}> in[8], hls::stream<sdf::vec<{{.*}}, 9> > out[4], int frames)
// CONV: sdf::sliding_window_mp<{{.*}}, 2, 2, 4, 1, 0, 0>(in, out, {{.*}}, frames);
// CONV-LABEL: void conv_conv(
// CONV-SAME: win[4], hls::stream<sdf::vec<{{.*}}, 3> > weights[2], hls::stream<{{.*}}> out[4], int frames)
// CONV: sdf::conv<{{.*}}, 9, 3, 16, 8, 2, 2>(win, weights, out, frames);
// CONV-LABEL: void conv_glue(
// CONV: sdf::glue<{{.*}}, 2, 1, 1, 128, 2>(in, out, frames);
// CONV-LABEL: void conv_accum(
// CONV: sdf::accum<{{.*}}, 2, 8, 8, 2>(in, out, frames);
// CONV-LABEL: void conv_bias(
// CONV: sdf::bias<{{.*}}, 8, 8, 1, 2>(in, out, ns_conv::bias, frames);

// The ReLU takes the conv's 2-pixel words on 2 lanes (one stream).
// RELU: sdf::activation<{{.*}}, 64, sdf::ACT_RELU, 2, 0LL, 18, 16>(in, out, frames);

// Between the 4-pixel input of 2 streams and the DMA, no squeeze: a beat packs whole words.
// TOP: SDF_PROCESS(p0_dma_in(in, s0, frames));
// TOP-NEXT: SDF_PROCESS(conv_weights_memory(
// TOP-NEXT: SDF_PROCESS(conv_sliding_window(s0,
// SCHED: "streams": 2,
// SCHED-NEXT: "pixels": 4,

// PASS's sparse engine keeps one pixel a word.
// REFUSED: conv: error: a multi-pixel layer on PASS's sparse engine (pixels) is modelled and explored, but the HLS backend does not emit it yet

func.func @built(%x: tensor<1x4x8x8xf32>) -> tensor<1x8x4x4xf32> {
  %w = "sdf.weights"() {value = dense<0.25> : tensor<8x4x3x3xf32>} : () -> tensor<8x4x3x3xf32>
  %b = "sdf.weights"() {value = dense<0.5> : tensor<8xf32>} : () -> tensor<8xf32>
  %0 = "sdf.conv"(%x, %w, %b) {stride = array<i64: 2, 2>, pad = array<i64: 1, 1, 1, 1>, coarse_in = 2 : i64, fine = 3 : i64, pixels = array<i64: 4, 1>} : (tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>, tensor<8xf32>) -> tensor<1x8x4x4xf32> loc("conv")
  %1 = "sdf.activation"(%0) {kind = "relu", pixels = array<i64: 2, 1>} : (tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32> loc("relu")
  return %1 : tensor<1x8x4x4xf32>
}

// -----

func.func @refused(%x: tensor<1x4x8x8xf32>) -> tensor<1x8x8x8xf32> {
  %w = "sdf.weights"() {value = dense<0.25> : tensor<8x4x3x3xf32>} : () -> tensor<8x4x3x3xf32>
  %b = "sdf.weights"() {value = dense<0.5> : tensor<8xf32>} : () -> tensor<8xf32>
  %0 = "sdf.conv"(%x, %w, %b) {pad = array<i64: 1, 1, 1, 1>, fine = 3 : i64, pixels = array<i64: 2, 1>, sparsity = array<f64: 0.5, 0.5, 0.5, 0.5>, sparsity_hist = array<f64: 0.0, 0.0, 0.0, 0.0, 0.5, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.5, 0.5, 0.0, 0.0, 0.0, 0.0>} : (tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>, tensor<8xf32>) -> tensor<1x8x8x8xf32> loc("conv")
  return %0 : tensor<1x8x8x8xf32>
}
