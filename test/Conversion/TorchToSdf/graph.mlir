// RUN: fpga-opt --convert-torch-to-sdf %s | filecheck %s

// A value read by several layers gets one sdf.split (results in program order); a 3-way
// channel concat is a chain of binary concats; activations map to sdf.activation kinds
// (hardtanh(0, 6) is relu6); nearest upsampling is sdf.resize; views and dropout vanish.

// CHECK-LABEL: func.func @branches
// CHECK-SAME: (%[[X:.*]]: tensor<1x2x4x4xf32>)
// CHECK: %[[S:.*]]:3 = "sdf.split"(%[[X]]) : (tensor<1x2x4x4xf32>) -> (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>)
// CHECK: %[[A:.*]] = "sdf.activation"(%[[S]]#0) {kind = "relu6"}
// CHECK: %[[B:.*]] = "sdf.activation"(%[[S]]#1) {alpha = 2.000000e-01 : f64, kind = "leaky_relu"}
// CHECK: %[[C:.*]] = "sdf.activation"(%[[S]]#2) {kind = "hard_swish"}
// CHECK: %[[AB:.*]] = "sdf.concat"(%[[A]], %[[B]]) : (tensor<1x2x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x4x4x4xf32>
// CHECK: %[[ABC:.*]] = "sdf.concat"(%[[AB]], %[[C]]) : (tensor<1x4x4x4xf32>, tensor<1x2x4x4xf32>) -> tensor<1x6x4x4xf32>
// CHECK: %[[R:.*]] = "sdf.resize"(%[[ABC]]) {mode = "nearest", scale = array<i64: 2, 2>} : (tensor<1x6x4x4xf32>) -> tensor<1x6x8x8xf32>
// CHECK: %[[Y:.*]] = "sdf.activation"(%[[R]]) {kind = "silu"}
// CHECK-NEXT: return %[[Y]]
func.func @branches(%arg0: !torch.vtensor<[1,2,4,4],f32>) -> !torch.vtensor<[1,6,8,8],f32> {
  %none = torch.constant.none
  %int1 = torch.constant.int 1
  %float0 = torch.constant.float 0.000000e+00
  %float6 = torch.constant.float 6.000000e+00
  %float02 = torch.constant.float 2.000000e-01
  %float2 = torch.constant.float 2.000000e+00
  %false = torch.constant.bool false
  %p = torch.constant.float 5.000000e-01
  %0 = torch.aten.hardtanh %arg0, %float0, %float6 : !torch.vtensor<[1,2,4,4],f32>, !torch.float, !torch.float -> !torch.vtensor<[1,2,4,4],f32>
  %1 = torch.aten.leaky_relu %arg0, %float02 : !torch.vtensor<[1,2,4,4],f32>, !torch.float -> !torch.vtensor<[1,2,4,4],f32>
  %2 = torch.aten.hardswish %arg0 : !torch.vtensor<[1,2,4,4],f32> -> !torch.vtensor<[1,2,4,4],f32>
  %list = torch.prim.ListConstruct %0, %1, %2 : (!torch.vtensor<[1,2,4,4],f32>, !torch.vtensor<[1,2,4,4],f32>, !torch.vtensor<[1,2,4,4],f32>) -> !torch.list<vtensor>
  %3 = torch.aten.cat %list, %int1 : !torch.list<vtensor>, !torch.int -> !torch.vtensor<[1,6,4,4],f32>
  %scales = torch.prim.ListConstruct %float2, %float2 : (!torch.float, !torch.float) -> !torch.list<float>
  %4 = torch.aten.upsample_nearest2d.vec %3, %none, %scales : !torch.vtensor<[1,6,4,4],f32>, !torch.none, !torch.list<float> -> !torch.vtensor<[1,6,8,8],f32>
  %5 = torch.aten.dropout %4, %p, %false : !torch.vtensor<[1,6,8,8],f32>, !torch.float, !torch.bool -> !torch.vtensor<[1,6,8,8],f32>
  %6 = torch.aten.silu %5 : !torch.vtensor<[1,6,8,8],f32> -> !torch.vtensor<[1,6,8,8],f32>
  return %6 : !torch.vtensor<[1,6,8,8],f32>
}

// Squeeze-excitation: global pool, 1x1 convs, hardsigmoid, channel-wise multiply with the
// block input (sdf.eltwise mul broadcasting (N, C, 1, 1)), and a residual add.

// CHECK-LABEL: func.func @squeeze_excite
// CHECK: %[[S:.*]]:3 = "sdf.split"(%arg0)
// CHECK: %[[G:.*]] = "sdf.global_pool"(%[[S]]#0) {mode = "avg"}
// CHECK: %[[C:.*]] = "sdf.conv"(%[[G]], %{{.*}}, %{{.*}}) : (tensor<1x2x1x1xf32>, tensor<2x2x1x1xf32>, tensor<2xf32>) -> tensor<1x2x1x1xf32>
// CHECK: %[[H:.*]] = "sdf.activation"(%[[C]]) {kind = "hard_sigmoid"}
// CHECK: %[[M:.*]] = "sdf.eltwise"(%[[S]]#1, %[[H]]) {mode = "mul"} : (tensor<1x2x4x4xf32>, tensor<1x2x1x1xf32>) -> tensor<1x2x4x4xf32>
// CHECK: "sdf.eltwise"(%[[S]]#2, %[[M]]) {mode = "add"}
func.func @squeeze_excite(%arg0: !torch.vtensor<[1,2,4,4],f32>) -> !torch.vtensor<[1,2,4,4],f32> {
  %w = torch.vtensor.literal(dense<0.5> : tensor<2x2x1x1xf32>) : !torch.vtensor<[2,2,1,1],f32>
  %b = torch.vtensor.literal(dense<[0.1, 0.2]> : tensor<2xf32>) : !torch.vtensor<[2],f32>
  %int0 = torch.constant.int 0
  %int1 = torch.constant.int 1
  %one = torch.prim.ListConstruct %int1, %int1 : (!torch.int, !torch.int) -> !torch.list<int>
  %zero = torch.prim.ListConstruct %int0, %int0 : (!torch.int, !torch.int) -> !torch.list<int>
  %0 = torch.aten.adaptive_avg_pool2d %arg0, %one : !torch.vtensor<[1,2,4,4],f32>, !torch.list<int> -> !torch.vtensor<[1,2,1,1],f32>
  %1 = torch.aten.conv2d %0, %w, %b, %one, %zero, %one, %int1 : !torch.vtensor<[1,2,1,1],f32>, !torch.vtensor<[2,2,1,1],f32>, !torch.vtensor<[2],f32>, !torch.list<int>, !torch.list<int>, !torch.list<int>, !torch.int -> !torch.vtensor<[1,2,1,1],f32>
  %2 = torch.aten.hardsigmoid %1 : !torch.vtensor<[1,2,1,1],f32> -> !torch.vtensor<[1,2,1,1],f32>
  %3 = torch.aten.mul.Tensor %arg0, %2 : !torch.vtensor<[1,2,4,4],f32>, !torch.vtensor<[1,2,1,1],f32> -> !torch.vtensor<[1,2,4,4],f32>
  %4 = torch.aten.add.Tensor %arg0, %3, %int1 : !torch.vtensor<[1,2,4,4],f32>, !torch.vtensor<[1,2,4,4],f32>, !torch.int -> !torch.vtensor<[1,2,4,4],f32>
  return %4 : !torch.vtensor<[1,2,4,4],f32>
}
