// The RTL of a folded conv -> relu -> pool -> inner product network: one partition top with
// AXI-Stream ends, the project files, and a Verilator run that equals the fixed-point
// executor bit for bit with cycles per frame measured beside the model's.
// RUN: rm -rf %t && mkdir -p %t
// RUN: fpga-opt %s --sdf-quantize --sdf-target="platform=zedboard" --mlir-print-debuginfo -o %t/q.mlir 2>/dev/null
// RUN: %python -m fpga_sdf.tools.fpga_translate --sdf-to-rtl %t/q.mlir -o %t/rtl
// RUN: filecheck %s --check-prefix=TOP --input-file=%t/rtl/p0/p0_top.sv
// RUN: filecheck %s --check-prefix=JSON --input-file=%t/rtl/rtl.json
// RUN: filecheck %s --check-prefix=LIST --input-file=%t/rtl/filelist.f
// RUN: filecheck %s --check-prefix=TCL --input-file=%t/rtl/vivado.tcl
// RUN: %python -c "import numpy as np; np.save('%t/x.npy', np.random.default_rng(0).uniform(-1, 1, (2, 4, 8, 8)).astype('float32'))"
// RUN: %python -m fpga_sdf.tools.fpga_run %t/rtl --backend rtl --input %t/x.npy -o %t/y.npy --stats %t/stats.json 2>&1 | filecheck %s --check-prefix=CYC
// RUN: %python -m fpga_sdf.tools.fpga_run %t/q.mlir --mode fixed --input %t/x.npy -o %t/ref.npy
// RUN: %python -c "import numpy as np; print(np.array_equal(np.load('%t/y.npy'), np.load('%t/ref.npy')))" | filecheck %s --check-prefix=SAME
// RUN: filecheck %s --check-prefix=STATS --input-file=%t/stats.json

// Folding is structure: 2 dma streams in, conv 2 x 2 MAC units with fine 3, squeezes 2 -> 4 -> 2.
// TOP: module p0_top(
// TOP: input  [31:0] s_axis_tdata,
// TOP: output [15:0] m_axis_tdata,
// TOP-NOT: loc(
// TOP: p0_conv_conv3 p0_conv_conv3
// TOP: p0_relu_squeeze0 p0_relu_squeeze0
// TOP: p0_fc_bias0 p0_fc_bias0

// JSON: "generator": "fpga-translate --sdf-to-rtl"
// JSON: "platform": "zedboard"
// JSON: "top": "p0_top"
// JSON: "streams": 2,
// JSON: "runs": 1
// JSON: "name": "conv"
// The conv: 36 windows x ch_s 2 x cout_s 4 x ceil(9 / 3) = 864, + its window's border stall
// (12 cycles per window, 2 on the stream: 24; 8x8, ch_s 2: the frame's run without a
// window is its first 2 rows, 2 x 16 words, + the lead 2 x 2 = 36 words: 36 - 24 = 12).
// JSON: "model_interval": 876

// LIST: p0/p0_top.sv
// TCL: add_files -norecurse
// TCL: set_property top p0_top [current_fileset]

// CYC: partition 0: {{[0-9]+}} cycles/frame measured, {{[0-9]+}} modelled
// SAME: True
// STATS: "partitions": [
// STATS: "cycles_per_frame":
// STATS: "model_cycles_per_frame":
// STATS: "layers": [
// STATS: "name": "conv"

func.func @net(%x: tensor<1x4x8x8xf32>) -> tensor<1x10xf32> {
  %w = "sdf.weights"() {value = dense<0.125> : tensor<8x4x3x3xf32>} : () -> tensor<8x4x3x3xf32>
  %b = "sdf.weights"() {value = dense<0.5> : tensor<8xf32>} : () -> tensor<8xf32>
  %0 = "sdf.conv"(%x, %w, %b) {coarse_in = 2 : i64, coarse_out = 2 : i64, fine = 3 : i64} : (tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>, tensor<8xf32>) -> tensor<1x8x6x6xf32> loc("conv")
  %1 = "sdf.activation"(%0) {kind = "relu", coarse_in = 4 : i64, coarse_out = 4 : i64} : (tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32> loc("relu")
  %2 = "sdf.pool"(%1) {mode = "max", kernel = array<i64: 2, 2>, coarse_in = 4 : i64, coarse_out = 4 : i64} : (tensor<1x8x6x6xf32>) -> tensor<1x8x3x3xf32> loc("pool")
  %fw = "sdf.weights"() {value = dense<0.01> : tensor<10x72xf32>} : () -> tensor<10x72xf32>
  %fb = "sdf.weights"() {value = dense<0.0> : tensor<10xf32>} : () -> tensor<10xf32>
  %3 = "sdf.inner_product"(%2, %fw, %fb) {coarse_in = 2 : i64} : (tensor<1x8x3x3xf32>, tensor<10x72xf32>, tensor<10xf32>) -> tensor<1x10xf32> loc("fc")
  return %3 : tensor<1x10xf32>
}
