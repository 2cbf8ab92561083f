// RUN: %python -c "import numpy as np; x = np.ones((2, 2, 4, 4), np.float32); x[:, 1] = -1; x[1, 0, 0, 0] = -1; np.save('%t.npy', x)"
// RUN: fpga-opt %s --sdf-sparsity="data=%t.npy" | filecheck %s
// RUN: fpga-opt %s --sdf-sparsity="data=%t.npy" | fpga-opt | filecheck %s
// RUN: fpga-opt %s --sdf-quantize="calibration=%t.npy" --sdf-sparsity="data=%t.npy" | filecheck %s
// RUN: fpga-opt %s --sdf-sparsity="profile=0.65" | filecheck %s --check-prefix=PROFILE
// RUN: fpga-opt %s --sdf-target=platform=zc706 --sdf-sparsity="profile=0.65" --sdf-report="output=%t.txt" -o %t.out.mlir
// RUN: filecheck %s --check-prefix=REPORT --input-file %t.txt
// RUN: %python -c "import numpy as np; np.save('%t.shape.npy', np.ones((2, 3, 4, 4), np.float32))"
// RUN: not fpga-opt %s --sdf-sparsity="data=%t.shape.npy" 2>&1 | filecheck %s --check-prefix=SHAPE
// RUN: %python -c "import numpy as np; x = np.ones((2, 2, 4, 4), np.float32); x[0, 0, 0, 0] = np.nan; np.save('%t.nan.npy', x)"
// RUN: not fpga-opt %s --sdf-sparsity="data=%t.nan.npy" 2>&1 | filecheck %s --check-prefix=NAN
// RUN: not fpga-opt %s --sdf-sparsity 2>&1 | filecheck %s --check-prefix=NONE
// RUN: not fpga-opt %s --sdf-sparsity="profile=1" 2>&1 | filecheck %s --check-prefix=RANGE
// RUN: not fpga-opt %s --sdf-sparsity="profile=-0.5" 2>&1 | filecheck %s --check-prefix=RANGE

// conv0 (1x1, identity weights) reads the input: it has no zeros (its -1s are not zeros).
// relu then zeroes channel 1 everywhere and channel 0 at one pixel of sample 1. conv1 (3x3,
// pad 1) sees in its 16 windows per channel and sample, counting the padding as zeros:
//   channel 0, sample 0: 4 corners 5/9, 8 edges 3/9, 4 inside 0        -> 44/144
//              sample 1: the zero at (0,0) adds one to 4 windows        -> 48/144
//   mean (44 + 48) / 288 = 0.3194, standard deviation over the 32 windows 0.2017
//   channel 1: every window all zeros: 1.0, deviation 0
// Two streams whose sparsity differs by a constant never push back: rho = 0 at every depth.
// Non-zeros per window (sparsity_hist, 10 bins n = 0..9 per channel), channel 0 over its 32
// windows: sample 0 has 4 x 4 (corners), 8 x 6 (edges), 4 x 9 (inside); sample 1 has one
// each of 3, 8, two 5s, and 3 x 4, 6 x 6, 3 x 9 -> n=3: 1/32, 4: 7/32, 5: 2/32, 6: 14/32,
// 8: 1/32, 9: 7/32 (shown to 4 decimals); channel 1: all windows n = 0.

// CHECK-LABEL: func.func @net
// CHECK: "sdf.conv"{{.*}}sparsity = array<f64: 0.000000e+00, 0.000000e+00>, sparsity_hist = array<f64: 0.000000e+00, 1.000000e+00, 0.000000e+00, 1.000000e+00>, sparsity_rho = {"2x1" = array<f64: 0.000000e+00,
// CHECK-SAME: sparsity_samples = 2 : i64, sparsity_source = "measured", sparsity_std = array<f64: 0.000000e+00, 0.000000e+00>
// CHECK-SAME: sparsity_windows = array<i64: 1, 2, 4, 8, 16, 32, 64, 128, 256, 512>
// CHECK: "sdf.conv"{{.*}}sparsity = array<f64: 3.194000e-01, 1.000000e+00>
// CHECK-SAME: sparsity_hist = array<f64: 0.000000e+00, 0.000000e+00, 0.000000e+00, 3.120000e-02, 2.188000e-01, 6.250000e-02, 4.375000e-01, 0.000000e+00, 3.120000e-02, 2.188000e-01, 1.000000e+00, 0.000000e+00,
// CHECK-SAME: sparsity_rho = {"2x1" = array<f64: 0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00>}
// CHECK-SAME: sparsity_source = "measured", sparsity_std = array<f64: 2.017000e-01, 0.000000e+00>

// profile= only marks convs that read a ReLU's zeros: conv0 stays dense.
// PROFILE: "sdf.conv"(%arg0, %{{[0-9]+}}, %{{[0-9]+}}) : (
// PROFILE: "sdf.conv"{{.*}}sparsity = array<f64: 6.500000e-01, 6.500000e-01>, sparsity_source = "assumed"
// PROFILE-NOT: sparsity_rho

// REPORT: sparsity {{.*}} source
// REPORT-NEXT: conv1 {{.*}} 0.650  0.650  0.650   1      0  assumed, not measured

// SHAPE: sdf-sparsity.mlir:[[# @LINE + 5]]:1: error: --sdf-sparsity: data '{{.*}}' has shape (2, 3, 4, 4), the network's input is (N, 2, 4, 4)
// NAN: sdf-sparsity.mlir:[[# @LINE + 4]]:1: error: --sdf-sparsity: data '{{.*}}' holds NaN or infinite values
// NONE: error: --sdf-sparsity: give data=INPUTS.npy to measure, or profile=S to assume a mean sparsity S (not both)
// RANGE: error: --sdf-sparsity: profile={{.*}} must be in [0, 1) (the fraction of zeros)
// CHECK-NOT: Traceback
func.func @net(%x: tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> {
  %i = "sdf.weights"() {value = dense<[[[[1.0]], [[0.0]]], [[[0.0]], [[1.0]]]]> : tensor<2x2x1x1xf32>} : () -> tensor<2x2x1x1xf32>
  %z = "sdf.weights"() {value = dense<0.0> : tensor<2xf32>} : () -> tensor<2xf32>
  %w = "sdf.weights"() {value = dense<0.5> : tensor<2x2x3x3xf32>} : () -> tensor<2x2x3x3xf32>
  %b = "sdf.weights"() {value = dense<0.25> : tensor<2xf32>} : () -> tensor<2xf32>
  %c = "sdf.conv"(%x, %i, %z) : (tensor<1x2x4x4xf32>, tensor<2x2x1x1xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32> loc("conv0")
  %r = "sdf.activation"(%c) {kind = "relu"} : (tensor<1x2x4x4xf32>) -> tensor<1x2x4x4xf32> loc("relu")
  %y = "sdf.conv"(%r, %w, %b) {pad = array<i64: 1, 1, 1, 1>} : (tensor<1x2x4x4xf32>, tensor<2x2x3x3xf32>, tensor<2xf32>) -> tensor<1x2x4x4xf32> loc("conv1")
  return %y : tensor<1x2x4x4xf32>
}
