// RUN: fpga-opt %s --sdf-quantize --sdf-expand-modules 2>/dev/null | filecheck %s
// RUN: fpga-opt %s --sdf-expand-modules | filecheck %s --check-prefix=FLOAT

// A conv folded coarse_in = 2, coarse_out = 2, fine = 3 over 4 channels (2 per stream) is,
// as the hardware model costs it: 2 sliding windows, 2 forks, 2 x 2 MAC units each with its
// weights memory, 2 glues (each adds the 2 units of a filter lane: 288 dot products per
// unit = 36 pixels x 2 channels x 4 filters), 2 accumulators behind them (2 channels per
// stream: 144 sums) and 2 biases. The activation runs on 4 streams
// (a squeeze re-streams 2 -> 4), the pool on 4, the inner product reads 2 (squeeze 4 -> 2).

// CHECK-LABEL: func.func @net
// CHECK: %[[IN:.*]]:2 = "sdf_hw.dma_in"(%arg0)
// CHECK-SAME: -> (!sdf_hw.stream<#sdf.fixed<16 : i64, {{[0-9]+}} : i64>, 1 : i64>, !sdf_hw.stream
// CHECK: %[[W0:.*]] = "sdf_hw.sliding_window"(%[[IN]]#0) {instance = 0 : i64, kernel_volume = 9 : i64, layer = "conv"
// CHECK-SAME: -> !sdf_hw.stream<#sdf.fixed<16 : i64, {{[0-9]+}} : i64>, 9 : i64>
// CHECK: %[[F0:.*]]:2 = "sdf_hw.fork"(%[[W0]])
// CHECK: %[[W1:.*]] = "sdf_hw.sliding_window"(%[[IN]]#1) {instance = 1 : i64
// CHECK: "sdf_hw.fork"(%[[W1]])
// CHECK: %[[M0:.*]] = "sdf_hw.weights_memory"(%{{.*}}) {fine = 3 : i64, instance = 0 : i64
// CHECK-SAME: -> !sdf_hw.stream<#sdf.fixed<16 : i64, {{[0-9]+}} : i64>, 3 : i64>
// CHECK: %[[C0:.*]] = "sdf_hw.conv"(%[[F0]]#0, %[[M0]]) {fine = 3 : i64, instance = 0 : i64
// CHECK-NOT: "sdf_hw.accum"
// CHECK: %[[C1:.*]] = "sdf_hw.conv"(%{{.*}}, %{{.*}}) {fine = 3 : i64, instance = 1 : i64
// CHECK-COUNT-2: "sdf_hw.conv"
// CHECK: %[[G0:.*]] = "sdf_hw.glue"(%[[C0]], %[[C1]]) {instance = 0 : i64, layer = "conv"
// CHECK-SAME: words_in = 576 : i64, words_out = 288 : i64
// CHECK: %[[A0:.*]] = "sdf_hw.accum"(%[[G0]]) {instance = 0 : i64, layer = "conv", words_in = 288 : i64, words_out = 144 : i64}
// CHECK: "sdf_hw.bias"(%[[A0]], %{{.*}}) {instance = 0 : i64
// CHECK: "sdf_hw.glue"(%{{.*}}, %{{.*}}) {instance = 1 : i64
// CHECK: "sdf_hw.accum"
// CHECK: "sdf_hw.bias"(%{{.*}}, %{{.*}}) {instance = 1 : i64
// CHECK-NOT: "sdf_hw.accum"
// CHECK: %[[SQ:.*]]:4 = "sdf_hw.squeeze"(%{{.*}}, %{{.*}}) {instance = 0 : i64, layer = "relu"
// CHECK-COUNT-4: "sdf_hw.activation"(%[[SQ]]#{{[0-3]}}) {instance = {{[0-3]}} : i64, kind = "relu", layer = "relu", words_in = 72 : i64, words_out = 72 : i64}
// CHECK-COUNT-4: "sdf_hw.pool"
// CHECK: "sdf_hw.squeeze"({{.*}}) {instance = 0 : i64, layer = "fc"
// CHECK-NOT: "sdf_hw.sliding_window"
// CHECK: "sdf_hw.conv"
// CHECK: "sdf_hw.conv"
// CHECK: "sdf_hw.glue"
// CHECK: %[[OUT:.*]] = "sdf_hw.dma_out"
// CHECK-NOT: "sdf.conv"
// CHECK: return %[[OUT]]

// Before quantization the streams carry f32.
// FLOAT: "sdf_hw.sliding_window"{{.*}} -> !sdf_hw.stream<f32, 9 : i64>

func.func @net(%x: tensor<1x4x8x8xf32>) -> tensor<1x10xf32> {
  %w = "sdf.weights"() {value = dense<0.125> : tensor<8x4x3x3xf32>} : () -> tensor<8x4x3x3xf32>
  %b = "sdf.weights"() {value = dense<0.5> : tensor<8xf32>} : () -> tensor<8xf32>
  %0 = "sdf.conv"(%x, %w, %b) {coarse_in = 2 : i64, coarse_out = 2 : i64, fine = 3 : i64} : (tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>, tensor<8xf32>) -> tensor<1x8x6x6xf32> loc("conv")
  %1 = "sdf.activation"(%0) {kind = "relu", coarse_in = 4 : i64, coarse_out = 4 : i64} : (tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32> loc("relu")
  %2 = "sdf.pool"(%1) {mode = "max", kernel = array<i64: 2, 2>, coarse_in = 4 : i64, coarse_out = 4 : i64} : (tensor<1x8x6x6xf32>) -> tensor<1x8x3x3xf32> loc("pool")
  %fw = "sdf.weights"() {value = dense<0.01> : tensor<10x72xf32>} : () -> tensor<10x72xf32>
  %fb = "sdf.weights"() {value = dense<0.0> : tensor<10xf32>} : () -> tensor<10xf32>
  %3 = "sdf.inner_product"(%2, %fw, %fb) {coarse_in = 2 : i64} : (tensor<1x8x3x3xf32>, tensor<10x72xf32>, tensor<10xf32>) -> tensor<1x10xf32> loc("fc")
  return %3 : tensor<1x10xf32>
}
