func.func @net(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32> {
  %w = "sdf.weights"() {value = dense<0.1> : tensor<4x4x3x3xf32>} : () -> tensor<4x4x3x3xf32>
  %b = "sdf.weights"() {value = dense<0.0> : tensor<4xf32>} : () -> tensor<4xf32>
  %c = "sdf.conv"(%x, %w, %b) {pad = array<i64: 1, 1, 1, 1>} : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32> loc("c0")
  %s:2 = "sdf.split"(%c) : (tensor<1x4x8x8xf32>) -> (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>) loc("fork")
  %c1 = "sdf.conv"(%s#0, %w, %b) {pad = array<i64: 1, 1, 1, 1>} : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32> loc("c1")
  %e = "sdf.eltwise"(%c1, %s#1) {mode = "add"} : (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> loc("add")
  %r = "sdf.activation"(%e) {kind = "relu"} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> loc("relu")
  %p = "sdf.pool"(%r) {mode = "max", kernel = array<i64: 2, 2>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32> loc("pool")
  return %p : tensor<1x4x4x4xf32>
}
