// RUN: not fpga-opt %s --dse="platform=zedboard" 2>&1 | filecheck %s

// A 3x3 conv (padding 1) over two rows of 8192 pixels x 1024 channels keeps two padded rows in
// line buffers: 2 x 8194 x 1024 x 16 bits = 256 Mb, against a ZedBoard's 280 BRAM18 (5 Mb).
// Neither reloading nor streaming weights can help: the buffers hold feature maps. Nor can
// evicting them (window_evicted, as in dse-evict-window.mlir): a map of two rows cannot hold
// a lag of two rows and four bursts besides.
// CHECK: fpga-opt: error: the network cannot be mapped onto zedboard: layer 'conv' cannot fit even fully folded: BRAM18 {{[0-9]+}} > 252 available (90% of 280), over by {{[0-9]+}}
// CHECK-NOT: Traceback

func.func @net(%x: tensor<1x1024x2x8192xf32>) -> tensor<1x1x2x8192xf32> {
  %w = "sdf.weights"() {value = dense<0.001> : tensor<1x1024x3x3xf32>} : () -> tensor<1x1024x3x3xf32>
  %b = "sdf.weights"() {value = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %0 = "sdf.conv"(%x, %w, %b) {pad = array<i64: 1, 1, 1, 1>} : (tensor<1x1024x2x8192xf32>, tensor<1x1024x3x3xf32>, tensor<1xf32>) -> tensor<1x1x2x8192xf32> loc("conv")
  return %0 : tensor<1x1x2x8192xf32>
}
