// RUN: fpga-opt %s --sdf-partition="cuts=c0,add" | filecheck %s
// RUN: fpga-opt %s --sdf-partition="cuts=c0,add" --sdf-partition="cuts=none" | filecheck %s --check-prefix=NONE
// RUN: fpga-opt %s --sdf-partition="cuts=c1" | filecheck %s --check-prefix=INSIDE
// RUN: fpga-opt %s --sdf-partition="cuts=pool" --verify-diagnostics -o %t.out.mlir
// RUN: not fpga-opt %s --sdf-partition="cuts=c9" 2>&1 | filecheck %s --check-prefix=NAME

// Cutting after c0 and after the residual add gives three single-stream partitions.
// CHECK-LABEL: func.func @net
// CHECK-COUNT-3: "sdf.weights"
// CHECK-NEXT: %[[P0:.*]] = "sdf.partition"(%arg0) ({
// CHECK-NEXT: ^bb0(%[[A0:.*]]: tensor<1x4x8x8xf32>):
// CHECK-NEXT: %[[C0:.*]] = "sdf.conv"(%[[A0]],
// CHECK-NEXT: "sdf.yield"(%[[C0]])
// CHECK: %[[P1:.*]] = "sdf.partition"(%[[P0]]) ({
// CHECK: "sdf.split"
// CHECK: "sdf.conv"
// CHECK: %[[ADD:.*]] = "sdf.eltwise"
// CHECK-NEXT: "sdf.yield"(%[[ADD]])
// CHECK: %[[P2:.*]] = "sdf.partition"(%[[P1]]) ({
// CHECK: "sdf.activation"
// CHECK: "sdf.pool"
// CHECK: return %[[P2]]

// NONE-NOT: sdf.partition

// A cut inside the residual block (after c1, with the fork's second stream live): the
// first partition writes both streams, the second reads both.
// INSIDE: %[[P:.*]]:2 = "sdf.partition"(%arg0) ({
// INSIDE: %[[S:.*]]:2 = "sdf.split"
// INSIDE: %[[C1:.*]] = "sdf.conv"(%[[S]]#0,
// INSIDE-NEXT: "sdf.yield"(%[[S]]#1, %[[C1]]) {operandSegmentSizes = array<i32: 2, 0, 0, 0>} : (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>) -> ()
// INSIDE-NEXT: }) {operandSegmentSizes = array<i32: 1, 0, 0, 0>, resultSegmentSizes = array<i32: 2, 0, 0, 0>} : (tensor<1x4x8x8xf32>) -> (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>)
// INSIDE: "sdf.partition"(%[[P]]#1, %[[P]]#0) ({
// INSIDE-NEXT: ^bb0(%[[MAIN:.*]]: tensor<1x4x8x8xf32>, %[[SKIP:.*]]: tensor<1x4x8x8xf32>):
// INSIDE-NEXT: "sdf.eltwise"(%[[MAIN]], %[[SKIP]])

// NAME: error: --sdf-partition: no layer named 'c9'

func.func @net(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32> {
  %w = "sdf.weights"() {value = dense<0.1> : tensor<4x4x3x3xf32>} : () -> tensor<4x4x3x3xf32>
  %b = "sdf.weights"() {value = dense<0.0> : tensor<4xf32>} : () -> tensor<4xf32>
  %c = "sdf.conv"(%x, %w, %b) {pad = array<i64: 1, 1, 1, 1>} : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32> loc("c0")
  %s:2 = "sdf.split"(%c) : (tensor<1x4x8x8xf32>) -> (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>) loc("fork")
  // Weights next to their layer, as fpga-import writes them: they move above the partitions.
  %w1 = "sdf.weights"() {value = dense<0.2> : tensor<4x4x3x3xf32>} : () -> tensor<4x4x3x3xf32>
  %c1 = "sdf.conv"(%s#0, %w1, %b) {pad = array<i64: 1, 1, 1, 1>} : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32> loc("c1")
  %e = "sdf.eltwise"(%c1, %s#1) {mode = "add"} : (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> loc("add")
  %r = "sdf.activation"(%e) {kind = "relu"} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> loc("relu")
  // expected-error @+1 {{cannot cut after 'pool': it is the last layer, no partition would follow}}
  %p = "sdf.pool"(%r) {mode = "max", kernel = array<i64: 2, 2>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32> loc("pool"("sdf-partition.mlir":50:8))
  return %p : tensor<1x4x4x4xf32>
}
