// Unquantized IR is refused with a diagnostic at the function (its input has no format).
// RUN: rm -rf %t
// RUN: not %python -m fpga_sdf.tools.fpga_translate --sdf-to-rtl %s -o %t 2>&1 | filecheck %s
// RUN: test ! -e %t

// CHECK: unquantized.mlir:[[# @LINE + 1]]:{{[0-9]+}}: error: the RTL backend needs quantized IR: the input has no sdf.format (run --sdf-quantize)
func.func @net(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> {
  %0 = "sdf.activation"(%x) {kind = "relu"} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  return %0 : tensor<1x4x8x8xf32>
}
