// RUN: fpga-opt %s --split-input-file --verify-diagnostics
// Each chunk breaks one invariant of the sdf dialect; the verifier names it at the op.

func.func @conv_channels(%x: tensor<1x4x8x8xf32>, %w: tensor<8x3x3x3xf32>, %b: tensor<8xf32>) -> tensor<1x8x6x6xf32> {
  // expected-error @+1 {{weights expect 3 input channels (3 per group x 1 groups), input has 4}}
  %0 = "sdf.conv"(%x, %w, %b) : (tensor<1x4x8x8xf32>, tensor<8x3x3x3xf32>, tensor<8xf32>) -> tensor<1x8x6x6xf32>
  return %0 : tensor<1x8x6x6xf32>
}

// -----

func.func @conv_result(%x: tensor<1x4x8x8xf32>, %w: tensor<8x4x3x3xf32>, %b: tensor<8xf32>) -> tensor<1x8x8x8xf32> {
  // expected-error @+1 {{result type tensor<1x8x8x8xf32> does not match the inferred tensor<1x8x6x6xf32>}}
  %0 = "sdf.conv"(%x, %w, %b) : (tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>, tensor<8xf32>) -> tensor<1x8x8x8xf32>
  return %0 : tensor<1x8x8x8xf32>
}

// -----

func.func @kernel_too_big(%x: tensor<1x4x2x2xf32>, %w: tensor<8x4x3x3xf32>, %b: tensor<8xf32>) -> tensor<1x8x1x1xf32> {
  // expected-error @+1 {{kernel extent 3 exceeds the padded input size 2 in spatial dim 0}}
  %0 = "sdf.conv"(%x, %w, %b) : (tensor<1x4x2x2xf32>, tensor<8x4x3x3xf32>, tensor<8xf32>) -> tensor<1x8x1x1xf32>
  return %0 : tensor<1x8x1x1xf32>
}

// -----

func.func @groups(%x: tensor<1x6x8x8xf32>, %w: tensor<8x2x3x3xf32>, %b: tensor<8xf32>) -> tensor<1x8x6x6xf32> {
  // expected-error @+1 {{groups (3) must divide the input channels (6) and the filters (8)}}
  %0 = "sdf.conv"(%x, %w, %b) {groups = 3} : (tensor<1x6x8x8xf32>, tensor<8x2x3x3xf32>, tensor<8xf32>) -> tensor<1x8x6x6xf32>
  return %0 : tensor<1x8x6x6xf32>
}

// -----

func.func @pad_length(%x: tensor<1x4x8x8xf32>, %w: tensor<8x4x3x3xf32>, %b: tensor<8xf32>) -> tensor<1x8x8x8xf32> {
  // expected-error @+1 {{'pad' needs 4 values (begin per dim, then end per dim), got 2}}
  %0 = "sdf.conv"(%x, %w, %b) {pad = array<i64: 1, 1>} : (tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>, tensor<8xf32>) -> tensor<1x8x8x8xf32>
  return %0 : tensor<1x8x8x8xf32>
}

// -----

func.func @stride_type(%x: tensor<1x4x8x8xf32>, %w: tensor<8x4x3x3xf32>, %b: tensor<8xf32>) -> tensor<1x8x6x6xf32> {
  // expected-error @+1 {{attribute 'stride' must be an integer array (array<i64: ...>), got "two"}}
  %0 = "sdf.conv"(%x, %w, %b) {stride = "two"} : (tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>, tensor<8xf32>) -> tensor<1x8x6x6xf32>
  return %0 : tensor<1x8x6x6xf32>
}

// -----

func.func @coarse_zero(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> {
  // expected-error @+1 {{attribute 'coarse_in' must be at least 1}}
  %0 = "sdf.activation"(%x) {kind = "relu", coarse_in = 0} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  return %0 : tensor<1x4x8x8xf32>
}

// -----

func.func @bad_activation(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> {
  // expected-error @+1 {{'kind' must be one of relu, relu6, leaky_relu, sigmoid, hard_sigmoid, hard_swish, silu, got 'gelu'}}
  %0 = "sdf.activation"(%x) {kind = "gelu"} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  return %0 : tensor<1x4x8x8xf32>
}

// -----

func.func @missing_kind(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> {
  // expected-error @+1 {{requires string attribute 'kind'}}
  %0 = "sdf.activation"(%x) : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  return %0 : tensor<1x4x8x8xf32>
}

// -----

func.func @pool_mode(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32> {
  // expected-error @+1 {{'mode' must be one of max, avg, got 'min'}}
  %0 = "sdf.pool"(%x) {mode = "min", kernel = array<i64: 2, 2>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32>
  return %0 : tensor<1x4x4x4xf32>
}

// -----

func.func @pool_rank(%x: tensor<1x4x8xf32>) -> tensor<1x4x4xf32> {
  // expected-error @+1 {{input must be (N, C, H, W) or (N, C, D, H, W), got rank 3}}
  %0 = "sdf.pool"(%x) {mode = "max", kernel = array<i64: 2>} : (tensor<1x4x8xf32>) -> tensor<1x4x4xf32>
  return %0 : tensor<1x4x4xf32>
}

// -----

func.func @eltwise_broadcast(%a: tensor<1x4x8x8xf32>, %b: tensor<1x3x8x8xf32>) -> tensor<1x4x8x8xf32> {
  // expected-error @+1 {{operands tensor<1x4x8x8xf32> and tensor<1x3x8x8xf32> do not broadcast}}
  %0 = "sdf.eltwise"(%a, %b) {mode = "add"} : (tensor<1x4x8x8xf32>, tensor<1x3x8x8xf32>) -> tensor<1x4x8x8xf32>
  return %0 : tensor<1x4x8x8xf32>
}

// -----

func.func @concat_spatial(%a: tensor<1x4x8x8xf32>, %b: tensor<1x4x4x4xf32>) -> tensor<1x8x8x8xf32> {
  // expected-error @+1 {{operands tensor<1x4x8x8xf32> and tensor<1x4x4x4xf32> differ outside the channel dim}}
  %0 = "sdf.concat"(%a, %b) : (tensor<1x4x8x8xf32>, tensor<1x4x4x4xf32>) -> tensor<1x8x8x8xf32>
  return %0 : tensor<1x8x8x8xf32>
}

// -----

func.func @inner_product_features(%x: tensor<1x4x2x2xf32>, %w: tensor<10x15xf32>, %b: tensor<10xf32>) -> tensor<1x10xf32> {
  // expected-error @+1 {{weights expect 15 input features, input has 16}}
  %0 = "sdf.inner_product"(%x, %w, %b) : (tensor<1x4x2x2xf32>, tensor<10x15xf32>, tensor<10xf32>) -> tensor<1x10xf32>
  return %0 : tensor<1x10xf32>
}

// -----

func.func @weights_source() -> tensor<4xf32> {
  // expected-error @+1 {{needs either 'value' or both 'file' and 'key' (a sidecar .npz)}}
  %0 = "sdf.weights"() {file = "w.npz"} : () -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @weights_type() -> tensor<4xf32> {
  // expected-error @+1 {{'value' type tensor<5xf32> differs from the result type}}
  %0 = "sdf.weights"() {value = dense<1.0> : tensor<5xf32>} : () -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @format_width(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> {
  // expected-error @+1 {{fixed-point width must be in [1, 64], got 80}}
  %0 = "sdf.activation"(%x) {kind = "relu", output_format = #sdf.fixed<80 : i64, 8 : i64>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  return %0 : tensor<1x4x8x8xf32>
}

// -----

func.func @split_types(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> {
  // expected-error @+1 {{result type tensor<1x5x8x8xf32> does not match the inferred tensor<1x4x8x8xf32>}}
  %0:2 = "sdf.split"(%x) : (tensor<1x4x8x8xf32>) -> (tensor<1x4x8x8xf32>, tensor<1x5x8x8xf32>)
  return %0#0 : tensor<1x4x8x8xf32>
}

// -----

func.func @yield_outside(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> {
  // expected-error @+1 {{'sdf.yield' op must be the last operation in the parent block}}
  "sdf.yield"(%x) {operandSegmentSizes = array<i32: 1, 0, 0, 0>} : (tensor<1x4x8x8xf32>) -> ()
  return %x : tensor<1x4x8x8xf32>
}

// -----

func.func @partition_type(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> {
  // expected-error @+1 {{body must end with 'sdf.yield' of the partition's result type}}
  %0 = "sdf.partition"(%x) ({
  ^bb0(%a: tensor<1x4x8x8xf32>):
    %p = "sdf.pool"(%a) {mode = "max", kernel = array<i64: 2, 2>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32>
    "sdf.yield"(%p) {operandSegmentSizes = array<i32: 1, 0, 0, 0>} : (tensor<1x4x4x4xf32>) -> ()
  }) {operandSegmentSizes = array<i32: 1, 0, 0, 0>, resultSegmentSizes = array<i32: 1, 0, 0, 0>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  return %0 : tensor<1x4x8x8xf32>
}

// -----

func.func @unknown_op(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> {
  // expected-error @+1 {{unregistered operation 'sdf.frobnicate' found in dialect ('sdf')}}
  %0 = "sdf.frobnicate"(%x) : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  return %0 : tensor<1x4x8x8xf32>
}

// -----

func.func @operand_count(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> {
  // expected-error @+1 {{op expects exactly 1 operands, but got 2}}
  %0 = "sdf.activation"(%x, %x) {kind = "relu"} : (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  return %0 : tensor<1x4x8x8xf32>
}

// -----

func.func @coarse_in_divides(%x: tensor<1x4x8x8xf32>, %w: tensor<8x4x3x3xf32>, %b: tensor<8xf32>) -> tensor<1x8x6x6xf32> {
  // expected-error @+1 {{coarse_in=3}}
  %0 = "sdf.conv"(%x, %w, %b) {coarse_in = 3} : (tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>, tensor<8xf32>) -> tensor<1x8x6x6xf32>
  return %0 : tensor<1x8x6x6xf32>
}

// -----

func.func @fine_divides(%x: tensor<1x4x8x8xf32>, %w: tensor<8x4x3x3xf32>, %b: tensor<8xf32>) -> tensor<1x8x6x6xf32> {
  // expected-error @+1 {{fine=4}}
  %0 = "sdf.conv"(%x, %w, %b) {fine = 4} : (tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>, tensor<8xf32>) -> tensor<1x8x6x6xf32>
  return %0 : tensor<1x8x6x6xf32>
}

// -----

func.func @depthwise_coarse_group(%x: tensor<1x8x8x8xf32>, %w: tensor<8x1x3x3xf32>, %b: tensor<8xf32>) -> tensor<1x8x6x6xf32> {
  // expected-error @+1 {{coarse_group=3}}
  %0 = "sdf.conv"(%x, %w, %b) {groups = 8, coarse_group = 3} : (tensor<1x8x8x8xf32>, tensor<8x1x3x3xf32>, tensor<8xf32>) -> tensor<1x8x6x6xf32>
  return %0 : tensor<1x8x6x6xf32>
}

// -----

func.func @weights_memory_kind(%x: tensor<1x4x8x8xf32>, %w: tensor<8x4x3x3xf32>, %b: tensor<8xf32>) -> tensor<1x8x6x6xf32> {
  // expected-error @+1 {{weights_memory='flash' must be one of ['auto', 'bram', 'uram']}}
  %0 = "sdf.conv"(%x, %w, %b) {weights_memory = "flash"} : (tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>, tensor<8xf32>) -> tensor<1x8x6x6xf32>
  return %0 : tensor<1x8x6x6xf32>
}

// -----

func.func @pixels_pair(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> {
  // expected-error @+1 {{attribute 'pixels' needs two values: j, h}}
  %0 = "sdf.activation"(%x) {kind = "relu", pixels = array<i64: 1>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  return %0 : tensor<1x4x8x8xf32>
}

// -----

func.func @pixels_positive(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> {
  // expected-error @+1 {{pixels=(p, h)=(0, 0) must be positive}}
  %0 = "sdf.activation"(%x) {kind = "relu", pixels = array<i64: 0, 0>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  return %0 : tensor<1x4x8x8xf32>
}

// -----

func.func @sparsity_kind(%x: tensor<1x4x8x8xf32>, %w: tensor<8x4x3x3xf32>, %b: tensor<8xf32>) -> tensor<1x8x6x6xf32> {
  // expected-error @+1 {{attribute 'sparsity' must be a float array (array<f64: ...>), got 3 : i64}}
  %0 = "sdf.conv"(%x, %w, %b) {sparsity = 3} : (tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>, tensor<8xf32>) -> tensor<1x8x6x6xf32>
  return %0 : tensor<1x8x6x6xf32>
}

// -----

func.func @sparsity_per_channel(%x: tensor<1x4x8x8xf32>, %w: tensor<8x4x3x3xf32>, %b: tensor<8xf32>) -> tensor<1x8x6x6xf32> {
  // expected-error @+1 {{sparsity has 1 entries, expected one per input channel (4)}}
  %0 = "sdf.conv"(%x, %w, %b) {sparsity = array<f64: 0.5>} : (tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>, tensor<8xf32>) -> tensor<1x8x6x6xf32>
  return %0 : tensor<1x8x6x6xf32>
}

// -----

func.func @off_chip_fraction(%x: tensor<1x4x8x8xf32>, %w: tensor<8x4x3x3xf32>, %b: tensor<8xf32>) -> tensor<1x8x6x6xf32> {
  // expected-error @+1 {{weights_off_chip=2.0 must lie in [0, 1]}}
  %0 = "sdf.conv"(%x, %w, %b) {weights_off_chip = 2.0 : f64} : (tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>, tensor<8xf32>) -> tensor<1x8x6x6xf32>
  return %0 : tensor<1x8x6x6xf32>
}

// -----

func.func @fragments_count(%x: tensor<1x4x8x8xf32>, %w: tensor<8x4x3x3xf32>, %b: tensor<8xf32>) -> tensor<1x8x6x6xf32> {
  // expected-error @+1 {{attribute 'weights_fragments' needs three values: n, u_on, u_off}}
  %0 = "sdf.conv"(%x, %w, %b) {weights_fragments = array<i64: 3, 3>} : (tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>, tensor<8xf32>) -> tensor<1x8x6x6xf32>
  return %0 : tensor<1x8x6x6xf32>
}

// -----

func.func @fragments_type(%x: tensor<1x4x8x8xf32>, %w: tensor<8x4x3x3xf32>, %b: tensor<8xf32>) -> tensor<1x8x6x6xf32> {
  // expected-error @+1 {{attribute 'weights_fragments' must be an integer array}}
  %0 = "sdf.conv"(%x, %w, %b) {weights_fragments = 3} : (tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>, tensor<8xf32>) -> tensor<1x8x6x6xf32>
  return %0 : tensor<1x8x6x6xf32>
}

// -----

func.func @fragments_values(%x: tensor<1x4x8x8xf32>, %w: tensor<8x4x3x3xf32>, %b: tensor<8xf32>) -> tensor<1x8x6x6xf32> {
  // expected-error @+1 {{weights_fragments [n, u_on, u_off] = [3, -1, 5] needs n >= 1, u_on >= 0, u_off >= 0 and u_on + u_off >= 1}}
  %0 = "sdf.conv"(%x, %w, %b) {coarse_in = 2, coarse_out = 4, fine = 3, weights_fragments = array<i64: 3, -1, 5>} : (tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>, tensor<8xf32>) -> tensor<1x8x6x6xf32>
  return %0 : tensor<1x8x6x6xf32>
}

// -----

func.func @fragments_depth(%x: tensor<1x4x8x8xf32>, %w: tensor<8x4x3x3xf32>, %b: tensor<8xf32>) -> tensor<1x8x6x6xf32> {
  // expected-error @+1 {{weights_fragments [n, u_on, u_off] = [3, 3, 2] cover 15 words, but each MAC unit's weights memory holds 12 at this folding: n * (u_on + u_off) must equal it}}
  %0 = "sdf.conv"(%x, %w, %b) {coarse_in = 2, coarse_out = 4, fine = 3, weights_fragments = array<i64: 3, 3, 2>} : (tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>, tensor<8xf32>) -> tensor<1x8x6x6xf32>
  return %0 : tensor<1x8x6x6xf32>
}

// -----

func.func @fragments_fraction(%x: tensor<1x4x8x8xf32>, %w: tensor<8x4x3x3xf32>, %b: tensor<8xf32>) -> tensor<1x8x6x6xf32> {
  // expected-error @+1 {{weights_off_chip=0.5 disagrees with weights_fragments [3, 3, 1] (u_off / (u_on + u_off) = 0.25); give one of them}}
  %0 = "sdf.conv"(%x, %w, %b) {coarse_in = 2, coarse_out = 4, fine = 3, weights_fragments = array<i64: 3, 3, 1>, weights_off_chip = 0.5} : (tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>, tensor<8xf32>) -> tensor<1x8x6x6xf32>
  return %0 : tensor<1x8x6x6xf32>
}

// -----

func.func @fragments_kind(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32> {
  // expected-error @+1 {{weights_fragments only applies to conv and inner_product}}
  %0 = "sdf.pool"(%x) {mode = "max", kernel = array<i64: 2, 2>, weights_fragments = array<i64: 1, 1, 1>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x4x4xf32>
  return %0 : tensor<1x4x4x4xf32>
}

// -----

func.func @element_type(%x: tensor<1x4x8x8xi32>) -> tensor<1x4x8x8xi32> {
  // expected-error @+1 {{operand #0 must have element type f32 (fixed-point formats are attributes), got tensor<1x4x8x8xi32>}}
  %0 = "sdf.activation"(%x) {kind = "relu"} : (tensor<1x4x8x8xi32>) -> tensor<1x4x8x8xi32>
  return %0 : tensor<1x4x8x8xi32>
}

// -----

func.func @unranked(%x: tensor<*xf32>) -> tensor<*xf32> {
  // expected-error @+1 {{operand #0 must be a ranked tensor, got tensor<*xf32>}}
  %0 = "sdf.activation"(%x) {kind = "relu"} : (tensor<*xf32>) -> tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

func.func @memref(%x: memref<1x4x8x8xf32>) -> memref<1x4x8x8xf32> {
  // expected-error @+1 {{operand #0 must be a ranked tensor, got memref<1x4x8x8xf32>}}
  %0 = "sdf.activation"(%x) {kind = "relu"} : (memref<1x4x8x8xf32>) -> memref<1x4x8x8xf32>
  return %0 : memref<1x4x8x8xf32>
}

// -----

func.func @rank1(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{streams must be (N, C, ...) tensors of rank 2 or more, got tensor<4xf32>}}
  %0 = "sdf.activation"(%x) {kind = "relu"} : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @zero_filters(%x: tensor<1x2x4x4xf32>, %b: tensor<0xf32>) -> tensor<1x0x2x2xf32> {
  // expected-error @+1 {{result #0 must have no empty dimension, got tensor<0x2x3x3xf32>}}
  %w = "sdf.weights"() {value = dense<1.0> : tensor<0x2x3x3xf32>} : () -> tensor<0x2x3x3xf32>
  %0 = "sdf.conv"(%x, %w, %b) : (tensor<1x2x4x4xf32>, tensor<0x2x3x3xf32>, tensor<0xf32>) -> tensor<1x0x2x2xf32>
  return %0 : tensor<1x0x2x2xf32>
}

// -----

func.func @too_many_elements(%x: tensor<1x4x8x9223372036854775807xf32>) -> tensor<1x4x8x9223372036854775807xf32> {
  // expected-error @+1 {{operand #0 has 295147905179352825824 elements, more than the 1099511627776 (2^40) supported}}
  %0 = "sdf.activation"(%x) {kind = "relu"} : (tensor<1x4x8x9223372036854775807xf32>) -> tensor<1x4x8x9223372036854775807xf32>
  return %0 : tensor<1x4x8x9223372036854775807xf32>
}

// -----

func.func @frac_range(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> {
  // expected-error @+1 {{fixed-point frac must be in [-256, 256], got 100000}}
  %0 = "sdf.activation"(%x) {kind = "relu", output_format = #sdf.fixed<16, 100000>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  return %0 : tensor<1x4x8x8xf32>
}

// -----

// expected-error @+1 {{argument #0 attribute 'sdf.format' must be #sdf.fixed<width, frac>, got 3 : i64}}
func.func @input_format(%x: tensor<1x4x8x8xf32> {sdf.format = 3}) -> tensor<1x4x8x8xf32> {
  %0 = "sdf.activation"(%x) {kind = "relu"} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  return %0 : tensor<1x4x8x8xf32>
}

// -----

func.func @name_kind(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> {
  // expected-error @+1 {{attribute 'name' must be a string, got 5 : i64}}
  %0 = "sdf.activation"(%x) {kind = "relu", name = 5} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  return %0 : tensor<1x4x8x8xf32>
}

// -----

func.func @alpha_nan(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> {
  // expected-error @+1 {{'alpha' must be a finite number}}
  %0 = "sdf.activation"(%x) {kind = "leaky_relu", alpha = 0x7FF8000000000000 : f64} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  return %0 : tensor<1x4x8x8xf32>
}

// -----

func.func @weights_value_and_file() -> tensor<8xf32> {
  // expected-error @+1 {{has both an inline 'value' and a sidecar 'file'/'key': give one of them}}
  %w = "sdf.weights"() {value = dense<1.0> : tensor<8xf32>, file = "w.npz", key = "w"} : () -> tensor<8xf32>
  return %w : tensor<8xf32>
}

// -----

func.func @weights_nan(%x: tensor<1x4x8x8xf32>) -> tensor<1x8xf32> {
  // expected-error @+1 {{'value' holds NaN or infinite values}}
  %w = "sdf.weights"() {value = dense<0x7FC00000> : tensor<8x256xf32>} : () -> tensor<8x256xf32>
  %b = "sdf.weights"() {value = dense<0.0> : tensor<8xf32>} : () -> tensor<8xf32>
  %0 = "sdf.inner_product"(%x, %w, %b) : (tensor<1x4x8x8xf32>, tensor<8x256xf32>, tensor<8xf32>) -> tensor<1x8xf32>
  return %0 : tensor<1x8xf32>
}

// -----

func.func @weights_empty_file() -> tensor<8xf32> {
  // expected-error @+1 {{'file' must name a sidecar .npz, got an empty string}}
  %w = "sdf.weights"() {file = "", key = "w"} : () -> tensor<8xf32>
  return %w : tensor<8xf32>
}

// -----

func.func @weights_as_stream(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> {
  // expected-error @+1 {{weights can only be parameters (of sdf.conv, sdf.inner_product, sdf.scale_shift), but operand #1 of 'sdf.eltwise' reads them}}
  %w = "sdf.weights"() {value = dense<1.0> : tensor<1x4x8x8xf32>} : () -> tensor<1x4x8x8xf32>
  %0 = "sdf.eltwise"(%x, %w) {mode = "add"} : (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  return %0 : tensor<1x4x8x8xf32>
}

// -----

func.func @avg_pool_pad(%x: tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32> {
  // expected-error @+1 {{'pad' values must be smaller than the kernel (1, 1) in their dim}}
  %0 = "sdf.pool"(%x) {mode = "avg", kernel = array<i64: 1, 1>, pad = array<i64: 2, 2, 2, 2>, stride = array<i64: 2, 2>} : (tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32>
  return %0 : tensor<1x1x4x4xf32>
}

// -----

func.func @fan_out(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> {
  // expected-error @+1 {{result #0 is read 2 times; a stream read by several layers needs an 'sdf.split'}}
  %0 = "sdf.activation"(%x) {kind = "relu"} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %1 = "sdf.activation"(%0) {kind = "relu"} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %2 = "sdf.eltwise"(%0, %1) {mode = "add"} : (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  return %2 : tensor<1x4x8x8xf32>
}

// -----

// expected-error @+1 {{argument #0 is read 2 times; a stream read by several layers needs an 'sdf.split'}}
func.func @fan_out_argument(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> {
  %0 = "sdf.eltwise"(%x, %x) {mode = "add"} : (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  return %0 : tensor<1x4x8x8xf32>
}

// -----

func.func @partition_reads_outside(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> {
  %s:2 = "sdf.split"(%x) : (tensor<1x4x8x8xf32>) -> (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>)
  %0 = "sdf.partition"(%s#0) ({
  ^bb0(%a: tensor<1x4x8x8xf32>):
    // expected-error @+1 {{'sdf.eltwise' uses a stream produced outside its partition by 'sdf.split'; partitions may only read their input and weights}}
    %e = "sdf.eltwise"(%a, %s#1) {mode = "add"} : (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
    "sdf.yield"(%e) {operandSegmentSizes = array<i32: 1, 0, 0, 0>} : (tensor<1x4x8x8xf32>) -> ()
  }) {operandSegmentSizes = array<i32: 1, 0, 0, 0>, resultSegmentSizes = array<i32: 1, 0, 0, 0>} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  return %0 : tensor<1x4x8x8xf32>
}
