// Every layer kind is built at pixels = (p, 1): a ReLU and a global pool at 2 pixels a word
// translate, the DMA beat carries a word of 2 pixels, and the global pool's output one.
// RUN: fpga-opt %s --sdf-quantize -o %t.mlir
// RUN: rm -rf %t/out && %python -m fpga_sdf.tools.fpga_translate --sdf-to-rtl %t.mlir -o %t/out
// RUN: filecheck %s < %t/out/rtl.json

// CHECK: "input": {
// CHECK: "pixels": 2
// CHECK: "output": {
// CHECK: "pixels": 1

func.func @net(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x1x1xf32> {
  %0 = "sdf.activation"(%x) {kind = "relu", pixels = array<i64: 2, 1>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %1 = "sdf.global_pool"(%0) {mode = "avg", pixels = array<i64: 2, 1>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x1x1xf32>
  return %1 : tensor<1x4x1x1xf32>
}
