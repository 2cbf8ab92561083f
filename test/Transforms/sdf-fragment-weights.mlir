// RUN: fpga-opt %s --sdf-fragment-weights="layer=conv n=4 u_on=60 u_off=12" | filecheck %s
// RUN: fpga-opt %s --sdf-fragment-weights="layer=conv n=4 u_on=60 u_off=12" | fpga-opt | filecheck %s
// RUN: fpga-opt %s --sdf-target=platform=zc706 --sdf-fragment-weights="layer=conv n=4 u_on=60 u_off=12" --sdf-report="format=json output=%t.json" -o %t.out.mlir
// RUN: filecheck %s --check-prefix=JSON --input-file %t.json
// RUN: fpga-opt %s --sdf-target=platform=zc706 --sdf-fragment-weights="layer=conv n=4 u_on=60 u_off=12" --sdf-report -o %t.out.mlir 2>&1 | filecheck %s --check-prefix=TABLE
// RUN: fpga-opt %s --sdf-target=platform=zc706 --sdf-fragment-weights="budget=0.12" | filecheck %s --check-prefix=GREEDY
// RUN: fpga-opt %s --sdf-target=platform=zc706 --sdf-fragment-weights="budget=0.01" | filecheck %s --check-prefix=ALLOFF
// RUN: fpga-opt %s --sdf-target=platform=zc706 --sdf-partition="cuts=relu" --sdf-fragment-weights="budget=0.12" | filecheck %s --check-prefix=PARTS
// RUN: not fpga-opt %s --sdf-target=platform=zc706 --sdf-fragment-weights="budget=0.001" 2>&1 | filecheck %s --check-prefix=INFEASIBLE
// RUN: fpga-opt --help | filecheck %s --check-prefix=HELP

// By hand: conv's one MAC unit reads 4 x 8 x 3 x 3 = 288 words, 4 fragments of 60 + 12;
// the fragments imply weights_off_chip (12 / 72), so it is not written.
// CHECK: "sdf.conv"{{.*}}weights_fragments = array<i64: 4, 60, 12>
// CHECK-NOT: weights_off_chip
// CHECK: "sdf.inner_product"
// CHECK-NOT: weights_fragments

// 240 words of 16 bits stay on chip, 48 stream, 36 times a frame (once per output pixel).
// JSON: "name": "conv"
// JSON: "weights_off_chip": 0.16666
// JSON-NEXT: "weights_fragments": [
// JSON-NEXT: 4,
// JSON-NEXT: 60,
// JSON-NEXT: 12
// JSON-NEXT: ],
// JSON-NEXT: "weights_on_chip_bits": 3840,
// JSON-NEXT: "weights_off_chip_bits": 768,
// JSON: "name": "fc"
// JSON: "weights_fragments": null,
// JSON-NEXT: "weights_on_chip_bits": 2359296,
// JSON-NEXT: "weights_off_chip_bits": 0,

// TABLE: weights off-chip fragments n,u_on,u_off on-chip bits off-chip bits Gb/s
// TABLE-NEXT: conv 4,60,12 3840 768
// TABLE-NEXT: partition 0: weights stream {{[0-9.]+}} Gb/s of {{[0-9.]+}} Gb/s off-chip traffic

// Greedy, 12% of the ZC706's 1090 BRAM18 (130.8): all on chip takes 152, fc's 147456-word
// memory (144 BRAM18) is the one to cut. In fragments of 16 words (n = 9216) k words off
// free 9k - 1 BRAM18 (9 a word per fragment, less one for the buffer): k = 3 reaches it.
// GREEDY: "sdf.conv"(%{{[^)]*}}) :
// GREEDY: "sdf.inner_product"{{.*}}weights_fragments = array<i64: 9216, 13, 3>
// Per partition: fc's takes 151 BRAM18, over by 20.2, more than the 17 that k = 2 frees.
// PARTS: "sdf.partition"
// PARTS: "sdf.conv"(%{{[^)]*}}) :
// PARTS: "sdf.partition"
// PARTS-NEXT: ^bb0
// PARTS-NEXT: "sdf.inner_product"{{.*}}weights_fragments = array<i64: 9216, 13, 3>
// 1%: everything fc has streams, 143 BRAM18 freed, 9 left.
// ALLOFF: "sdf.inner_product"{{.*}}weights_fragments = array<i64: 9216, 0, 16>
// INFEASIBLE: sdf-fragment-weights.mlir:61:8: error: partition 0 needs more than 0.001 of the on-chip memory

// HELP: --sdf-fragment-weights {{.*}}AutoWS
// HELP: budget=float

func.func @net(%x: tensor<1x4x8x8xf32>) -> tensor<1x512xf32> {
  %w = "sdf.weights"() {value = dense<0.25> : tensor<8x4x3x3xf32>} : () -> tensor<8x4x3x3xf32>
  %b = "sdf.weights"() {value = dense<0.5> : tensor<8xf32>} : () -> tensor<8xf32>
  %fw = "sdf.weights"() {value = dense<0.125> : tensor<512x288xf32>} : () -> tensor<512x288xf32>
  %fb = "sdf.weights"() {value = dense<0.5> : tensor<512xf32>} : () -> tensor<512xf32>
  %0 = "sdf.conv"(%x, %w, %b) {weights_off_chip = 0.5 : f64} : (tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>, tensor<8xf32>) -> tensor<1x8x6x6xf32> loc("conv"("sdf-fragment-weights.mlir":61:8))
  %1 = "sdf.activation"(%0) {kind = "relu"} : (tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32> loc("relu")
  %2 = "sdf.inner_product"(%1, %fw, %fb) : (tensor<1x8x6x6xf32>, tensor<512x288xf32>, tensor<512xf32>) -> tensor<1x512xf32> loc("fc")
  return %2 : tensor<1x512xf32>
}
