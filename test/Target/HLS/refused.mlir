// An unquantized network and an activation without a template are refused with a
// diagnostic at the op, exit 1, and an existing output directory is left untouched.
// RUN: rm -rf %t %t.new && mkdir -p %t && echo keep > %t/marker
// RUN: not %python -m fpga_sdf.tools.fpga_translate --sdf-to-hls %s -o %t.new 2>&1 | filecheck %s
// RUN: not test -e %t.new
// RUN: not %python -m fpga_sdf.tools.fpga_translate --sdf-to-hls %s -o %t 2>&1 | filecheck %s --check-prefix=FOREIGN
// RUN: cat %t/marker | filecheck %s --check-prefix=KEPT
// RUN: not %python -m fpga_sdf.tools.fpga_translate %s -o %t 2>&1 | filecheck %s --check-prefix=NOTRANS

// CHECK: refused.mlir:[[# @LINE + 7]]:{{[0-9]+}}: error: 'sdf.activation' has no 'output_format': the HLS backend needs quantized IR (run --sdf-quantize)
// FOREIGN: error: output directory '{{.*}}' is not empty and was not written by fpga-translate
// KEPT: keep
// NOTRANS: error: choose a translation: --sdf-to-hls

func.func @net(%x: tensor<1x4x8x8xf32> {sdf.format = #sdf.fixed<16, 12>}) -> tensor<1x4x8x8xf32> {
  %0 = "sdf.activation"(%x) {kind = "relu", output_format = #sdf.fixed<16, 12>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %1 = "sdf.activation"(%0) {kind = "relu"} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  return %1 : tensor<1x4x8x8xf32>
}
