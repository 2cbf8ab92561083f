// RUN: fpga-opt %s --split-input-file --sdf-partition="cuts=relu1" | filecheck %s
// RUN: fpga-opt %s --split-input-file --sdf-partition="cuts=relu1" -o %t.once.mlir
// RUN: fpga-opt %t.once.mlir --split-input-file --sdf-partition="cuts=none" | fpga-opt - --split-input-file --sdf-partition="cuts=relu1" -o %t.twice.mlir
// RUN: diff %t.once.mlir %t.twice.mlir
// RUN: fpga-opt %s --split-input-file --sdf-partition="cuts=fork,relu1" | filecheck %s --check-prefix=THREE
// RUN: fpga-opt %s --split-input-file --sdf-partition="cuts=none" | filecheck %s --check-prefix=FLAT

// A ResNet basic block (fork, conv, relu, conv, add with the skip, relu) cut between its two
// convolutions: the first partition writes the main stream and the skip tensor to off-chip
// memory, the second reads both and joins them at the add.
// CHECK-LABEL: func.func @block
// CHECK: %[[P:.*]]:2 = "sdf.partition"(%arg0) ({
// CHECK-NEXT: ^bb0(%[[X:.*]]: tensor<1x8x8x8xf32>):
// CHECK-NEXT: %[[S:.*]]:2 = "sdf.split"(%[[X]]) {name = "fork"}
// CHECK-NEXT: %[[C1:.*]] = "sdf.conv"(%[[S]]#0,
// CHECK-NEXT: %[[R1:.*]] = "sdf.activation"(%[[C1]]) {kind = "relu", name = "relu1"}
// CHECK-NEXT: "sdf.yield"(%[[S]]#1, %[[R1]]) {operandSegmentSizes = array<i32: 2, 0, 0, 0>}
// CHECK: %[[Q:.*]] = "sdf.partition"(%[[P]]#1, %[[P]]#0) ({
// CHECK-NEXT: ^bb0(%[[MAIN:.*]]: tensor<1x8x8x8xf32>, %[[SKIP:.*]]: tensor<1x8x8x8xf32>):
// CHECK-NEXT: %[[C2:.*]] = "sdf.conv"(%[[MAIN]],
// CHECK-NEXT: %[[ADD:.*]] = "sdf.eltwise"(%[[C2]], %[[SKIP]])
// CHECK: return %[[Q]]

// Cut also after the fork: the skip tensor crosses two cuts. It is written once, by the
// first partition, and read once, by the third: it goes past the second partition.
// THREE-LABEL: func.func @block
// THREE: %[[P0:.*]]:2 = "sdf.partition"(%arg0)
// THREE: "sdf.yield"(%{{.*}}#0, %{{.*}}#1)
// THREE: %[[P1:.*]] = "sdf.partition"(%[[P0]]#0) ({
// THREE: "sdf.partition"(%[[P1]], %[[P0]]#1) ({

// The hand-written partitioned form below (second function: its streams in another order)
// parses, verifies and inlines back into a flat pipeline.
// FLAT-LABEL: func.func @hand_written
// FLAT-NOT: sdf.partition
// FLAT: %[[S:.*]]:2 = "sdf.split"(%arg0)
// FLAT: %[[C1:.*]] = "sdf.conv"(%[[S]]#0,
// FLAT: %[[R1:.*]] = "sdf.activation"(%[[C1]])
// FLAT: %[[C2:.*]] = "sdf.conv"(%[[R1]],
// FLAT: "sdf.eltwise"(%[[C2]], %[[S]]#1)

func.func @block(%x: tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32> {
  %w1 = "sdf.weights"() {value = dense<0.1> : tensor<8x8x3x3xf32>} : () -> tensor<8x8x3x3xf32>
  %w2 = "sdf.weights"() {value = dense<0.2> : tensor<8x8x3x3xf32>} : () -> tensor<8x8x3x3xf32>
  %b = "sdf.weights"() {value = dense<0.0> : tensor<8xf32>} : () -> tensor<8xf32>
  %s:2 = "sdf.split"(%x) {name = "fork"} : (tensor<1x8x8x8xf32>) -> (tensor<1x8x8x8xf32>, tensor<1x8x8x8xf32>)
  %c1 = "sdf.conv"(%s#0, %w1, %b) {name = "conv1", pad = array<i64: 1, 1, 1, 1>} : (tensor<1x8x8x8xf32>, tensor<8x8x3x3xf32>, tensor<8xf32>) -> tensor<1x8x8x8xf32>
  %r1 = "sdf.activation"(%c1) {kind = "relu", name = "relu1"} : (tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
  %c2 = "sdf.conv"(%r1, %w2, %b) {name = "conv2", pad = array<i64: 1, 1, 1, 1>} : (tensor<1x8x8x8xf32>, tensor<8x8x3x3xf32>, tensor<8xf32>) -> tensor<1x8x8x8xf32>
  %e = "sdf.eltwise"(%c2, %s#1) {mode = "add", name = "add"} : (tensor<1x8x8x8xf32>, tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
  %r = "sdf.activation"(%e) {kind = "relu", name = "relu2"} : (tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
  return %r : tensor<1x8x8x8xf32>
}

// -----

func.func @hand_written(%x: tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32> {
  %w1 = "sdf.weights"() {value = dense<0.1> : tensor<8x8x3x3xf32>} : () -> tensor<8x8x3x3xf32>
  %w2 = "sdf.weights"() {value = dense<0.2> : tensor<8x8x3x3xf32>} : () -> tensor<8x8x3x3xf32>
  %b = "sdf.weights"() {value = dense<0.0> : tensor<8xf32>} : () -> tensor<8xf32>
  %p:2 = "sdf.partition"(%x) ({
  ^bb0(%in: tensor<1x8x8x8xf32>):
    %s:2 = "sdf.split"(%in) {name = "fork"} : (tensor<1x8x8x8xf32>) -> (tensor<1x8x8x8xf32>, tensor<1x8x8x8xf32>)
    %c1 = "sdf.conv"(%s#0, %w1, %b) {name = "conv1", pad = array<i64: 1, 1, 1, 1>} : (tensor<1x8x8x8xf32>, tensor<8x8x3x3xf32>, tensor<8xf32>) -> tensor<1x8x8x8xf32>
    %r1 = "sdf.activation"(%c1) {kind = "relu", name = "relu1"} : (tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
    "sdf.yield"(%r1, %s#1) {operandSegmentSizes = array<i32: 2, 0, 0, 0>} : (tensor<1x8x8x8xf32>, tensor<1x8x8x8xf32>) -> ()
  }) {operandSegmentSizes = array<i32: 1, 0, 0, 0>, resultSegmentSizes = array<i32: 2, 0, 0, 0>} : (tensor<1x8x8x8xf32>) -> (tensor<1x8x8x8xf32>, tensor<1x8x8x8xf32>)
  %q = "sdf.partition"(%p#0, %p#1) ({
  ^bb0(%main: tensor<1x8x8x8xf32>, %skip: tensor<1x8x8x8xf32>):
    %c2 = "sdf.conv"(%main, %w2, %b) {name = "conv2", pad = array<i64: 1, 1, 1, 1>} : (tensor<1x8x8x8xf32>, tensor<8x8x3x3xf32>, tensor<8xf32>) -> tensor<1x8x8x8xf32>
    %e = "sdf.eltwise"(%c2, %skip) {mode = "add", name = "add"} : (tensor<1x8x8x8xf32>, tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
    %r = "sdf.activation"(%e) {kind = "relu", name = "relu2"} : (tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
    "sdf.yield"(%r) {operandSegmentSizes = array<i32: 1, 0, 0, 0>} : (tensor<1x8x8x8xf32>) -> ()
  }) {operandSegmentSizes = array<i32: 2, 0, 0, 0>, resultSegmentSizes = array<i32: 1, 0, 0, 0>} : (tensor<1x8x8x8xf32>, tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
  return %q : tensor<1x8x8x8xf32>
}
