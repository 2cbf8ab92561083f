// The DSE chooses evictions: it writes `evicted` on the join, the report costs it from the IR,
// and a hand edit removing it is costed as such.
// RUN: fpga-opt %s --dse="platform=zc706 budget=0.2 batch=1" | filecheck %s
// RUN: fpga-opt %s --dse="platform=zc706 budget=0.2 batch=1" -o %t.mlir
// RUN: fpga-opt %t.mlir --sdf-report="format=json output=%t.json" -o %t.report.mlir
// RUN: filecheck %s --check-prefix=REPORT --input-file %t.json
// RUN: sed 's/evicted = array<i64: 1>, //' %t.mlir | fpga-opt - --sdf-report="format=json output=%t.kept.json" -o %t.kept.mlir
// RUN: filecheck %s --check-prefix=KEPT --input-file %t.kept.json
// RUN: fpga-opt %s --dse="platform=zc706 budget=0.5 batch=1" | filecheck %s --check-prefix=NONE

// An R(2+1)D-like 3D residual block (32 x 8 x 28 x 28, 16 bits): waiting for the conv branch
// (its frame buffers of 2 slices), the skip FIFO from the fork holds 52,140 words, 51 BRAM18.
// A fifth of the ZC706 (218 BRAM18, 180 DSP): with the skip on chip the block fits only by
// streaming both convs' weights (AutoWS), 43,352,064 cycles a frame; evicted, the FIFO becomes
// two 4 KB burst buffers (4 BRAM18) and the convs keep their weights at 2,416,096 cycles.
// CHECK: "sdf.eltwise"(%{{.*}}, %{{.*}}#1) {{{.*}}evicted = array<i64: 1>, mode = "add", name = "add"}
// REPORT: "interval": 2416096,
// REPORT: "direction": "evicted",
// REPORT: "resources": {
// REPORT-NEXT: "dsp": 144,
// REPORT-NEXT: "bram18": 204,
// REPORT: "fits": true,
// By hand back on chip: 204 - 4 + 51 = 251 BRAM18, over the budget's 218 (the report says
// what the board holds: 251 of 1090 fits the whole board).
// KEPT-NOT: "direction": "evicted"
// KEPT: "bram18": 251,

// Half the board (450 DSP, 545 BRAM18): DSPs bind, nothing is evicted.
// NONE-NOT: evicted

func.func @block(%x: tensor<1x32x8x28x28xf32>) -> tensor<1x32x8x28x28xf32> {
  %w1 = "sdf.weights"() {value = dense<0.1> : tensor<32x32x3x3x3xf32>} : () -> tensor<32x32x3x3x3xf32>
  %w2 = "sdf.weights"() {value = dense<0.2> : tensor<32x32x3x3x3xf32>} : () -> tensor<32x32x3x3x3xf32>
  %b = "sdf.weights"() {value = dense<0.0> : tensor<32xf32>} : () -> tensor<32xf32>
  %s:2 = "sdf.split"(%x) {name = "fork"} : (tensor<1x32x8x28x28xf32>) -> (tensor<1x32x8x28x28xf32>, tensor<1x32x8x28x28xf32>)
  %c1 = "sdf.conv"(%s#0, %w1, %b) {name = "conv1", pad = array<i64: 1, 1, 1, 1, 1, 1>} : (tensor<1x32x8x28x28xf32>, tensor<32x32x3x3x3xf32>, tensor<32xf32>) -> tensor<1x32x8x28x28xf32>
  %r1 = "sdf.activation"(%c1) {kind = "relu", name = "relu1"} : (tensor<1x32x8x28x28xf32>) -> tensor<1x32x8x28x28xf32>
  %c2 = "sdf.conv"(%r1, %w2, %b) {name = "conv2", pad = array<i64: 1, 1, 1, 1, 1, 1>} : (tensor<1x32x8x28x28xf32>, tensor<32x32x3x3x3xf32>, tensor<32xf32>) -> tensor<1x32x8x28x28xf32>
  %e = "sdf.eltwise"(%c2, %s#1) {mode = "add", name = "add"} : (tensor<1x32x8x28x28xf32>, tensor<1x32x8x28x28xf32>) -> tensor<1x32x8x28x28xf32>
  return %e : tensor<1x32x8x28x28xf32>
}
