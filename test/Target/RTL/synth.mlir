// fpga-synth on a project written by fpga-translate --sdf-to-rtl: every module and every layer
// through yosys synth_xilinx (UltraScale+ for the zcu102), beside the model's figures.
// RUN: rm -rf %t && mkdir -p %t
// RUN: fpga-opt %s --sdf-quantize --sdf-target="platform=zcu102" --mlir-print-debuginfo -o %t/q.mlir 2>/dev/null
// RUN: %python -m fpga_sdf.tools.fpga_translate --sdf-to-rtl %t/q.mlir -o %t/rtl
// RUN: %python -m fpga_sdf.tools.fpga_synth %t/rtl --design %t/q.mlir 2>/dev/null | filecheck %s
// RUN: filecheck %s --check-prefix=JSON --input-file=%t/rtl/synth.json

// CHECK: yosys xcup (zcu102) vs model
// CHECK: p0_pool_pool0
// CHECK: p0_scale_scale_shift0 {{ +}}1 / {{ +}}1
// CHECK: layers (sum of their modules)
// CHECK: scale {{ +}}1 / {{ +}}1

// JSON: "yosys_family": "xcup"
// JSON: "layer": "pool"
// JSON: "kind": "pool"
// JSON: "yosys": {
// JSON: "dsp":
// JSON: "model": {

func.func @net(%x: tensor<1x2x8x8xf32>) -> tensor<1x2x4x4xf32> {
  %s = "sdf.weights"() {value = dense<0.75> : tensor<2xf32>} : () -> tensor<2xf32>
  %t = "sdf.weights"() {value = dense<0.25> : tensor<2xf32>} : () -> tensor<2xf32>
  %0 = "sdf.scale_shift"(%x, %s, %t) : (tensor<1x2x8x8xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<1x2x8x8xf32> loc("scale")
  %1 = "sdf.pool"(%0) {mode = "max", kernel = array<i64: 2, 2>} : (tensor<1x2x8x8xf32>) -> tensor<1x2x4x4xf32> loc("pool")
  return %1 : tensor<1x2x4x4xf32>
}
