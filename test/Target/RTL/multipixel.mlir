// A multi-pixel layer the RTL does not build yet (a global pool at 2 pixels a word) is
// refused at the layer; the ReLU in front of it, also at 2 pixels, is built.
// RUN: fpga-opt %s --sdf-quantize -o %t.mlir
// RUN: not %python -m fpga_sdf.tools.fpga_translate --sdf-to-rtl %t.mlir -o %t/out 2>&1 | filecheck %s

// CHECK: {{.*}}.mlir:{{[0-9]+}}:{{[0-9]+}}: error: a multi-pixel global_pool (pixels) is modelled and explored, but the RTL backend does not emit it yet
// CHECK-NOT: error:

func.func @net(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x1x1xf32> {
  %0 = "sdf.activation"(%x) {kind = "relu", pixels = array<i64: 2, 1>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %1 = "sdf.global_pool"(%0) {mode = "avg", pixels = array<i64: 2, 1>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x1x1xf32>
  return %1 : tensor<1x4x1x1xf32>
}
