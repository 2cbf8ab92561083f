// RUN: not fpga-opt %s --dse="platform=zedboard" 2>&1 | filecheck %s

// One output over 2^22 inputs: weights reloading cannot split a single filter, and 4M x 16
// bits is far more than a ZedBoard's 280 BRAM18 blocks.
// CHECK: fpga-opt: error: the network cannot be mapped onto zedboard: layer 'fc' cannot fit even fully folded: BRAM18 {{[0-9]+}} > 252 available (90% of 280), over by {{[0-9]+}}
// CHECK-NOT: Traceback

func.func @net(%x: tensor<1x4194304xf32>) -> tensor<1x1xf32> {
  %w = "sdf.weights"() {value = dense<0.001> : tensor<1x4194304xf32>} : () -> tensor<1x4194304xf32>
  %b = "sdf.weights"() {value = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %0 = "sdf.inner_product"(%x, %w, %b) : (tensor<1x4194304xf32>, tensor<1x4194304xf32>, tensor<1xf32>) -> tensor<1x1xf32> loc("fc")
  return %0 : tensor<1x1xf32>
}
