// By hand, round trip, hand-edited, the model's view (JSON report), greedy, diagnostics.
// RUN: fpga-opt %s --sdf-evict="edges=add:1" | filecheck %s
// RUN: fpga-opt %s --sdf-evict="edges=add:1" -o %t.ev.mlir
// RUN: fpga-opt %t.ev.mlir | filecheck %s
// RUN: fpga-opt %t.ev.mlir --sdf-evict="edges=none" | filecheck %s --check-prefix=NONE
// RUN: sed 's/mode = "add", name = "add"/evicted = array<i64: 1>, mode = "add", name = "add"/' %s | fpga-opt - --sdf-target=platform=zc706 --sdf-report="format=json output=%t.json" -o %t.hand.mlir
// RUN: filecheck %s --check-prefix=JSON --input-file %t.json
// RUN: fpga-opt %s --sdf-target=platform=zc706 --sdf-report="format=json output=%t.kept.json" -o %t.kept.mlir
// RUN: filecheck %s --check-prefix=KEPT --input-file %t.kept.json
// RUN: fpga-opt %s --sdf-target=platform=zc706 --sdf-evict="budget=0.51" 2>&1 | filecheck %s --check-prefix=GREEDY
// RUN: fpga-opt %s --sdf-target=platform=zc706 --sdf-evict="budget=0.52" | filecheck %s --check-prefix=NONE
// RUN: not fpga-opt %s --sdf-target=platform=zc706 --sdf-evict="budget=0.5" 2>&1 | filecheck %s --check-prefix=INFEASIBLE
// RUN: not fpga-opt %s --sdf-evict="edges=add:5" 2>&1 | filecheck %s --check-prefix=RANGE
// RUN: not fpga-opt %s --sdf-evict="edges=relu1:0" 2>&1 | filecheck %s --check-prefix=KIND
// RUN: not fpga-opt %s --sdf-partition="cuts=relu1" --sdf-evict="edges=add:1" 2>&1 | filecheck %s --check-prefix=OFFCHIP
// RUN: sed 's/mode = "add", name = "add"/evicted = array<i64: 1, 1>, mode = "add", name = "add"/' %s | not fpga-opt - 2>&1 | filecheck %s --check-prefix=TWICE
// RUN: not fpga-opt %s --sdf-evict="edges=nope:1" 2>&1 | filecheck %s --check-prefix=NAME
// RUN: not fpga-opt %s --sdf-evict="edges=add" 2>&1 | filecheck %s --check-prefix=SYNTAX
// RUN: not fpga-opt %s --sdf-evict 2>&1 | filecheck %s --check-prefix=NOTHING
// RUN: not fpga-opt %s --sdf-evict="edges=add:1 budget=0.5" 2>&1 | filecheck %s --check-prefix=BOTH
// RUN: not fpga-opt %s --sdf-evict="budget=0.5" 2>&1 | filecheck %s --check-prefix=NOTARGET
// RUN: fpga-opt --help | filecheck %s --check-prefix=HELP

// A ResNet-18 stage-1 basic block (64 x 56 x 56, 16 bits): the add's operand 1 is the skip,
// from the fork. By hand it is evicted; the other layers get no attribute.
// CHECK: "sdf.split"
// CHECK-NOT: evicted
// CHECK: name = "conv2"
// CHECK-NEXT: "sdf.eltwise"(%{{.*}}, %{{.*}}#1) {evicted = array<i64: 1>, mode = "add", name = "add"}
// CHECK-NOT: evicted
// NONE-NOT: evicted

// On chip the skip FIFO holds 7513 words of 16 bits: 8 BRAM18 (1024 x 18 each); evicted, two
// 4 KB burst buffers of 2048 x 16 bits, 2 BRAM18 each: 557 - 8 + 4 = 553 BRAM18. The skip
// map (64 x 56 x 56 x 16 = 3,211,264 bits) is written and read back: 4 masters, DDR for
// x, the output (a frame each, batch 1) and the evicted ring (a frame): 3 x 401,408 bytes.
// KEPT: "bram18": 557,
// JSON: "offchip_tensors": [
// JSON: "direction": "evicted",
// JSON-NEXT: "bits_per_frame": 3211264
// JSON: "ddr_bytes": 1204224,
// JSON: "axi_masters": 4,
// JSON-NEXT: "resources": {
// JSON-NEXT: "dsp": 1152,
// JSON-NEXT: "bram18": 553,

// Budget 0.51 x 1090 = 555.9 BRAM18: the skip FIFO goes off chip (553); 0.52 (566.8): it
// stays; 0.5 (545): even evicted the block does not fit.
// GREEDY: sdf-evict.mlir:74:8: remark: evicted operand #1 (from fork): saves 4 BRAM18, adds 6422528 bits per frame of off-chip traffic
// GREEDY: "sdf.eltwise"{{.*}}evicted = array<i64: 1>
// INFEASIBLE: error: partition 0 needs 553 BRAM18 even with every buffer that saves BRAM evicted, more than 0.5 of the board's 1090
// RANGE: sdf-evict.mlir:74:8: error: after pass 'sdf-evict': 'sdf.eltwise' op attribute 'evicted': operand #5 does not exist (the op has 2 operands)
// KIND: sdf-evict.mlir:72:9: error: after pass 'sdf-evict': 'sdf.activation' op attribute 'evicted' applies to layers joining two streams (sdf.eltwise, sdf.concat), not sdf.activation
// OFFCHIP: sdf-evict.mlir:74:8: error: after pass 'sdf-evict': 'sdf.eltwise' op attribute 'evicted': operand #1 is not a stream a layer writes on chip
// TWICE: <stdin>:74:8: error: 'sdf.eltwise' op attribute 'evicted' lists an operand twice: [1, 1]
// NAME: error: --sdf-evict: no layer named 'nope' here (layers: fork, conv1, relu1, conv2, add, relu2)
// SYNTAX: error: --sdf-evict: 'add' is not JOIN:OPERAND (a layer name and an operand index)
// NOTHING: error: --sdf-evict: needs edges=JOIN:OPERAND,... or windows=LAYER,... (or none), or budget=F (0 < F)
// BOTH: error: --sdf-evict: give edges= / windows= (by hand) or budget=F (greedy), not both
// NOTARGET: error: --sdf-evict: the module has no target
// HELP: --sdf-evict {{.*}}SMOF eviction
// HELP-NEXT: edges=str
// HELP-NEXT: windows=str
// HELP-NEXT: budget=float

func.func @block(%x: tensor<1x64x56x56xf32>) -> tensor<1x64x56x56xf32> {
  %w1 = "sdf.weights"() {value = dense<0.1> : tensor<64x64x3x3xf32>} : () -> tensor<64x64x3x3xf32>
  %w2 = "sdf.weights"() {value = dense<0.2> : tensor<64x64x3x3xf32>} : () -> tensor<64x64x3x3xf32>
  %b = "sdf.weights"() {value = dense<0.0> : tensor<64xf32>} : () -> tensor<64xf32>
  %s:2 = "sdf.split"(%x) {name = "fork"} : (tensor<1x64x56x56xf32>) -> (tensor<1x64x56x56xf32>, tensor<1x64x56x56xf32>)
  %c1 = "sdf.conv"(%s#0, %w1, %b) {name = "conv1", pad = array<i64: 1, 1, 1, 1>, coarse_in = 8, coarse_out = 8, fine = 9} : (tensor<1x64x56x56xf32>, tensor<64x64x3x3xf32>, tensor<64xf32>) -> tensor<1x64x56x56xf32>
  %r1 = "sdf.activation"(%c1) {kind = "relu", name = "relu1"} : (tensor<1x64x56x56xf32>) -> tensor<1x64x56x56xf32>
  %c2 = "sdf.conv"(%r1, %w2, %b) {name = "conv2", pad = array<i64: 1, 1, 1, 1>, coarse_in = 8, coarse_out = 8, fine = 9} : (tensor<1x64x56x56xf32>, tensor<64x64x3x3xf32>, tensor<64xf32>) -> tensor<1x64x56x56xf32>
  %e = "sdf.eltwise"(%c2, %s#1) {mode = "add", name = "add"} : (tensor<1x64x56x56xf32>, tensor<1x64x56x56xf32>) -> tensor<1x64x56x56xf32>
  %r = "sdf.activation"(%e) {kind = "relu", name = "relu2"} : (tensor<1x64x56x56xf32>) -> tensor<1x64x56x56xf32>
  return %r : tensor<1x64x56x56xf32>
}
