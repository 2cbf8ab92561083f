// A window's outer delay lines evicted (window_evicted, SMOF): by hand, round trip, the model's
// view (JSON and text report), greedy, diagnostics.
// RUN: fpga-opt %s --sdf-evict="windows=conv3d" | filecheck %s
// RUN: fpga-opt %s --sdf-evict="windows=conv3d" -o %t.ev.mlir
// RUN: fpga-opt %t.ev.mlir | filecheck %s
// RUN: fpga-opt %t.ev.mlir --sdf-evict="windows=none" | filecheck %s --check-prefix=NONE
// RUN: fpga-opt %t.ev.mlir --sdf-evict="edges=none" | filecheck %s
// RUN: fpga-opt %t.ev.mlir --sdf-target=platform=zc706 --sdf-report="format=json output=%t.json" -o %t.r.mlir
// RUN: filecheck %s --check-prefix=JSON --input-file %t.json
// RUN: fpga-opt %s --sdf-target=platform=zc706 --sdf-report="format=json output=%t.kept.json" -o %t.kept.mlir
// RUN: filecheck %s --check-prefix=KEPT --input-file %t.kept.json
// RUN: fpga-opt %t.ev.mlir --sdf-target=platform=zc706 --sdf-report 2>&1 | filecheck %s --check-prefix=TEXT
// RUN: fpga-opt %s --sdf-target=platform=zc706 --sdf-evict="budget=0.05" 2>&1 | filecheck %s --check-prefix=GREEDY
// RUN: not fpga-opt %s --sdf-target=platform=zc706 --sdf-evict="budget=0.03" 2>&1 | filecheck %s --check-prefix=INFEASIBLE
// RUN: not fpga-opt %s --sdf-evict="windows=spatial" 2>&1 | filecheck %s --check-prefix=INNER
// RUN: not fpga-opt %s --sdf-evict="windows=relu" 2>&1 | filecheck %s --check-prefix=KIND
// RUN: not fpga-opt %s --sdf-evict="windows=nope" 2>&1 | filecheck %s --check-prefix=NAME
// RUN: sed 's/name = "conv3d", /name = "conv3d", window_evicted = true, pixels = array<i64: 2, 1>, /' %s | not fpga-opt - 2>&1 | filecheck %s --check-prefix=PIXELS

// A 3x3x3 conv on a clip of 8 frames of 28 x 28 x 16 (16 bits, 2 streams of 8 channels), then a
// (1, 3, 3) conv whose window does not span the frames.
// CHECK: name = "conv3d"
// CHECK-SAME: window_evicted = true
// CHECK-NOT: window_evicted
// NONE-NOT: window_evicted

// On chip, per stream, the frame buffers are 2 x 30 x 30 x 8 words (8 BRAM18 each), the line
// buffers 6 x 30 x 8 (1 each), with the weights 52 BRAM18. Evicted, per stream three 4 KB
// burst buffers (1024 words: a write, a read for each of the two lagged taps, 1 BRAM18 each)
// and the line buffers of the three taps: 2 x (3 + 6) + 8 = 26. The frame (1,605,632 bits) is
// written once, read back by the tap two frames behind for 7 frames (the walk ends at padded
// frame 9) and by the one a frame behind for all 8: 1,605,632 + 1,404,928 + 1,605,632 bits;
// masters: x, the output, the write and two reads; DDR: x, the output and the ring, a frame each.
// KEPT: "name": "conv3d"
// KEPT: "bram18": 52,
// JSON: "offchip_tensors": [
// JSON: "direction": "window",
// JSON-NEXT: "bits_per_frame": 4616192
// JSON: "ddr_bytes": 602112,
// JSON: "axi_masters": 5,
// JSON: "name": "conv3d"
// JSON: "bram18": 26,
// TEXT: window delay lines off chip: conv3d.window 4616192 (written and read back by the lagged taps)

// Budget 0.05 x 1090 = 54.5 BRAM18: 62 on chip, 36 with conv3d's window evicted; 0.03: even then not.
// GREEDY: sdf-evict-window.mlir:58:9: remark: evicted its window's outer delay lines: saves 26 BRAM18, adds 4616192 bits per frame of off-chip traffic
// GREEDY: name = "conv3d"{{.*}}window_evicted = true
// INFEASIBLE: error: partition 0 needs 36 BRAM18 even with every buffer that saves BRAM evicted
// INNER: sdf-evict-window.mlir:60:9: error: after pass 'sdf-evict': 'sdf.conv' op window_evicted: its window does not span the outermost spatial dim: no delay line of a slice to evict
// KIND: sdf-evict-window.mlir:59:9: error: after pass 'sdf-evict': 'sdf.activation' op window_evicted: only a conv or pool layer has a sliding window
// NAME: error: --sdf-evict: no layer named 'nope' here (layers: conv3d, relu, spatial)
// A window of two pixels a word keeps its delay lines on chip.
// PIXELS: error: 'sdf.conv' op window_evicted: a window of several pixels a word cannot evict its delay lines
func.func @clip(%x: tensor<1x16x8x28x28xf32>) -> tensor<1x16x8x28x28xf32> {
  %w1 = "sdf.weights"() {value = dense<0.1> : tensor<16x16x3x3x3xf32>} : () -> tensor<16x16x3x3x3xf32>
  %w2 = "sdf.weights"() {value = dense<0.2> : tensor<16x16x1x3x3xf32>} : () -> tensor<16x16x1x3x3xf32>
  %b = "sdf.weights"() {value = dense<0.0> : tensor<16xf32>} : () -> tensor<16xf32>
  %c1 = "sdf.conv"(%x, %w1, %b) {name = "conv3d", pad = array<i64: 1, 1, 1, 1, 1, 1>, coarse_in = 2, coarse_out = 2} : (tensor<1x16x8x28x28xf32>, tensor<16x16x3x3x3xf32>, tensor<16xf32>) -> tensor<1x16x8x28x28xf32>
  %r1 = "sdf.activation"(%c1) {kind = "relu", name = "relu"} : (tensor<1x16x8x28x28xf32>) -> tensor<1x16x8x28x28xf32>
  %c2 = "sdf.conv"(%r1, %w2, %b) {name = "spatial", pad = array<i64: 0, 1, 1, 0, 1, 1>} : (tensor<1x16x8x28x28xf32>, tensor<16x16x1x3x3xf32>, tensor<16xf32>) -> tensor<1x16x8x28x28xf32>
  return %c2 : tensor<1x16x8x28x28xf32>
}
