// RUN: fpga-opt --convert-torch-to-sdf %s | filecheck %s

// A batch norm whose input is a convolution with no other user folds into it:
//   scale = gamma / sqrt(var + eps) = [4 / sqrt(3 + 1), 1 / sqrt(0 + 1)] = [2, 1]
//   shift = beta - mean * scale     = [0.25 - 0.5 * 2, 0.5 - 1 * 1]     = [-0.75, -0.5]
//   w' = w * scale = [1.5 * 2, 2 * 1] = [3, 2]
//   b' = b * scale + shift = [0.5 * 2 - 0.75, -1 * 1 - 0.5] = [0.25, -1.5]

// CHECK-LABEL: func.func @conv_bn
// CHECK: %[[W:.*]] = "sdf.weights"() {value = dense<{{\[}}[{{\[}}[3.000000e+00]]], [{{\[}}[2.000000e+00]]]]> : tensor<2x1x1x1xf32>}
// CHECK: %[[B:.*]] = "sdf.weights"() {value = dense<[2.500000e-01, -1.500000e+00]> : tensor<2xf32>}
// CHECK: %[[C:.*]] = "sdf.conv"(%arg0, %[[W]], %[[B]]) {groups = 2 : i64}
// CHECK-NOT: sdf.scale_shift
// CHECK: "sdf.activation"(%[[C]]) {kind = "relu"}
func.func @conv_bn(%arg0: !torch.vtensor<[1,2,4,4],f32>) -> !torch.vtensor<[1,2,4,4],f32> {
  %w = torch.vtensor.literal(dense<[[[[1.5]]], [[[2.0]]]]> : tensor<2x1x1x1xf32>) : !torch.vtensor<[2,1,1,1],f32>
  %b = torch.vtensor.literal(dense<[0.5, -1.0]> : tensor<2xf32>) : !torch.vtensor<[2],f32>
  %gamma = torch.vtensor.literal(dense<[4.0, 1.0]> : tensor<2xf32>) : !torch.vtensor<[2],f32>
  %beta = torch.vtensor.literal(dense<[0.25, 0.5]> : tensor<2xf32>) : !torch.vtensor<[2],f32>
  %mean = torch.vtensor.literal(dense<[0.5, 1.0]> : tensor<2xf32>) : !torch.vtensor<[2],f32>
  %var = torch.vtensor.literal(dense<[3.0, 0.0]> : tensor<2xf32>) : !torch.vtensor<[2],f32>
  %int0 = torch.constant.int 0
  %int1 = torch.constant.int 1
  %int2 = torch.constant.int 2
  %momentum = torch.constant.float 1.000000e-01
  %eps = torch.constant.float 1.000000e+00
  %ones = torch.prim.ListConstruct %int1, %int1 : (!torch.int, !torch.int) -> !torch.list<int>
  %zeros = torch.prim.ListConstruct %int0, %int0 : (!torch.int, !torch.int) -> !torch.list<int>
  %0 = torch.aten.conv2d %arg0, %w, %b, %ones, %zeros, %ones, %int2 : !torch.vtensor<[1,2,4,4],f32>, !torch.vtensor<[2,1,1,1],f32>, !torch.vtensor<[2],f32>, !torch.list<int>, !torch.list<int>, !torch.list<int>, !torch.int -> !torch.vtensor<[1,2,4,4],f32>
  %1:3 = torch.operator "torch.aten._native_batch_norm_legit_no_training"(%0, %gamma, %beta, %mean, %var, %momentum, %eps) : (!torch.vtensor<[1,2,4,4],f32>, !torch.vtensor<[2],f32>, !torch.vtensor<[2],f32>, !torch.vtensor<[2],f32>, !torch.vtensor<[2],f32>, !torch.float, !torch.float) -> (!torch.vtensor<[1,2,4,4],f32>, !torch.vtensor<[0],f32>, !torch.vtensor<[0],f32>)
  %2 = torch.aten.relu %1#0 : !torch.vtensor<[1,2,4,4],f32> -> !torch.vtensor<[1,2,4,4],f32>
  return %2 : !torch.vtensor<[1,2,4,4],f32>
}

// When the convolution has another user, folding would change that user's input: the batch
// norm stays a per-channel scale_shift, and the convolution's stream is forked.

// CHECK-LABEL: func.func @conv_shared
// CHECK: %[[W:.*]] = "sdf.weights"() {value = dense<{{\[}}[{{\[}}[1.500000e+00]]], [{{\[}}[2.000000e+00]]]]> : tensor<2x1x1x1xf32>}
// CHECK: %[[C:.*]] = "sdf.conv"(%arg0, %[[W]], %{{.*}})
// CHECK: %[[S:.*]]:2 = "sdf.split"(%[[C]])
// CHECK: %[[SC:.*]] = "sdf.weights"() {value = dense<[2.000000e+00, 1.000000e+00]> : tensor<2xf32>}
// CHECK: %[[SH:.*]] = "sdf.weights"() {value = dense<[-7.500000e-01, -5.000000e-01]> : tensor<2xf32>}
// CHECK: %[[BN:.*]] = "sdf.scale_shift"(%[[S]]#0, %[[SC]], %[[SH]])
// CHECK: "sdf.eltwise"(%[[BN]], %[[S]]#1) {mode = "add"}
func.func @conv_shared(%arg0: !torch.vtensor<[1,2,4,4],f32>) -> !torch.vtensor<[1,2,4,4],f32> {
  %w = torch.vtensor.literal(dense<[[[[1.5]]], [[[2.0]]]]> : tensor<2x1x1x1xf32>) : !torch.vtensor<[2,1,1,1],f32>
  %none = torch.constant.none
  %gamma = torch.vtensor.literal(dense<[4.0, 1.0]> : tensor<2xf32>) : !torch.vtensor<[2],f32>
  %beta = torch.vtensor.literal(dense<[0.25, 0.5]> : tensor<2xf32>) : !torch.vtensor<[2],f32>
  %mean = torch.vtensor.literal(dense<[0.5, 1.0]> : tensor<2xf32>) : !torch.vtensor<[2],f32>
  %var = torch.vtensor.literal(dense<[3.0, 0.0]> : tensor<2xf32>) : !torch.vtensor<[2],f32>
  %int0 = torch.constant.int 0
  %int1 = torch.constant.int 1
  %int2 = torch.constant.int 2
  %false = torch.constant.bool false
  %momentum = torch.constant.float 1.000000e-01
  %eps = torch.constant.float 1.000000e+00
  %ones = torch.prim.ListConstruct %int1, %int1 : (!torch.int, !torch.int) -> !torch.list<int>
  %zeros = torch.prim.ListConstruct %int0, %int0 : (!torch.int, !torch.int) -> !torch.list<int>
  %0 = torch.aten.conv2d %arg0, %w, %none, %ones, %zeros, %ones, %int2 : !torch.vtensor<[1,2,4,4],f32>, !torch.vtensor<[2,1,1,1],f32>, !torch.none, !torch.list<int>, !torch.list<int>, !torch.list<int>, !torch.int -> !torch.vtensor<[1,2,4,4],f32>
  %1 = torch.aten.batch_norm %0, %gamma, %beta, %mean, %var, %false, %momentum, %eps, %false : !torch.vtensor<[1,2,4,4],f32>, !torch.vtensor<[2],f32>, !torch.vtensor<[2],f32>, !torch.vtensor<[2],f32>, !torch.vtensor<[2],f32>, !torch.bool, !torch.float, !torch.float, !torch.bool -> !torch.vtensor<[1,2,4,4],f32>
  %2 = torch.aten.add.Tensor %1, %0, %int1 : !torch.vtensor<[1,2,4,4],f32>, !torch.vtensor<[1,2,4,4],f32>, !torch.int -> !torch.vtensor<[1,2,4,4],f32>
  return %2 : !torch.vtensor<[1,2,4,4],f32>
}
