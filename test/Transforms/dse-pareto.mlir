// RUN: rm -f %t.json %t.png
// RUN: fpga-opt %s --dse="platform=zcu102 objective=pareto batch=16 pareto_output=%t" | filecheck %s
// RUN: filecheck %s --check-prefix=JSON --input-file %t.json
// RUN: %python -c "import sys; data = open(sys.argv[1], 'rb').read(8); sys.exit(data != b'\x89PNG\r\n\x1a\n')" %t.png

// The chosen (throughput-optimal) design is left in the IR.
// CHECK: "sdf.conv"{{.*}}{coarse_in = 4 : i64, coarse_out = 8 : i64, fine = 9 : i64}

// The front holds several designs trading throughput against DSPs and power; one is chosen.
// The chosen point is the design in the IR: 4 x 8 x 9 = 288 multipliers, one DSP each.
// JSON: "front": [
// JSON: "fps":
// JSON: "dsp": 288,
// JSON-NEXT: "bram18":
// JSON-NEXT: "power_w":
// JSON-NEXT: "chosen": true
// JSON: "fps":

func.func @net(%x: tensor<1x4x8x8xf32>, %w: tensor<8x4x3x3xf32>, %b: tensor<8xf32>) -> tensor<1x8x6x6xf32> {
  %0 = "sdf.conv"(%x, %w, %b) : (tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>, tensor<8xf32>) -> tensor<1x8x6x6xf32> loc("conv")
  %1 = "sdf.activation"(%0) {kind = "relu"} : (tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32> loc("relu")
  return %1 : tensor<1x8x6x6xf32>
}
