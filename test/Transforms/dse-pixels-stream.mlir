// With pixels allowed, the DSE gives a conv whose weights stream (AutoWS) more pixels a word:
// its q MAC arrays read each fetched weights word together, so it streams 1/q of the traffic.
// RUN: fpga-opt %s --dse="platform=zc706 budget=0.1 batch=1 objective=latency" -o %t.one.mlir
// RUN: filecheck %s --check-prefix=ONE --input-file %t.one.mlir
// RUN: fpga-opt %t.one.mlir --sdf-report="format=json output=%t.one.json" -o %t.one.out.mlir
// RUN: filecheck %s --check-prefix=ONE-REPORT --input-file %t.one.json
// RUN: fpga-opt %s --dse="platform=zc706 budget=0.1 batch=1 objective=latency pixels=1" -o %t.px.mlir
// RUN: filecheck %s --check-prefix=PX --input-file %t.px.mlir
// RUN: fpga-opt %t.px.mlir --sdf-report="format=json output=%t.px.json" -o %t.px.out.mlir
// RUN: filecheck %s --check-prefix=PX-REPORT --input-file %t.px.json

// A 128 -> 128 3x3 conv on 8 x 8 pixels, 16 bits: 2.36 Mbit of weights against a tenth of the
// ZC706 (109 BRAM18), so it streams; its output feeds a ReLU (no weights reloading).
// At one pixel a word: 2 MAC units of 8,192 words of 9 weights, 512 fragments of 11 + 5, the
// dynamic words fetched for each of the 64 output pixels: 2 x 512 x 5 x 9 x 64 x 16 bits =
// 47,185,920 bits a frame through one 64-bit HP port: 737,280 cycles, bound by bandwidth.
// ONE: "sdf.conv"{{.*}}{coarse_in = 2 : i64, coarse_out = 1 : i64, fine = 9 : i64, pad = array<i64: 1, 1, 1, 1>, weights_fragments = array<i64: 512, 11, 5>}
// ONE-REPORT: "interval": 737280,
// At 8 pixels a word (the whole row): 1 unit of 16,384 words, 1,024 fragments of 7 + 9, fetched
// once per word, 8 a frame: 1 x 1024 x 9 x 9 x 8 x 16 = 10,616,832 bits, 165,888 cycles.
// PX: "sdf.conv"{{.*}}{coarse_in = 1 : i64, coarse_out = 1 : i64, fine = 9 : i64, pad = array<i64: 1, 1, 1, 1>, pixels = array<i64: 8, 1>, weights_fragments = array<i64: 1024, 7, 9>}
// PX-REPORT: "interval": 165888,

func.func @net(%x: tensor<1x128x8x8xf32>) -> tensor<1x128x8x8xf32> {
  %w = "sdf.weights"() {value = dense<0.25> : tensor<128x128x3x3xf32>} : () -> tensor<128x128x3x3xf32>
  %b = "sdf.weights"() {value = dense<0.5> : tensor<128xf32>} : () -> tensor<128xf32>
  %0 = "sdf.conv"(%x, %w, %b) {pad = array<i64: 1, 1, 1, 1>} : (tensor<1x128x8x8xf32>, tensor<128x128x3x3xf32>, tensor<128xf32>) -> tensor<1x128x8x8xf32> loc("conv")
  %1 = "sdf.activation"(%0) {kind = "relu"} : (tensor<1x128x8x8xf32>) -> tensor<1x128x8x8xf32> loc("relu")
  return %1 : tensor<1x128x8x8xf32>
}
