// RUN: %python -c "import numpy as np; np.save('%t.npy', np.full((2, 2, 6, 6), 2.0, np.float32))"
// RUN: fpga-opt %s --sdf-quantize="weights=8 activations=8 calibration=%t.npy" | filecheck %s
// RUN: fpga-opt %s --sdf-quantize="weights=8 activations=8 calibration=%t.npy layers=fc:w16a16" | filecheck %s --check-prefix=OVERRIDE
// RUN: not fpga-opt %s --sdf-quantize="layers=nope:w8a8" 2>&1 | filecheck %s --check-prefix=NOLAYER
// RUN: not fpga-opt %s --sdf-quantize="weights=1" 2>&1 | filecheck %s --check-prefix=WIDTH
// RUN: not fpga-opt %s --sdf-quantize="calibration=%t.missing.npy" 2>&1 | filecheck %s --check-prefix=CALIB

// Formats computed by hand, for 8-bit weights and activations (largest integer 127):
// - input: calibration max |x| = 2.0, 127 / 2 = 63.5, frac = floor(log2 63.5) = 5
// - conv weights: max |w| = 1.5, 127 / 1.5 = 84.7, frac = 6
// - conv bias: at the accumulator's binary point 5 + 6 = 11; max |b| = 0.3 -> 614 -> 11 bits
// - accumulator: 3 products of at most 2^7 * 96 (1.5 * 2^6) plus 614 = 37478 -> 17 bits
// - fc weights: 0.05 -> 127 / 0.05 = 2540, frac = 11

// CHECK-LABEL: func.func @net
// CHECK-SAME: {sdf.format = #sdf.fixed<8 : i64, 5 : i64>}
// CHECK: "sdf.weights"() {output_format = #sdf.fixed<8 : i64, 6 : i64>
// CHECK: "sdf.weights"() {output_format = #sdf.fixed<11 : i64, 11 : i64>
// CHECK: "sdf.conv"{{.*}}{acc_width = 17 : i64, groups = 2 : i64, output_format = #sdf.fixed<8 : i64, {{[0-9]+}} : i64>
// CHECK: "sdf.activation"{{.*}}output_format = #sdf.fixed<8 : i64
// CHECK: "sdf.pool"{{.*}}output_format = #sdf.fixed<8 : i64
// CHECK: "sdf.weights"() {output_format = #sdf.fixed<8 : i64, 11 : i64>
// CHECK: "sdf.inner_product"{{.*}}acc_width = {{[0-9]+}} : i64, output_format = #sdf.fixed<8 : i64

// A per-layer override widens only that layer: 16-bit fc weights, 0.05 -> frac 19.
// OVERRIDE: "sdf.weights"() {output_format = #sdf.fixed<8 : i64, 6 : i64>
// OVERRIDE: "sdf.weights"() {output_format = #sdf.fixed<16 : i64, 19 : i64>
// OVERRIDE: "sdf.inner_product"{{.*}}output_format = #sdf.fixed<16 : i64

// NOLAYER: error: --sdf-quantize: no layer named 'nope' here (layers: conv, activation, pool, fc)
// WIDTH: error: --sdf-quantize: weights=1 is outside [2, 32] bits
// CALIB: error: --sdf-quantize: cannot read calibration data

func.func @net(%x: tensor<1x2x6x6xf32>) -> tensor<1x3xf32> {
  %w = "sdf.weights"() {value = dense<[[[[0.5, -0.25, 0.125]]], [[[0.3, 0.2, -0.7]]], [[[1.5, 0.1, 0.0]]], [[[-0.9, 0.4, 0.2]]]]> : tensor<4x1x1x3xf32>} : () -> tensor<4x1x1x3xf32>
  %b = "sdf.weights"() {value = dense<[0.1, -0.2, 0.3, 0.05]> : tensor<4xf32>} : () -> tensor<4xf32>
  %c = "sdf.conv"(%x, %w, %b) {groups = 2, pad = array<i64: 0, 1, 0, 1>} : (tensor<1x2x6x6xf32>, tensor<4x1x1x3xf32>, tensor<4xf32>) -> tensor<1x4x6x6xf32> loc("conv")
  %r = "sdf.activation"(%c) {kind = "relu"} : (tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32> loc("activation")
  %p = "sdf.pool"(%r) {mode = "avg", kernel = array<i64: 2, 2>} : (tensor<1x4x6x6xf32>) -> tensor<1x4x3x3xf32> loc("pool")
  %fw = "sdf.weights"() {value = dense<0.05> : tensor<3x36xf32>} : () -> tensor<3x36xf32>
  %fb = "sdf.weights"() {value = dense<[0.0, 0.5, -0.5]> : tensor<3xf32>} : () -> tensor<3xf32>
  %y = "sdf.inner_product"(%p, %fw, %fb) : (tensor<1x4x3x3xf32>, tensor<3x36xf32>, tensor<3xf32>) -> tensor<1x3xf32> loc("fc")
  return %y : tensor<1x3xf32>
}
