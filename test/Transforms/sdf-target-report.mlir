// RUN: fpga-opt %s --sdf-target="platform=zc706 clock=150 batch=8" | filecheck %s --check-prefix=TARGET
// RUN: fpga-opt %s --sdf-target="platform=zcu102" --sdf-report="format=json output=%t.json" -o %t.out.mlir
// RUN: filecheck %s --check-prefix=JSON --input-file %t.json
// RUN: fpga-opt %s --sdf-target="platform=zcu102" --sdf-report -o %t.out.mlir 2>&1 | filecheck %s --check-prefix=TABLE
// RUN: rm -f %t-diagram.svg && fpga-opt %s --sdf-target="platform=zcu102" --sdf-report="pictures=%t" -o %t.out.mlir && filecheck %s --check-prefix=SVG < %t-diagram.svg && test -s %t-resources.png && test -s %t-roofline.png
// SVG: <svg
// SVG: partition 0: interval
// RUN: not fpga-opt %s --sdf-target="platform=zc7" 2>&1 | filecheck %s --check-prefix=BOARD
// RUN: not fpga-opt %s --sdf-report 2>&1 | filecheck %s --check-prefix=NOTARGET
// RUN: not fpga-opt %s --sdf-target="platform=zc706" --sdf-report="format=xml" 2>&1 | filecheck %s --check-prefix=FORMAT
// RUN: echo '{"name": "mine", "part": "xc7z020", "family": "7series", "dsp": 220}' > %t.board.json
// RUN: not fpga-opt %s --sdf-target="platform=%t.board.json" 2>&1 | filecheck %s --check-prefix=USERBOARD

// TARGET: module attributes {sdf.target = {batch = 8 : i64, clock_mhz = 1.500000e+02 : f64, platform = "zc706"}}

// The conv is fully folded: one MAC per cycle over 6x6 outputs x 8 filters x (4 x 3x3) = 10368 cycles.
// JSON: "network":
// JSON: "layers":
// JSON: "name": "conv"
// JSON: "interval": 10368
// JSON: "platform":
// JSON: "name": "zcu102"

// TABLE: network net on zcu102
// TABLE: layer
// TABLE: conv {{ +}}conv

// BOARD: fpga-opt: error: unknown platform 'zc7'; valid platforms: kv260, u200, u250, u280, u50, vc709, vcu118, xcvu37p, zc706, zcu102, zcu104, zedboard
// NOTARGET: fpga-opt: error: --sdf-report: the module has no target; run --sdf-target="platform=NAME" first
// FORMAT: fpga-opt: error: --sdf-report: format must be one of table, json, got 'xml'
// USERBOARD: error: {{.*}}board.json{{.*}}bram18

func.func @net(%x: tensor<1x4x8x8xf32>, %w: tensor<8x4x3x3xf32>, %b: tensor<8xf32>) -> tensor<1x8x6x6xf32> {
  %0 = "sdf.conv"(%x, %w, %b) : (tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>, tensor<8xf32>) -> tensor<1x8x6x6xf32> loc("conv")
  return %0 : tensor<1x8x6x6xf32>
}

// A report is a result of the run: a later failing pass keeps it from being written.
// RUN: rm -f %t.failed.json
// RUN: not fpga-opt %s --sdf-target="platform=zcu102" --sdf-report="format=json output=%t.failed.json" --sdf-fold="coarse_in=abc" -o %t.out.mlir
// RUN: not ls %t.failed.json
