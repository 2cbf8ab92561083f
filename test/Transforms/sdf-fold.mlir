// RUN: fpga-opt %s --sdf-fold="coarse_in=max coarse_out=2 fine=max" | filecheck %s
// RUN: fpga-opt %s --sdf-fold="coarse_out=min layers=conv" | filecheck %s --check-prefix=MIN
// RUN: fpga-opt %s --sdf-target=platform=zcu102 --sdf-fold="interval=500 layers=conv" | filecheck %s --check-prefix=INTERVAL
// RUN: fpga-opt %s --sdf-fold="coarse_in=3" --verify-diagnostics -o %t.out.mlir
// RUN: not fpga-opt %s --sdf-fold="layers=nope coarse_in=1" 2>&1 | filecheck %s --check-prefix=NAME
// RUN: not fpga-opt %s --sdf-fold 2>&1 | filecheck %s --check-prefix=NOTHING

// Conv: 4 input channels (max coarse_in 4), 8 filters, 3x3 kernel (max fine 9).
// CHECK: "sdf.conv"{{.*}}{coarse_in = 4 : i64, coarse_out = 2 : i64, fine = 9 : i64}
// Layers without weights pass as many streams out as in: coarse_out follows coarse_in.
// CHECK: "sdf.activation"{{.*}}{coarse_in = 8 : i64, coarse_out = 8 : i64, kind = "relu"}
// CHECK: "sdf.pool"{{.*}}{coarse_in = 8 : i64, coarse_out = 8 : i64, fine = 4 : i64

// MIN: "sdf.conv"{{.*}}{coarse_in = 1 : i64, coarse_out = 1 : i64}
// MIN: "sdf.activation"(%{{.*}}) {kind = "relu"}

// 6x6 outputs x 8 filters x 36 MACs = 10368 MACs; within 500 cycles needs >= 21 MACs per
// cycle: the cheapest folding meeting it is 4 x 2 x 3 = 24 multipliers (interval 432).
// INTERVAL: "sdf.conv"{{.*}}{coarse_in = 4 : i64, coarse_out = 2 : i64, fine = 3 : i64}

// NAME: error: --sdf-fold: no layer named 'nope' here (layers: conv, relu, pool)
// NOTHING: error: --sdf-fold: give at least one of coarse_in, coarse_out, coarse_group, fine, interval

func.func @net(%x: tensor<1x4x8x8xf32>, %w: tensor<8x4x3x3xf32>, %b: tensor<8xf32>) -> tensor<1x8x3x3xf32> {
  // expected-error @+1 {{coarse_in=3 is not legal for this conv layer; choose one of [1, 2, 4]}}
  %0 = "sdf.conv"(%x, %w, %b) : (tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>, tensor<8xf32>) -> tensor<1x8x6x6xf32> loc("conv"("sdf-fold.mlir":26:8))
  // expected-error @+1 {{coarse_in=3 is not legal for this activation layer; choose one of [1, 2, 4, 8]}}
  %1 = "sdf.activation"(%0) {kind = "relu"} : (tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32> loc("relu"("sdf-fold.mlir":28:8))
  // expected-error @+1 {{coarse_in=3 is not legal for this pool layer; choose one of [1, 2, 4, 8]}}
  %2 = "sdf.pool"(%1) {mode = "max", kernel = array<i64: 2, 2>} : (tensor<1x8x6x6xf32>) -> tensor<1x8x3x3xf32> loc("pool"("sdf-fold.mlir":30:8))
  return %2 : tensor<1x8x3x3xf32>
}
