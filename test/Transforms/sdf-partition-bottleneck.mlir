// RUN: fpga-opt %s --split-input-file --sdf-partition="cuts=relu1" | filecheck %s
// RUN: fpga-opt %s --split-input-file --sdf-partition="cuts=relu1" -o %t.once.mlir
// RUN: fpga-opt %t.once.mlir --split-input-file --sdf-partition="cuts=none" | fpga-opt - --split-input-file --sdf-partition="cuts=relu1" -o %t.twice.mlir
// RUN: diff %t.once.mlir %t.twice.mlir
// RUN: fpga-opt %s --split-input-file --sdf-partition="cuts=none" | filecheck %s --check-prefix=FLAT

// A downsampling bottleneck block (fork; projection 1x1 stride 2, 8 -> 16 channels; main
// 1x1 8 -> 4, 3x3 stride 2, 1x1 4 -> 16; add; relu) cut after its first relu. Two tensors
// of different shapes cross: the main stream (4 channels at 8x8) and the projected skip
// (16 channels at 4x4). Each is in its own operand group (one type per group, IRDL), in
// order of first use: the first partition yields the projection first (program order), so
// group 0 holds the skip tensor and group 1 the main stream.
// CHECK-LABEL: func.func @bottleneck
// CHECK: %[[P:.*]]:2 = "sdf.partition"(%arg0) ({
// CHECK-NEXT: ^bb0(%[[X:.*]]: tensor<1x8x8x8xf32>):
// CHECK-NEXT: %[[S:.*]]:2 = "sdf.split"(%[[X]]) {name = "fork"}
// CHECK-NEXT: %[[PROJ:.*]] = "sdf.conv"(%[[S]]#1, {{.*}}name = "proj"
// CHECK-NEXT: %[[C1:.*]] = "sdf.conv"(%[[S]]#0, {{.*}}name = "conv1"
// CHECK-NEXT: %[[R1:.*]] = "sdf.activation"(%[[C1]]) {kind = "relu", name = "relu1"}
// CHECK-NEXT: "sdf.yield"(%[[PROJ]], %[[R1]]) {operandSegmentSizes = array<i32: 1, 1, 0, 0>} : (tensor<1x16x4x4xf32>, tensor<1x4x8x8xf32>) -> ()
// CHECK-NEXT: }) {operandSegmentSizes = array<i32: 1, 0, 0, 0>, resultSegmentSizes = array<i32: 1, 1, 0, 0>} : (tensor<1x8x8x8xf32>) -> (tensor<1x16x4x4xf32>, tensor<1x4x8x8xf32>)
// The second partition reads the main stream first (conv2), then the skip (the add).
// CHECK: %[[Q:.*]] = "sdf.partition"(%[[P]]#1, %[[P]]#0) ({
// CHECK-NEXT: ^bb0(%[[MAIN:.*]]: tensor<1x4x8x8xf32>, %[[SKIP:.*]]: tensor<1x16x4x4xf32>):
// CHECK-NEXT: %[[C2:.*]] = "sdf.conv"(%[[MAIN]],
// CHECK: %[[C3:.*]] = "sdf.conv"(
// CHECK-NEXT: %[[ADD:.*]] = "sdf.eltwise"(%[[C3]], %[[SKIP]])
// CHECK: "sdf.yield"(%{{.*}}) {operandSegmentSizes = array<i32: 1, 0, 0, 0>} : (tensor<1x16x4x4xf32>) -> ()
// CHECK-NEXT: }) {operandSegmentSizes = array<i32: 1, 1, 0, 0>, resultSegmentSizes = array<i32: 1, 0, 0, 0>} : (tensor<1x4x8x8xf32>, tensor<1x16x4x4xf32>) -> tensor<1x16x4x4xf32>
// CHECK: return %[[Q]]

// The hand-written form below (second function) groups the tensors its own way (the skip
// tensor in group 2, the main stream in group 0): any grouping with one type per group
// parses, verifies and inlines back into the flat pipeline.
// FLAT-LABEL: func.func @hand_written
// FLAT-NOT: sdf.partition
// FLAT: %[[S:.*]]:2 = "sdf.split"(%arg0)
// FLAT: %[[PROJ:.*]] = "sdf.conv"(%[[S]]#1,
// FLAT: %[[C1:.*]] = "sdf.conv"(%[[S]]#0,
// FLAT: %[[R1:.*]] = "sdf.activation"(%[[C1]])
// FLAT: %[[C2:.*]] = "sdf.conv"(%[[R1]],
// FLAT: "sdf.eltwise"(%{{.*}}, %[[PROJ]])

func.func @bottleneck(%x: tensor<1x8x8x8xf32>) -> tensor<1x16x4x4xf32> {
  %wp = "sdf.weights"() {value = dense<0.05> : tensor<16x8x1x1xf32>} : () -> tensor<16x8x1x1xf32>
  %w1 = "sdf.weights"() {value = dense<0.1> : tensor<4x8x1x1xf32>} : () -> tensor<4x8x1x1xf32>
  %w2 = "sdf.weights"() {value = dense<0.2> : tensor<4x4x3x3xf32>} : () -> tensor<4x4x3x3xf32>
  %w3 = "sdf.weights"() {value = dense<0.3> : tensor<16x4x1x1xf32>} : () -> tensor<16x4x1x1xf32>
  %b4 = "sdf.weights"() {value = dense<0.0> : tensor<4xf32>} : () -> tensor<4xf32>
  %b16 = "sdf.weights"() {value = dense<0.0> : tensor<16xf32>} : () -> tensor<16xf32>
  %s:2 = "sdf.split"(%x) {name = "fork"} : (tensor<1x8x8x8xf32>) -> (tensor<1x8x8x8xf32>, tensor<1x8x8x8xf32>)
  %p = "sdf.conv"(%s#1, %wp, %b16) {name = "proj", stride = array<i64: 2, 2>} : (tensor<1x8x8x8xf32>, tensor<16x8x1x1xf32>, tensor<16xf32>) -> tensor<1x16x4x4xf32>
  %c1 = "sdf.conv"(%s#0, %w1, %b4) {name = "conv1"} : (tensor<1x8x8x8xf32>, tensor<4x8x1x1xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32>
  %r1 = "sdf.activation"(%c1) {kind = "relu", name = "relu1"} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %c2 = "sdf.conv"(%r1, %w2, %b4) {name = "conv2", pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 2, 2>} : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
  %r2 = "sdf.activation"(%c2) {kind = "relu", name = "relu2"} : (tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  %c3 = "sdf.conv"(%r2, %w3, %b16) {name = "conv3"} : (tensor<1x4x4x4xf32>, tensor<16x4x1x1xf32>, tensor<16xf32>) -> tensor<1x16x4x4xf32>
  %e = "sdf.eltwise"(%c3, %p) {mode = "add", name = "add"} : (tensor<1x16x4x4xf32>, tensor<1x16x4x4xf32>) -> tensor<1x16x4x4xf32>
  %r = "sdf.activation"(%e) {kind = "relu", name = "relu3"} : (tensor<1x16x4x4xf32>) -> tensor<1x16x4x4xf32>
  return %r : tensor<1x16x4x4xf32>
}

// -----

func.func @hand_written(%x: tensor<1x8x8x8xf32>) -> tensor<1x16x4x4xf32> {
  %wp = "sdf.weights"() {value = dense<0.05> : tensor<16x8x1x1xf32>} : () -> tensor<16x8x1x1xf32>
  %w1 = "sdf.weights"() {value = dense<0.1> : tensor<4x8x1x1xf32>} : () -> tensor<4x8x1x1xf32>
  %w2 = "sdf.weights"() {value = dense<0.2> : tensor<4x4x3x3xf32>} : () -> tensor<4x4x3x3xf32>
  %w3 = "sdf.weights"() {value = dense<0.3> : tensor<16x4x1x1xf32>} : () -> tensor<16x4x1x1xf32>
  %b4 = "sdf.weights"() {value = dense<0.0> : tensor<4xf32>} : () -> tensor<4xf32>
  %b16 = "sdf.weights"() {value = dense<0.0> : tensor<16xf32>} : () -> tensor<16xf32>
  %p:2 = "sdf.partition"(%x) ({
  ^bb0(%in: tensor<1x8x8x8xf32>):
    %s:2 = "sdf.split"(%in) {name = "fork"} : (tensor<1x8x8x8xf32>) -> (tensor<1x8x8x8xf32>, tensor<1x8x8x8xf32>)
    %pr = "sdf.conv"(%s#1, %wp, %b16) {name = "proj", stride = array<i64: 2, 2>} : (tensor<1x8x8x8xf32>, tensor<16x8x1x1xf32>, tensor<16xf32>) -> tensor<1x16x4x4xf32>
    %c1 = "sdf.conv"(%s#0, %w1, %b4) {name = "conv1"} : (tensor<1x8x8x8xf32>, tensor<4x8x1x1xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32>
    %r1 = "sdf.activation"(%c1) {kind = "relu", name = "relu1"} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
    "sdf.yield"(%r1, %pr) {operandSegmentSizes = array<i32: 1, 0, 1, 0>} : (tensor<1x4x8x8xf32>, tensor<1x16x4x4xf32>) -> ()
  }) {operandSegmentSizes = array<i32: 1, 0, 0, 0>, resultSegmentSizes = array<i32: 1, 0, 1, 0>} : (tensor<1x8x8x8xf32>) -> (tensor<1x4x8x8xf32>, tensor<1x16x4x4xf32>)
  %q = "sdf.partition"(%p#0, %p#1) ({
  ^bb0(%main: tensor<1x4x8x8xf32>, %skip: tensor<1x16x4x4xf32>):
    %c2 = "sdf.conv"(%main, %w2, %b4) {name = "conv2", pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 2, 2>} : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>, tensor<4xf32>) -> tensor<1x4x4x4xf32>
    %r2 = "sdf.activation"(%c2) {kind = "relu", name = "relu2"} : (tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
    %c3 = "sdf.conv"(%r2, %w3, %b16) {name = "conv3"} : (tensor<1x4x4x4xf32>, tensor<16x4x1x1xf32>, tensor<16xf32>) -> tensor<1x16x4x4xf32>
    %e = "sdf.eltwise"(%c3, %skip) {mode = "add", name = "add"} : (tensor<1x16x4x4xf32>, tensor<1x16x4x4xf32>) -> tensor<1x16x4x4xf32>
    %r = "sdf.activation"(%e) {kind = "relu", name = "relu3"} : (tensor<1x16x4x4xf32>) -> tensor<1x16x4x4xf32>
    "sdf.yield"(%r) {operandSegmentSizes = array<i32: 1, 0, 0, 0>} : (tensor<1x16x4x4xf32>) -> ()
  }) {operandSegmentSizes = array<i32: 1, 1, 0, 0>, resultSegmentSizes = array<i32: 1, 0, 0, 0>} : (tensor<1x4x8x8xf32>, tensor<1x16x4x4xf32>) -> tensor<1x16x4x4xf32>
  return %q : tensor<1x16x4x4xf32>
}
