// RUN: fpga-opt %s --split-input-file --dse="platform=zcu102 batch=64" | filecheck %s
// RUN: fpga-opt %s --split-input-file --dse="platform=zedboard budget=0.5" --sdf-report="format=json output=%t.json" -o %t.out.mlir
// RUN: filecheck %s --check-prefix=BUDGET --input-file %t.json
// RUN: fpga-opt %s --split-input-file --dse="platform=zcu102 batch=64 pixels=true" | filecheck %s --check-prefix=PIXELS
// RUN: not fpga-opt %s --split-input-file --dse="platform=zcu102 objective=speed" 2>&1 | filecheck %s --check-prefix=OBJECTIVE
// RUN: not fpga-opt %s --split-input-file --dse="platform=zcu9" 2>&1 | filecheck %s --check-prefix=BOARD

// The sliding window reads 64 pixels per frame, so at one pixel a word no design beats 64 cycles. The conv
// meets it only with all 4 input streams (64 x 4/4), and then needs 36 x 8/co x 9/fine
// <= 64, i.e. co x fine >= 40.5: coarse_out 8 and fine 9 (288 multipliers) is the
// cheapest folding that does. The relu needs 8 streams to keep up with the conv.
// CHECK: module attributes {sdf.target = {batch = 64 : i64, clock_mhz = {{.*}}, platform = "zcu102"}}
// CHECK: "sdf.conv"{{.*}}{coarse_in = 4 : i64, coarse_out = 8 : i64, fine = 9 : i64}
// CHECK: "sdf.activation"{{.*}}{coarse_in = 8 : i64, coarse_out = 8 : i64, kind = "relu"}

// With pixels=true the ZCU102 has the DSPs to go past that bound: two pixels a word (8-wide
// rows) halve the frame to 32 words, but the output (8 x 6 x 6 x 16 = 4608 bits a frame)
// leaves through one m_axi master on a 128-bit HP port: 36 cycles a frame. The cheapest
// folding meeting 36 is coarse_out 4 (36 x 8/4 x 9/9 / 2 pixels = 36), the relu at 4
// streams of 2-pixel words.
// PIXELS: "sdf.conv"{{.*}}{coarse_in = 4 : i64, coarse_out = 4 : i64, fine = 9 : i64, pixels = array<i64: 2, 1>}
// PIXELS: "sdf.activation"{{.*}}{coarse_in = 4 : i64, coarse_out = 4 : i64, kind = "relu", pixels = array<i64: 2, 1>}

// Half a ZedBoard is 110 DSPs: the design must stay within it.
// BUDGET: "dsp": {{([0-9]|[1-9][0-9]|10[0-9]|110),}}

// OBJECTIVE: error: --dse: unknown objective 'speed' (objectives: throughput, latency, power, pareto)
// BOARD: error: unknown platform 'zcu9'

func.func @net(%x: tensor<1x4x8x8xf32>, %w: tensor<8x4x3x3xf32>, %b: tensor<8xf32>) -> tensor<1x8x6x6xf32> {
  %0 = "sdf.conv"(%x, %w, %b) : (tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>, tensor<8xf32>) -> tensor<1x8x6x6xf32> loc("conv")
  %1 = "sdf.activation"(%0) {kind = "relu"} : (tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32> loc("relu")
  return %1 : tensor<1x8x6x6xf32>
}
