// Refusals of --sdf-to-rtl are diagnostics, exit 1, and leave an existing output directory
// untouched: unquantized IR (at the value), module-level IR (the layer shapes are gone).
// RUN: rm -rf %t && mkdir -p %t/out && echo keep > %t/out/marker
// RUN: not %python -m fpga_sdf.tools.fpga_translate --sdf-to-rtl %s -o %t/out 2>&1 | filecheck %s
// RUN: cat %t/out/marker | filecheck %s --check-prefix=KEPT
// RUN: fpga-opt %s --sdf-quantize --sdf-expand-modules -o %t/hw.mlir 2>/dev/null
// RUN: not %python -m fpga_sdf.tools.fpga_translate --sdf-to-rtl %t/hw.mlir -o %t/hw 2>&1 | filecheck %s --check-prefix=HW
// RUN: not %python -m fpga_sdf.tools.fpga_translate --sdf-to-rtl %s 2>&1 | filecheck %s --check-prefix=NOOUT

// CHECK: error: output directory '{{.*}}out' is not empty and was not written by fpga-translate
// KEPT: keep
// HW: error: --sdf-to-rtl needs layer-level sdf IR
// NOOUT: error: --sdf-to-rtl writes a directory: give it with -o DIR

func.func @net(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> {
  %0 = "sdf.activation"(%x) {kind = "relu"} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  return %0 : tensor<1x4x8x8xf32>
}
