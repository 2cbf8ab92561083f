// The checker itself must fail when an expected error is missing or an error is unexpected.
// RUN: not fpga-opt %s --split-input-file --verify-diagnostics 2>&1 | filecheck %s

// CHECK-DAG: verify-diagnostics.mlir:6: error: expected error "this is never produced" (at line 7) was not produced
func.func @nothing_wrong(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> {
  // expected-error @+1 {{this is never produced}}
  %0 = "sdf.activation"(%x) {kind = "relu"} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  return %0 : tensor<1x4x8x8xf32>
}

// -----

// CHECK-DAG: verify-diagnostics.mlir:15:8: error: unexpected error: 'sdf.activation' op 'kind' must be one of
func.func @unexpected(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> {
  %0 = "sdf.activation"(%x) {kind = "tanh"} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  return %0 : tensor<1x4x8x8xf32>
}
