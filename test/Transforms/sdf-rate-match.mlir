// RUN: fpga-opt %s --sdf-rate-match="features=1 cycles=1" | filecheck %s
// RUN: fpga-opt %s --sdf-rate-match="features=1 cycles=4" | filecheck %s --check-prefix=SLOW
// RUN: fpga-opt %s --sdf-rate-match="features=16 cycles=1" | filecheck %s --check-prefix=FAST
// RUN: not fpga-opt %s --sdf-rate-match="cycles=2" 2>&1 | filecheck %s --check-prefix=NORATE
// RUN: fpga-opt %s --dse="platform=zc706 strategy=rate" | filecheck %s --check-prefix=DSE
// RUN: fpga-opt %s --sdf-target="platform=zedboard" --sdf-rate-match="features=16 cycles=1" -o %t.fit.mlir 2>&1 | filecheck %s --check-prefix=FIT
// RUN: fpga-opt %s --sdf-target="platform=zedboard" --sdf-rate-match="features=1 cycles=1" -o %t.fits.mlir 2>&1 | filecheck %s --check-prefix=FITS --allow-empty

// With a target the pass says when the design does not fit: at 16 features a cycle the conv is
// unrolled at two pixels a word: 4 x 8 units x 2 lanes x 9 16-bit multipliers, 576 DSP where the
// ZedBoard has 220. At one feature a cycle it fits and nothing is said.
// FIT: sdf-rate-match.mlir:{{[0-9]+}}:1: warning: the rate-matched design does not fit zedboard: partition 0 needs DSP 576 of 220
// FITS-NOT: does not fit

// The input streams 4 x 8 x 8 = 256 features. At one feature per cycle every layer has 256
// cycles per frame; the conv computes 36 windows of 4 channels: r = 144 / 256 = 0.5625
// input features per cycle. j divides 4, h divides 8: the smallest j / h >= r is 1 (0.5 is
// too slow, no pair gives 0.75), and of (1, 1), (2, 2), (4, 4) the largest h: j = 4
// (coarse_in 4), h = 4 (coarse_out 8 / 4 = 2), a whole 3x3 window per KPU (fine 9).
// CHECK: "sdf.conv"{{.*}}{coarse_group = 1 : i64, coarse_in = 4 : i64, coarse_out = 2 : i64, fine = 9 : i64}
// 288 words in 256 cycles: two streams.
// CHECK: "sdf.activation"{{.*}}{coarse_in = 2 : i64, coarse_out = 2 : i64, kind = "relu"}
// The pool's 36 windows of 8 channels on 2 streams, 4 cycles each with fine 1: 144 cycles.
// CHECK: "sdf.pool"{{.*}}{coarse_in = 2 : i64, coarse_out = 2 : i64, fine = 1 : i64

// A feature every 4 cycles (1024 per frame): r = 0.140625; j / h = 2 / 8 = 0.25 is the
// smallest at or above it (1 / 8 = 0.125 is below), so j = 2, h = 8: one output stream.
// SLOW: "sdf.conv"{{.*}}{coarse_group = 1 : i64, coarse_in = 2 : i64, coarse_out = 1 : i64, fine = 9 : i64}
// SLOW: "sdf.activation"{{.*}}{coarse_in = 1 : i64, coarse_out = 1 : i64, kind = "relu"}

// 16 features per cycle (16 cycles per frame): r = 9 exceeds the 4 input channels, so the
// conv takes every channel and filter at once and more than one pixel per cycle. It would
// need 36 / 16 windows a cycle, but a word's windows must divide the output row of 6 and p
// the input row of 8: p = 2 is the widest (18 cycles, a warning says it falls short). The
// activation's 288 words need 18 features a cycle: 8 streams x 3 pixels (rows of 6); the
// 2x2 / 2 pool 6 pixels a word, 3 windows (its output row), on 4 streams with fine 2.
// FAST: "sdf.conv"{{.*}}{coarse_group = 1 : i64, coarse_in = 4 : i64, coarse_out = 8 : i64, fine = 9 : i64, pixels = array<i64: 2, 1>}
// FAST: "sdf.activation"{{.*}}{coarse_in = 8 : i64, coarse_out = 8 : i64, kind = "relu", pixels = array<i64: 3, 1>}
// FAST: "sdf.pool"{{.*}}{coarse_in = 4 : i64, coarse_out = 4 : i64, fine = 2 : i64, {{.*}}pixels = array<i64: 6, 1>}

// As a DSE strategy: the shortest frame time whose rate-matched design fits the board; the
// ZC706 has room for the conv at one window per cycle (all 4 inputs, all 8 filters).
// DSE: "sdf.conv"{{.*}}{coarse_in = 4 : i64, coarse_out = 8 : i64, fine = 9 : i64}

// NORATE: error: --sdf-rate-match: needs features=J and cycles=H, both positive (got features=0 cycles=2)

func.func @net(%x: tensor<1x4x8x8xf32>, %w: tensor<8x4x3x3xf32>, %b: tensor<8xf32>) -> tensor<1x8x3x3xf32> {
  %0 = "sdf.conv"(%x, %w, %b) : (tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>, tensor<8xf32>) -> tensor<1x8x6x6xf32> loc("conv"("sdf-rate-match.mlir":32:8))
  %1 = "sdf.activation"(%0) {kind = "relu"} : (tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32> loc("relu"("sdf-rate-match.mlir":33:8))
  %2 = "sdf.pool"(%1) {mode = "max", kernel = array<i64: 2, 2>} : (tensor<1x8x6x6xf32>) -> tensor<1x8x3x3xf32> loc("pool"("sdf-rate-match.mlir":34:8))
  return %2 : tensor<1x8x3x3xf32>
}
