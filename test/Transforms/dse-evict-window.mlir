// RUN: fpga-opt %s --dse="platform=zedboard" | filecheck %s
// RUN: fpga-opt %s --dse="platform=zedboard" --sdf-report 2>&1 | filecheck %s --check-prefix=REPORT

// A 3x3 conv over rows of 8192 pixels x 1024 channels keeps two rows in line buffers:
// 2 x 8192 x 1024 x 16 bits = 256 Mb, against a ZedBoard's 280 BRAM18 (5 Mb). Neither
// reloading nor streaming weights can help: the buffers hold feature maps. Evicting them can
// (window_evicted): the map is written to DDR once and read back by the taps one and two rows
// behind, for 2 and 1 of its 3 rows: 3 x 8192 x 1024 x 16 bits x (1 + 2/3 + 1/3), and the
// design is bound by the ZedBoard's memory.
// CHECK: "sdf.conv"
// CHECK-SAME: window_evicted = true
// REPORT: 0 {{.*}} off-chip bandwidth
// REPORT: window delay lines off chip: conv.window 805306368

func.func @net(%x: tensor<1x1024x3x8192xf32>) -> tensor<1x1x1x8190xf32> {
  %w = "sdf.weights"() {value = dense<0.001> : tensor<1x1024x3x3xf32>} : () -> tensor<1x1024x3x3xf32>
  %b = "sdf.weights"() {value = dense<0.0> : tensor<1xf32>} : () -> tensor<1xf32>
  %0 = "sdf.conv"(%x, %w, %b) : (tensor<1x1024x3x8192xf32>, tensor<1x1024x3x3xf32>, tensor<1xf32>) -> tensor<1x1x1x8190xf32> loc("conv")
  return %0 : tensor<1x1x1x8190xf32>
}
