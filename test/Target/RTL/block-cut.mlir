// A residual block cut between its convs: the first partition writes two tensors (the skip
// tensor and conv1's output), the second reads both (the skip tensor on its second port, as
// the partition's operand order says). The RTL backend emits one AXI-Stream port per tensor
// (s_axis / m_axis where a partition has one, s_axis<k> / m_axis<k> where it has several),
// and rtl.json says which partition output each input reads; fpga-run feeds each partition
// from the tensors rtl.json names, bit for bit as the executor computes.
// RUN: rm -rf %t && mkdir -p %t
// RUN: fpga-opt %s --sdf-quantize --sdf-partition="cuts=conv1" -o %t/cut.mlir 2>/dev/null
// RUN: %python -m fpga_sdf.tools.fpga_translate --sdf-to-rtl %t/cut.mlir -o %t/rtl 2>/dev/null
// RUN: filecheck %s --check-prefix=P0 --input-file=%t/rtl/p0/p0_top.sv
// RUN: filecheck %s --check-prefix=P1 --input-file=%t/rtl/p1/p1_top.sv
// RUN: %python -c "import json; m = json.load(open('%t/rtl/rtl.json')); print(m['output']); [print(p['name'], e['port'], e['format'], e['words'], e['from']) for p in m['partitions'] for e in p['inputs']]; [print(p['name'], e['port'], e['format'], e['words'], e['layer']) for p in m['partitions'] for e in p['outputs']]" | filecheck %s --check-prefix=JSON
// RUN: fpga-opt %t/cut.mlir --sdf-expand-modules | filecheck %s --check-prefix=HW
// fpga-run chains the partitions by tensor and equals the fixed-point executor:
// RUN: %python -c "import numpy as np; np.save('%t/x.npy', np.random.default_rng(0).uniform(-1, 1, (2, 4, 8, 8)).astype('float32'))"
// RUN: %python -m fpga_sdf.tools.fpga_run %t/rtl --backend rtl --input %t/x.npy -o %t/y.npy 2>&1 | filecheck %s --check-prefix=CYC
// RUN: %python -m fpga_sdf.tools.fpga_run %t/cut.mlir --mode fixed --input %t/x.npy -o %t/ref.npy
// RUN: %python -c "import numpy as np; print(np.array_equal(np.load('%t/y.npy'), np.load('%t/ref.npy')))" | filecheck %s --check-prefix=SAME

// P0: module p0_top(
// P0: input  [15:0] s_axis_tdata,
// P0-NOT: s_axis0
// P0: output [15:0] m_axis0_tdata,
// P0: m_axis1_tdata,
// P0-NOT: m_axis2

// P1: module p1_top(
// P1: input  [15:0] s_axis0_tdata,
// P1: input  [15:0] s_axis1_tdata,
// P1-NOT: s_axis2
// P1: output [15:0] m_axis_tdata,

// JSON: {'partition': 1, 'output': 0}
// JSON-NEXT: p0 s_axis [16, 13] 256 {'network_input': 0}
// JSON-NEXT: p1 s_axis0 [16, 12] 256 {'partition': 0, 'output': 1}
// JSON-NEXT: p1 s_axis1 [16, 13] 256 {'partition': 0, 'output': 0}
// JSON-NEXT: p0 m_axis0 [16, 13] 256 fork
// JSON-NEXT: p0 m_axis1 [16, 12] 256 conv1
// JSON-NEXT: p1 m_axis [16, 13] 256 relu2

// CYC: partition 0: {{[0-9]+}} cycles/frame measured, {{[0-9]+}} modelled
// CYC: partition 1: {{[0-9]+}} cycles/frame measured, {{[0-9]+}} modelled
// SAME: True

// HW-COUNT-3: sdf_hw.dma_in
// HW-NOT: sdf_hw.dma_in

func.func @block(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> {
  %w1 = "sdf.weights"() {value = dense<0.25> : tensor<4x4x3x3xf32>} : () -> tensor<4x4x3x3xf32>
  %w2 = "sdf.weights"() {value = dense<-0.125> : tensor<4x4x3x3xf32>} : () -> tensor<4x4x3x3xf32>
  %b = "sdf.weights"() {value = dense<0.1> : tensor<4xf32>} : () -> tensor<4xf32>
  %s:2 = "sdf.split"(%x) {name = "fork"} : (tensor<1x4x8x8xf32>) -> (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>)
  %c1 = "sdf.conv"(%s#0, %w1, %b) {name = "conv1", pad = array<i64: 1, 1, 1, 1>} : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32>
  %r1 = "sdf.activation"(%c1) {kind = "relu", name = "relu1"} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %c2 = "sdf.conv"(%r1, %w2, %b) {name = "conv2", pad = array<i64: 1, 1, 1, 1>} : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32>
  %e = "sdf.eltwise"(%c2, %s#1) {mode = "add", name = "add"} : (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %r = "sdf.activation"(%e) {kind = "relu", name = "relu2"} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  return %r : tensor<1x4x8x8xf32>
}
