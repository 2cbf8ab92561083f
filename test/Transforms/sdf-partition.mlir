// RUN: fpga-opt %s --sdf-partition="cuts=c0,add" | filecheck %s
// RUN: fpga-opt %s --sdf-partition="cuts=c0,add" --sdf-partition="cuts=none" | filecheck %s --check-prefix=NONE
// RUN: fpga-opt %s --sdf-partition="cuts=c1" --verify-diagnostics -o %t.out.mlir
// RUN: not fpga-opt %s --sdf-partition="cuts=c9" 2>&1 | filecheck %s --check-prefix=NAME

// Cutting after c0 and after the residual add gives three partitions; the residual branch
// (fork .. add) stays inside one, since two streams are live there.
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
// NAME: error: --sdf-partition: no layer named 'c9'

func.func @net(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32> {
  %w = "sdf.weights"() {value = dense<0.1> : tensor<4x4x3x3xf32>} : () -> tensor<4x4x3x3xf32>
  %b = "sdf.weights"() {value = dense<0.0> : tensor<4xf32>} : () -> tensor<4xf32>
  %c = "sdf.conv"(%x, %w, %b) {pad = array<i64: 1, 1, 1, 1>} : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32> loc("c0")
  %s:2 = "sdf.split"(%c) : (tensor<1x4x8x8xf32>) -> (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>) loc("fork")
  // Weights next to their layer, as fpga-import writes them: they move above the partitions.
  %w1 = "sdf.weights"() {value = dense<0.2> : tensor<4x4x3x3xf32>} : () -> tensor<4x4x3x3xf32>
  // expected-error @+1 {{cannot cut after 'c1': more than one stream is live there (legal cuts: c0, add, relu)}}
  %c1 = "sdf.conv"(%s#0, %w1, %b) {pad = array<i64: 1, 1, 1, 1>} : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32> loc("c1"("sdf-partition.mlir":35:9))
  %e = "sdf.eltwise"(%c1, %s#1) {mode = "add"} : (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> loc("add")
  %r = "sdf.activation"(%e) {kind = "relu"} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> loc("relu")
  %p = "sdf.pool"(%r) {mode = "max", kernel = array<i64: 2, 2>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32> loc("pool")
  return %p : tensor<1x4x4x4xf32>
}
