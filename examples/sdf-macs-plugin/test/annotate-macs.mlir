// RUN: fpga-opt %s --split-input-file --sdf-annotate-macs | filecheck %s
// RUN: fpga-opt %s --split-input-file --sdf-annotate-macs="limit=10000" --verify-diagnostics

// 8 filters x 6x6 outputs, each 4 channels x 3x3 taps: 8*36*36 = 10368 MACs.
// CHECK-LABEL: func.func @conv
// CHECK: "sdf.conv"{{.*}}macs = 10368 : i64
func.func @conv(%x: tensor<1x4x8x8xf32>, %w: tensor<8x4x3x3xf32>, %b: tensor<8xf32>) -> tensor<1x8x6x6xf32> {
  // expected-error @+1 {{layer needs 10368 MACs per frame, above the limit of 10000}}
  %0 = "sdf.conv"(%x, %w, %b) : (tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>, tensor<8xf32>) -> tensor<1x8x6x6xf32>
  return %0 : tensor<1x8x6x6xf32>
}

// -----

// CHECK-LABEL: func.func @fc
// CHECK: "sdf.inner_product"{{.*}}macs = 640 : i64
func.func @fc(%x: tensor<1x64xf32>, %w: tensor<10x64xf32>, %b: tensor<10xf32>) -> tensor<1x10xf32> {
  %0 = "sdf.inner_product"(%x, %w, %b) : (tensor<1x64xf32>, tensor<10x64xf32>, tensor<10xf32>) -> tensor<1x10xf32>
  return %0 : tensor<1x10xf32>
}
