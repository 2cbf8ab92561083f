// A residual block cut between its convs (the skip tensor and conv1's output leave the
// first partition): the HLS backend refuses it with a diagnostic at each partition, exit 1.
// RUN: rm -rf %t && mkdir -p %t
// RUN: fpga-opt %s --sdf-quantize --sdf-partition="cuts=conv1" -o %t/cut.mlir
// RUN: not %python -m fpga_sdf.tools.fpga_translate --sdf-to-hls %t/cut.mlir -o %t/hls 2>&1 | filecheck %s

// CHECK: cut.mlir:{{[0-9]+}}:{{[0-9]+}}: error: the HLS backend emits partitions with one input and one output stream; this one reads 1 and writes 2 tensors (a cut inside a residual block), which it does not emit yet; explore with --dse="block_cuts=false" for a design it emits
// CHECK: cut.mlir:{{[0-9]+}}:{{[0-9]+}}: error: {{.*}} this one reads 2 and writes 1 tensors

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
