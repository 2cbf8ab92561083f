// RUN: fpga-opt %s --sdf-expand-modules | filecheck %s

// PASS's sparse engine at the module level: conv1 has sparsity and fine (k) = 2 < K = 9, so
// its two input streams each get a FIFO of 4 windows (sparse_buffer) after the sliding
// window, and each MAC unit's weights memory streams a whole window's 9 weights per dot
// product (the engine multiplies only the non-zeros, 2 at a time). conv0 (1x1) stays dense.
// CHECK: "sdf_hw.weights_memory"{{.*}}layer = "conv0"{{.*}} -> !sdf_hw.stream<f32, 1 : i64>
// CHECK: "sdf_hw.sliding_window"{{.*}}layer = "conv1"
// CHECK: "sdf_hw.sparse_buffer"{{.*}}{depth = 4 : i64, instance = 0 : i64, layer = "conv1"{{.*}} -> !sdf_hw.stream<f32, 9 : i64>
// CHECK: "sdf_hw.sparse_buffer"{{.*}}instance = 1 : i64, layer = "conv1"
// CHECK: "sdf_hw.weights_memory"{{.*}}{fine = 2 : i64, instance = 0 : i64, layer = "conv1"{{.*}} -> !sdf_hw.stream<f32, 9 : i64>
// CHECK: "sdf_hw.conv"{{.*}}{fine = 2 : i64, instance = 0 : i64, layer = "conv1"

func.func @net(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %i = "sdf.weights"() {value = dense<[[[[1.0]], [[0.0]]], [[[0.0]], [[1.0]]]]> : tensor<2x2x1x1xf32>} : () -> tensor<2x2x1x1xf32>
  %z = "sdf.weights"() {value = dense<0.0> : tensor<2xf32>} : () -> tensor<2xf32>
  %w = "sdf.weights"() {value = dense<0.5> : tensor<2x2x3x3xf32>} : () -> tensor<2x2x3x3xf32>
  %b = "sdf.weights"() {value = dense<0.25> : tensor<2xf32>} : () -> tensor<2xf32>
  %c = "sdf.conv"(%x, %i, %z) : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32> loc("conv0")
  %r = "sdf.activation"(%c) {kind = "relu"} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> loc("relu")
  %y = "sdf.conv"(%r, %w, %b) {pad = array<i64: 1, 1, 1, 1>, coarse_in = 2 : i64, fine = 2 : i64, sparse_buffer = 4 : i64, sparsity = array<f64: 0.5, 0.5>} : (tensor<1x2x4x4xf32>, tensor<2x2x3x3xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32> loc("conv1")
  return %y : tensor<1x2x4x4xf32>
}
