// RUN: %python -c "import numpy as np; np.save('%t.npy', np.ones((2, 2, 4, 4), np.float32))"
// RUN: fpga-opt %s --sdf-sparsity="data=%t.npy" --split-input-file --verify-diagnostics -o %t.out.mlir
// RUN: fpga-opt %s --sdf-sparsity="profile=0.5" --split-input-file --verify-diagnostics -o %t.out.mlir

// Without a ReLU there is no post-activation sparsity to measure or assume.
// expected-error @+1 {{the network has no ReLU, so its convolutions see no post-activation sparsity to exploit}}
func.func @no_relu(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w = "sdf.weights"() {value = dense<0.5> : tensor<2x2x3x3xf32>} : () -> tensor<2x2x3x3xf32>
  %b = "sdf.weights"() {value = dense<0.0> : tensor<2xf32>} : () -> tensor<2xf32>
  %y = "sdf.conv"(%x, %w, %b) {pad = array<i64: 1, 1, 1, 1>} : (tensor<1x2x4x4xf32>, tensor<2x2x3x3xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  %r = "sdf.activation"(%y) {kind = "sigmoid"} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  return %r : tensor<1x2x4x4xf32>
}

// -----

// expected-error @+1 {{the network has no convolution to annotate}}
func.func @no_conv(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %r = "sdf.activation"(%x) {kind = "relu"} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  return %r : tensor<1x2x4x4xf32>
}

// -----

// A hand edit that breaks the statistics is caught when the IR is read.
func.func @bad_rho(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w = "sdf.weights"() {value = dense<0.5> : tensor<2x2x3x3xf32>} : () -> tensor<2x2x3x3xf32>
  %b = "sdf.weights"() {value = dense<0.0> : tensor<2xf32>} : () -> tensor<2xf32>
  %r = "sdf.activation"(%x) {kind = "relu"} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  // expected-error @+1 {{sparsity_rho entry '2x1' must be array<f64: ...> with one value per window (2)}}
  %y = "sdf.conv"(%r, %w, %b) {pad = array<i64: 1, 1, 1, 1>, sparsity = array<f64: 0.5, 0.5>, sparsity_windows = array<i64: 1, 2>, sparsity_rho = {"2x1" = array<f64: 0.1>}} : (tensor<1x2x4x4xf32>, tensor<2x2x3x3xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  return %y : tensor<1x2x4x4xf32>
}

// -----

func.func @bad_source(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w = "sdf.weights"() {value = dense<0.5> : tensor<2x2x3x3xf32>} : () -> tensor<2x2x3x3xf32>
  %b = "sdf.weights"() {value = dense<0.0> : tensor<2xf32>} : () -> tensor<2xf32>
  %r = "sdf.activation"(%x) {kind = "relu"} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  // expected-error @+1 {{attribute 'sparsity_source' must be one of measured, assumed}}
  %y = "sdf.conv"(%r, %w, %b) {pad = array<i64: 1, 1, 1, 1>, sparsity = array<f64: 0.5, 0.5>, sparsity_source = "guessed"} : (tensor<1x2x4x4xf32>, tensor<2x2x3x3xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  return %y : tensor<1x2x4x4xf32>
}

// -----

func.func @buffer_without_engine(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %w = "sdf.weights"() {value = dense<0.5> : tensor<2x2x3x3xf32>} : () -> tensor<2x2x3x3xf32>
  %b = "sdf.weights"() {value = dense<0.0> : tensor<2xf32>} : () -> tensor<2xf32>
  %r = "sdf.activation"(%x) {kind = "relu"} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32>
  // expected-error @+1 {{sparse_buffer only applies to the sparse engine}}
  %y = "sdf.conv"(%r, %w, %b) {pad = array<i64: 1, 1, 1, 1>, sparse_buffer = 8} : (tensor<1x2x4x4xf32>, tensor<2x2x3x3xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32>
  return %y : tensor<1x2x4x4xf32>
}
