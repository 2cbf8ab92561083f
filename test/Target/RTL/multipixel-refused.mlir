// A multi-pixel layer of a kind the RTL does not build yet (a max pool at 2 pixels a word) is
// refused at the layer; the ReLU in front of it, also at 2 pixels, is built.
// RUN: fpga-opt %s --sdf-quantize -o %t.mlir
// RUN: not %python -m fpga_sdf.tools.fpga_translate --sdf-to-rtl %t.mlir -o %t/out 2>&1 | filecheck %s

// CHECK: {{.*}}.mlir:{{[0-9]+}}:{{[0-9]+}}: error: a multi-pixel pool (pixels) is modelled and explored, but the RTL backend does not emit it yet
// CHECK-NOT: error:

func.func @net(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32> {
  %0 = "sdf.activation"(%x) {kind = "relu", pixels = array<i64: 2, 1>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> loc("relu"("multipixel-refused.mlir":10:8))
  %1 = "sdf.pool"(%0) {mode = "max", kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>, pixels = array<i64: 2, 1>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32> loc("pool"("multipixel-refused.mlir":11:8))
  return %1 : tensor<1x4x4x4xf32>
}
