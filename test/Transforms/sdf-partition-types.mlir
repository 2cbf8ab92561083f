// RUN: not fpga-opt %s --sdf-partition="cuts=p16" 2>&1 | filecheck %s

// A partition holds its tensors in four operand groups, one type each (IRDL). Cut after
// p16, five tensors of five shapes cross: the partition writing them and the one reading
// them are refused, each at its first layer, before anything moves.
// CHECK: sdf-partition-types.mlir:[[# @LINE + 5]]:{{[0-9]+}}: error: a partition starting here would write tensors of 5 types (tensor<1x4x16x16xf32>, tensor<1x4x8x8xf32>, tensor<1x4x4x4xf32>, tensor<1x4x2x2xf32>, tensor<1x4x1x1xf32>); sdf.partition holds at most 4 (one per operand group, IRDL): cut elsewhere
// CHECK-NEXT: sdf-partition-types.mlir:[[# @LINE + 9]]:{{[0-9]+}}: error: a partition starting here would read tensors of 5 types
// CHECK-NOT: Traceback

func.func @five(%x: tensor<1x4x16x16xf32>) -> (tensor<1x4x16x16xf32>, tensor<1x4x8x8xf32>, tensor<1x4x4x4xf32>, tensor<1x4x2x2xf32>, tensor<1x4x1x1xf32>) {
  %s:5 = "sdf.split"(%x) {name = "fork"} : (tensor<1x4x16x16xf32>) -> (tensor<1x4x16x16xf32>, tensor<1x4x16x16xf32>, tensor<1x4x16x16xf32>, tensor<1x4x16x16xf32>, tensor<1x4x16x16xf32>)
  %p2 = "sdf.pool"(%s#1) {mode = "max", kernel = array<i64: 2, 2>, name = "p2"} : (tensor<1x4x16x16xf32>) -> tensor<1x4x8x8xf32>
  %p4 = "sdf.pool"(%s#2) {mode = "max", kernel = array<i64: 4, 4>, name = "p4"} : (tensor<1x4x16x16xf32>) -> tensor<1x4x4x4xf32>
  %p8 = "sdf.pool"(%s#3) {mode = "max", kernel = array<i64: 8, 8>, name = "p8"} : (tensor<1x4x16x16xf32>) -> tensor<1x4x2x2xf32>
  %p16 = "sdf.pool"(%s#4) {mode = "max", kernel = array<i64: 16, 16>, name = "p16"} : (tensor<1x4x16x16xf32>) -> tensor<1x4x1x1xf32>
  %r1 = "sdf.activation"(%s#0) {kind = "relu", name = "r1"} : (tensor<1x4x16x16xf32>) -> tensor<1x4x16x16xf32>
  %r2 = "sdf.activation"(%p2) {kind = "relu", name = "r2"} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %r4 = "sdf.activation"(%p4) {kind = "relu", name = "r4"} : (tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  %r8 = "sdf.activation"(%p8) {kind = "relu", name = "r8"} : (tensor<1x4x2x2xf32>) -> tensor<1x4x2x2xf32>
  %r16 = "sdf.activation"(%p16) {kind = "relu", name = "r16"} : (tensor<1x4x1x1xf32>) -> tensor<1x4x1x1xf32>
  return %r1, %r2, %r4, %r8, %r16 : tensor<1x4x16x16xf32>, tensor<1x4x8x8xf32>, tensor<1x4x4x4xf32>, tensor<1x4x2x2xf32>, tensor<1x4x1x1xf32>
}
