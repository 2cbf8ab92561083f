// Decisions the exploration can make reach the HLS code, or are refused where not emitted.
// RUN: rm -rf %t %t.q.mlir && fpga-opt %s --split-input-file --sdf-quantize --mlir-print-debuginfo -o %t.q.mlir 2>/dev/null
// RUN: %python -c "import sys; parts = open(sys.argv[1]).read().split('// -----'); open(sys.argv[2], 'w').write(parts[0]); open(sys.argv[3], 'w').write(parts[1])" %t.q.mlir %t.uram.mlir %t.stream.mlir
// RUN: %python -m fpga_sdf.tools.fpga_translate --sdf-to-hls %t.uram.mlir -o %t
// RUN: filecheck %s --check-prefix=URAM --input-file=%t/p0/src/conv.cpp
// RUN: not %python -m fpga_sdf.tools.fpga_translate --sdf-to-hls %t.stream.mlir -o %t.stream 2>&1 | filecheck %s --check-prefix=STREAM

// URAM cannot be initialised: weights bound to it are loaded from an AXI master port.
// URAM-LABEL: void conv_weights_memory(const ap_uint<128>* mem,
// URAM: #pragma HLS BIND_STORAGE variable=banks type=ram_2p impl=uram
// URAM: sdf::load_banks<fx{{[0-9]+}}_f{{[0-9]+}}, 1, 288, 1, 8>(mem, banks);
// STREAM: error: streaming weights from off-chip memory (weights_off_chip, AutoWS) is modelled and explored, but the HLS backend does not emit it yet

func.func @uram(%x: tensor<1x4x8x8xf32>) -> tensor<1x8x6x6xf32> {
  %w = "sdf.weights"() {value = dense<0.25> : tensor<8x4x3x3xf32>} : () -> tensor<8x4x3x3xf32>
  %b = "sdf.weights"() {value = dense<0.5> : tensor<8xf32>} : () -> tensor<8xf32>
  %0 = "sdf.conv"(%x, %w, %b) {weights_memory = "uram"} : (tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>, tensor<8xf32>) -> tensor<1x8x6x6xf32> loc("conv")
  return %0 : tensor<1x8x6x6xf32>
}

// -----

func.func @stream(%x: tensor<1x4x8x8xf32>) -> tensor<1x8x6x6xf32> {
  %w = "sdf.weights"() {value = dense<0.25> : tensor<8x4x3x3xf32>} : () -> tensor<8x4x3x3xf32>
  %b = "sdf.weights"() {value = dense<0.5> : tensor<8xf32>} : () -> tensor<8xf32>
  %0 = "sdf.conv"(%x, %w, %b) {weights_off_chip = 0.5 : f64} : (tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>, tensor<8xf32>) -> tensor<1x8x6x6xf32> loc("conv")
  return %0 : tensor<1x8x6x6xf32>
}
