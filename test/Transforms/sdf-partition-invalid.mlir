// RUN: fpga-opt %s --split-input-file --verify-diagnostics -o %t.out.mlir

// Hand-edited partitions with several streams that break the rules.

func.func @arguments(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> {
  // expected-error @+1 {{body must take one argument per partition input, of its type (2 inputs, 1 arguments)}}
  %0 = "sdf.partition"(%x, %x) ({
  ^bb0(%a: tensor<1x4x8x8xf32>):
    %r = "sdf.activation"(%a) {kind = "relu"} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
    "sdf.yield"(%r) {operandSegmentSizes = array<i32: 1, 0, 0, 0>} : (tensor<1x4x8x8xf32>) -> ()
  }) {operandSegmentSizes = array<i32: 2, 0, 0, 0>, resultSegmentSizes = array<i32: 1, 0, 0, 0>} : (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  return %0 : tensor<1x4x8x8xf32>
}

// -----

func.func @results(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> {
  // expected-error @+1 {{body must end with 'sdf.yield' of the partition's result types}}
  %0:2 = "sdf.partition"(%x) ({
  ^bb0(%a: tensor<1x4x8x8xf32>):
    %r = "sdf.activation"(%a) {kind = "relu"} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
    "sdf.yield"(%r) {operandSegmentSizes = array<i32: 1, 0, 0, 0>} : (tensor<1x4x8x8xf32>) -> ()
  }) {operandSegmentSizes = array<i32: 1, 0, 0, 0>, resultSegmentSizes = array<i32: 2, 0, 0, 0>} : (tensor<1x4x8x8xf32>) -> (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>)
  return %0#0 : tensor<1x4x8x8xf32>
}

// -----

// The skip tensor copied through a partition that does not use it: it must go straight to
// the partition reading it.
func.func @pass_through(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> {
  %s:2 = "sdf.split"(%x) : (tensor<1x4x8x8xf32>) -> (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>)
  // expected-error @+1 {{result #1 yields a partition input unchanged; a tensor that skips a partition is read directly by the partition using it}}
  %0:2 = "sdf.partition"(%s#0, %s#1) ({
  ^bb0(%a: tensor<1x4x8x8xf32>, %skip: tensor<1x4x8x8xf32>):
    %r = "sdf.activation"(%a) {kind = "relu"} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
    "sdf.yield"(%r, %skip) {operandSegmentSizes = array<i32: 2, 0, 0, 0>} : (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>) -> ()
  }) {operandSegmentSizes = array<i32: 2, 0, 0, 0>, resultSegmentSizes = array<i32: 2, 0, 0, 0>} : (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>) -> (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>)
  %e = "sdf.eltwise"(%0#0, %0#1) {mode = "add"} : (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  return %e : tensor<1x4x8x8xf32>
}

// -----

// IRDL binds one type per operand group: two shapes in one group are refused by MLIR's own
// verifier (put them in two groups, as --sdf-partition does).
func.func @mixed_types_in_one_group(%x: tensor<1x4x8x8xf32>, %y: tensor<1x8x4x4xf32>) -> tensor<1x4x8x8xf32> {
  // expected-error @+1 {{expected 'tensor<1x4x8x8xf32>' but got 'tensor<1x8x4x4xf32>'}}
  %0 = "sdf.partition"(%x, %y) ({
  ^bb0(%a: tensor<1x4x8x8xf32>, %b: tensor<1x8x4x4xf32>):
    %r = "sdf.activation"(%a) {kind = "relu"} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
    %q = "sdf.activation"(%b) {kind = "relu"} : (tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
    "sdf.yield"(%r) {operandSegmentSizes = array<i32: 1, 0, 0, 0>} : (tensor<1x4x8x8xf32>) -> ()
  }) {operandSegmentSizes = array<i32: 2, 0, 0, 0>, resultSegmentSizes = array<i32: 1, 0, 0, 0>} : (tensor<1x4x8x8xf32>, tensor<1x8x4x4xf32>) -> tensor<1x4x8x8xf32>
  return %0 : tensor<1x4x8x8xf32>
}

// -----

// The group sizes are part of the op: a partition without them does not parse.
func.func @no_group_sizes(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> {
  // expected-error @+1 {{'operandSegmentSizes' attribute is expected but not provided}}
  %0 = "sdf.partition"(%x) ({
  ^bb0(%a: tensor<1x4x8x8xf32>):
    %r = "sdf.activation"(%a) {kind = "relu"} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
    "sdf.yield"(%r) {operandSegmentSizes = array<i32: 1, 0, 0, 0>} : (tensor<1x4x8x8xf32>) -> ()
  }) : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  return %0 : tensor<1x4x8x8xf32>
}

// -----

// Sizes that do not add up to the operands.
func.func @wrong_group_sizes(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> {
  // expected-error @+1 {{'operandSegmentSizes' attribute}}
  %0 = "sdf.partition"(%x) ({
  ^bb0(%a: tensor<1x4x8x8xf32>):
    %r = "sdf.activation"(%a) {kind = "relu"} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
    "sdf.yield"(%r) {operandSegmentSizes = array<i32: 1, 0, 0, 0>} : (tensor<1x4x8x8xf32>) -> ()
  }) {operandSegmentSizes = array<i32: 1, 1, 0, 0>, resultSegmentSizes = array<i32: 1, 0, 0, 0>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  return %0 : tensor<1x4x8x8xf32>
}
