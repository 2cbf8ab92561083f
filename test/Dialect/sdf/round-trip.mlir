// RUN: fpga-opt %s | fpga-opt | filecheck %s
// Every sdf op parses, verifies and prints back to text that parses again.

// CHECK-LABEL: func.func @layers2d
func.func @layers2d(%x: tensor<1x4x8x8xf32>) -> tensor<1x10xf32> {
  // CHECK: %[[W:.*]] = "sdf.weights"() {value = dense<5.000000e-01> : tensor<8x4x3x3xf32>}
  %w = "sdf.weights"() {value = dense<0.5> : tensor<8x4x3x3xf32>} : () -> tensor<8x4x3x3xf32>
  %b = "sdf.weights"() {value = dense<0.0> : tensor<8xf32>} : () -> tensor<8xf32>
  // CHECK: %[[C:.*]] = "sdf.conv"(%{{.*}}, %[[W]], %{{.*}}) {coarse_in = 2 : i64, coarse_out = 4 : i64, fine = 3 : i64, output_format = #sdf.fixed<16 : i64, 8 : i64>, pad = array<i64: 1, 1, 1, 1>}
  %c = "sdf.conv"(%x, %w, %b) {pad = array<i64: 1, 1, 1, 1>, coarse_in = 2, coarse_out = 4, fine = 3, output_format = #sdf.fixed<16 : i64, 8 : i64>} : (tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>, tensor<8xf32>) -> tensor<1x8x8x8xf32>
  // CHECK: %[[S:.*]]:2 = "sdf.split"(%[[C]])
  %s:2 = "sdf.split"(%c) : (tensor<1x8x8x8xf32>) -> (tensor<1x8x8x8xf32>, tensor<1x8x8x8xf32>)
  // CHECK: "sdf.activation"(%[[S]]#0) {kind = "relu"}
  %r = "sdf.activation"(%s#0) {kind = "relu"} : (tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
  // CHECK: "sdf.activation"(%[[S]]#1) {alpha = 1.000000e-01 : f64, kind = "leaky_relu"}
  %l = "sdf.activation"(%s#1) {kind = "leaky_relu", alpha = 0.1 : f64} : (tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
  // CHECK: "sdf.eltwise"({{.*}}) {mode = "add"}
  %e = "sdf.eltwise"(%r, %l) {mode = "add"} : (tensor<1x8x8x8xf32>, tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
  // A stream read by several layers is forked by an explicit split.
  // CHECK: "sdf.split"({{.*}}) : (tensor<1x8x8x8xf32>) -> (tensor<1x8x8x8xf32>, tensor<1x8x8x8xf32>, tensor<1x8x8x8xf32>)
  %es:3 = "sdf.split"(%e) : (tensor<1x8x8x8xf32>) -> (tensor<1x8x8x8xf32>, tensor<1x8x8x8xf32>, tensor<1x8x8x8xf32>)
  // CHECK: "sdf.global_pool"({{.*}}) {mode = "avg"}
  %g = "sdf.global_pool"(%es#0) {mode = "avg"} : (tensor<1x8x8x8xf32>) -> tensor<1x8x1x1xf32>
  // CHECK: "sdf.eltwise"({{.*}}) {mode = "mul"} : (tensor<1x8x8x8xf32>, tensor<1x8x1x1xf32>) -> tensor<1x8x8x8xf32>
  %m = "sdf.eltwise"(%es#1, %g) {mode = "mul"} : (tensor<1x8x8x8xf32>, tensor<1x8x1x1xf32>) -> tensor<1x8x8x8xf32>
  // CHECK: "sdf.concat"({{.*}}) : (tensor<1x8x8x8xf32>, tensor<1x8x8x8xf32>) -> tensor<1x16x8x8xf32>
  %cat = "sdf.concat"(%m, %es#2) : (tensor<1x8x8x8xf32>, tensor<1x8x8x8xf32>) -> tensor<1x16x8x8xf32>
  %sc = "sdf.weights"() {value = dense<2.0> : tensor<16xf32>} : () -> tensor<16xf32>
  %sh = "sdf.weights"() {value = dense<1.0> : tensor<16xf32>} : () -> tensor<16xf32>
  // CHECK: "sdf.scale_shift"
  %ss = "sdf.scale_shift"(%cat, %sc, %sh) : (tensor<1x16x8x8xf32>, tensor<16xf32>, tensor<16xf32>) -> tensor<1x16x8x8xf32>
  // CHECK: "sdf.pool"({{.*}}) {kernel = array<i64: 2, 2>, mode = "max", stride = array<i64: 2, 2>}
  %p = "sdf.pool"(%ss) {mode = "max", kernel = array<i64: 2, 2>, stride = array<i64: 2, 2>} : (tensor<1x16x8x8xf32>) -> tensor<1x16x4x4xf32>
  // CHECK: "sdf.resize"({{.*}}) {mode = "nearest", scale = array<i64: 2, 2>} : (tensor<1x16x4x4xf32>) -> tensor<1x16x8x8xf32>
  %u = "sdf.resize"(%p) {mode = "nearest", scale = array<i64: 2, 2>} : (tensor<1x16x4x4xf32>) -> tensor<1x16x8x8xf32>
  %fw = "sdf.weights"() {value = dense<0.01> : tensor<10x1024xf32>} : () -> tensor<10x1024xf32>
  %fb = "sdf.weights"() {value = dense<0.0> : tensor<10xf32>} : () -> tensor<10xf32>
  // CHECK: "sdf.inner_product"({{.*}}) : (tensor<1x16x8x8xf32>, tensor<10x1024xf32>, tensor<10xf32>) -> tensor<1x10xf32>
  %fc = "sdf.inner_product"(%u, %fw, %fb) : (tensor<1x16x8x8xf32>, tensor<10x1024xf32>, tensor<10xf32>) -> tensor<1x10xf32>
  return %fc : tensor<1x10xf32>
}

// CHECK-LABEL: func.func @layers3d
func.func @layers3d(%x: tensor<1x3x8x16x16xf32>) -> tensor<1x4x4x8x8xf32> {
  // CHECK: "sdf.weights"() {file = "weights.npz", key = "c3d.w"}
  %w = "sdf.weights"() {file = "weights.npz", key = "c3d.w"} : () -> tensor<4x3x3x3x3xf32>
  %b = "sdf.weights"() {file = "weights.npz", key = "c3d.b"} : () -> tensor<4xf32>
  // CHECK: %[[P:.*]] = "sdf.partition"(%{{.*}}) ({
  // CHECK-NEXT: ^bb0(%[[A:.*]]: tensor<1x3x8x16x16xf32>):
  // CHECK-NEXT: "sdf.conv"(%[[A]], {{.*}}) {dilation = array<i64: 1, 1, 1>, groups = 1 : i64, pad = array<i64: 1, 1, 1, 1, 1, 1>, stride = array<i64: 1, 1, 1>}
  // CHECK: "sdf.pool"({{.*}}) {count_include_pad = false, kernel = array<i64: 2, 2, 2>, mode = "avg"} : (tensor<1x4x8x16x16xf32>) -> tensor<1x4x4x8x8xf32>
  // CHECK-NEXT: "sdf.yield"
  %0 = "sdf.partition"(%x) ({
  ^bb0(%a: tensor<1x3x8x16x16xf32>):
    %c = "sdf.conv"(%a, %w, %b) {stride = array<i64: 1, 1, 1>, pad = array<i64: 1, 1, 1, 1, 1, 1>, dilation = array<i64: 1, 1, 1>, groups = 1} : (tensor<1x3x8x16x16xf32>, tensor<4x3x3x3x3xf32>, tensor<4xf32>) -> tensor<1x4x8x16x16xf32>
    %p = "sdf.pool"(%c) {mode = "avg", kernel = array<i64: 2, 2, 2>, count_include_pad = false} : (tensor<1x4x8x16x16xf32>) -> tensor<1x4x4x8x8xf32>
    "sdf.yield"(%p) {operandSegmentSizes = array<i32: 1, 0, 0, 0>} : (tensor<1x4x4x8x8xf32>) -> ()
  }) {operandSegmentSizes = array<i32: 1, 0, 0, 0>, resultSegmentSizes = array<i32: 1, 0, 0, 0>} : (tensor<1x3x8x16x16xf32>) -> tensor<1x4x4x8x8xf32>
  return %0 : tensor<1x4x4x8x8xf32>
}

// CHECK-LABEL: func.func @depthwise
func.func @depthwise(%x: tensor<1x8x9x9xf32>) -> tensor<1x8x4x4xf32> {
  %w = "sdf.weights"() {value = dense<1.0> : tensor<8x1x3x3xf32>} : () -> tensor<8x1x3x3xf32>
  %b = "sdf.weights"() {value = dense<0.0> : tensor<8xf32>} : () -> tensor<8xf32>
  // CHECK: "sdf.conv"({{.*}}) {coarse_group = 4 : i64, dilation = array<i64: 2, 2>, groups = 8 : i64, pad = array<i64: 2, 1, 1, 2>, stride = array<i64: 2, 2>}
  %c = "sdf.conv"(%x, %w, %b) {groups = 8, stride = array<i64: 2, 2>, dilation = array<i64: 2, 2>, pad = array<i64: 2, 1, 1, 2>, coarse_group = 4} : (tensor<1x8x9x9xf32>, tensor<8x1x3x3xf32>, tensor<8xf32>) -> tensor<1x8x4x4xf32>
  return %c : tensor<1x8x4x4xf32>
}

// AutoWS fragments, as a hand would write them: 8 MAC units (coarse 2 x 4) each read
// 2 x 2 x 3 = 12 words, 3 fragments of 3 on chip + 1 off chip; weights_off_chip agrees.
// CHECK-LABEL: func.func @fragments
func.func @fragments(%x: tensor<1x4x8x8xf32>) -> tensor<1x8x6x6xf32> {
  %w = "sdf.weights"() {value = dense<1.0> : tensor<8x4x3x3xf32>} : () -> tensor<8x4x3x3xf32>
  %b = "sdf.weights"() {value = dense<0.0> : tensor<8xf32>} : () -> tensor<8xf32>
  // CHECK: "sdf.conv"({{.*}}) {coarse_in = 2 : i64, coarse_out = 4 : i64, fine = 3 : i64, weights_fragments = array<i64: 3, 3, 1>, weights_off_chip = 2.500000e-01 : f64}
  %c = "sdf.conv"(%x, %w, %b) {coarse_in = 2, coarse_out = 4, fine = 3, weights_fragments = array<i64: 3, 3, 1>, weights_off_chip = 0.25} : (tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>, tensor<8xf32>) -> tensor<1x8x6x6xf32>
  return %c : tensor<1x8x6x6xf32>
}
