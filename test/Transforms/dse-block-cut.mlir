// RUN: fpga-opt %s --dse="platform=zedboard batch=16" --sdf-report -o %t.mlir 2>&1 | filecheck %s --check-prefix=REPORT
// RUN: filecheck %s --input-file %t.mlir
// RUN: fpga-opt %s --dse="platform=zedboard batch=16 block_cuts=false" | filecheck %s --check-prefix=WHOLE

// A ResNet basic block whose two 3x3 convs (147456 weights each, 2.4 Mb at 16 bits) do not
// fit a Zedboard's BRAM together: the DSE cuts between them, inside the block, and the first
// partition writes conv1's output and the skip tensor to off-chip memory.
// CHECK: %[[P:.*]]:2 = "sdf.partition"(%arg0) ({
// CHECK: "sdf.split"
// CHECK: %[[C1:.*]] = "sdf.conv"
// CHECK-NEXT: "sdf.yield"(%{{.*}}#1, %[[C1]])
// CHECK: "sdf.partition"(%[[P]]#1, %[[P]]#0) ({
// CHECK: "sdf.eltwise"

// REPORT: off-chip feature maps (bits per frame), bandwidth and DDR space per partition
// REPORT-NEXT: partition 0: reads fork.in 131072; writes fork.out 131072, conv1.out 131072;
// REPORT-NEXT: partition 1: reads relu1.in 131072, add.in 131072; writes relu2.out 131072;

// Without cuts inside blocks the block stays in one partition.
// WHOLE-NOT: sdf.partition
// WHOLE: "sdf.eltwise"
// WHOLE-NOT: sdf.partition

func.func @block(%x: tensor<1x128x8x8xf32>) -> tensor<1x128x8x8xf32> {
  %w1 = "sdf.weights"() {value = dense<0.01> : tensor<128x128x3x3xf32>} : () -> tensor<128x128x3x3xf32>
  %w2 = "sdf.weights"() {value = dense<-0.01> : tensor<128x128x3x3xf32>} : () -> tensor<128x128x3x3xf32>
  %b = "sdf.weights"() {value = dense<0.1> : tensor<128xf32>} : () -> tensor<128xf32>
  %s:2 = "sdf.split"(%x) {name = "fork"} : (tensor<1x128x8x8xf32>) -> (tensor<1x128x8x8xf32>, tensor<1x128x8x8xf32>)
  %c1 = "sdf.conv"(%s#0, %w1, %b) {name = "conv1", pad = array<i64: 1, 1, 1, 1>} : (tensor<1x128x8x8xf32>, tensor<128x128x3x3xf32>, tensor<128xf32>) -> tensor<1x128x8x8xf32>
  %r1 = "sdf.activation"(%c1) {kind = "relu", name = "relu1"} : (tensor<1x128x8x8xf32>) -> tensor<1x128x8x8xf32>
  %c2 = "sdf.conv"(%r1, %w2, %b) {name = "conv2", pad = array<i64: 1, 1, 1, 1>} : (tensor<1x128x8x8xf32>, tensor<128x128x3x3xf32>, tensor<128xf32>) -> tensor<1x128x8x8xf32>
  %e = "sdf.eltwise"(%c2, %s#1) {mode = "add", name = "add"} : (tensor<1x128x8x8xf32>, tensor<1x128x8x8xf32>) -> tensor<1x128x8x8xf32>
  %r = "sdf.activation"(%e) {kind = "relu", name = "relu2"} : (tensor<1x128x8x8xf32>) -> tensor<1x128x8x8xf32>
  return %r : tensor<1x128x8x8xf32>
}
