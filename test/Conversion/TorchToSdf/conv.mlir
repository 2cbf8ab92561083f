// RUN: fpga-opt --convert-torch-to-sdf %s | filecheck %s
// RUN: fpga-opt --convert-torch-to-sdf --mlir-print-debuginfo %s | filecheck %s --check-prefix=LOC

// Convolution attributes: stride, padding, dilation, groups; layer names survive as NameLocs.

// CHECK-LABEL: func.func @conv_attrs
// CHECK-SAME: (%[[X:.*]]: tensor<1x4x9x9xf32>) -> tensor<1x4x4x4xf32>
// CHECK: %[[W:.*]] = "sdf.weights"() {value = dense<{{.*}}> : tensor<4x2x3x3xf32>}
// CHECK: %[[B:.*]] = "sdf.weights"() {value = dense<0.000000e+00> : tensor<4xf32>}
// CHECK: "sdf.conv"(%[[X]], %[[W]], %[[B]]) {dilation = array<i64: 2, 2>, groups = 2 : i64, pad = array<i64: 1, 1, 1, 1>, stride = array<i64: 2, 2>}
// CHECK-SAME: -> tensor<1x4x4x4xf32>
// CHECK-NOT: torch.
// LOC: "sdf.conv"{{.*}} loc(#[[L:loc[0-9]*]])
// LOC: #[[L]] = loc("layer1.conv"
func.func @conv_attrs(%arg0: !torch.vtensor<[1,4,9,9],f32>) -> !torch.vtensor<[1,4,4,4],f32> {
  %w = torch.vtensor.literal(dense<0.5> : tensor<4x2x3x3xf32>) : !torch.vtensor<[4,2,3,3],f32>
  %none = torch.constant.none
  %int1 = torch.constant.int 1
  %int2 = torch.constant.int 2
  %stride = torch.prim.ListConstruct %int2, %int2 : (!torch.int, !torch.int) -> !torch.list<int>
  %pad = torch.prim.ListConstruct %int1, %int1 : (!torch.int, !torch.int) -> !torch.list<int>
  %dil = torch.prim.ListConstruct %int2, %int2 : (!torch.int, !torch.int) -> !torch.list<int>
  %0 = torch.aten.conv2d %arg0, %w, %none, %stride, %pad, %dil, %int2 : !torch.vtensor<[1,4,9,9],f32>, !torch.vtensor<[4,2,3,3],f32>, !torch.none, !torch.list<int>, !torch.list<int>, !torch.list<int>, !torch.int -> !torch.vtensor<[1,4,4,4],f32> loc("layer1.conv"("model.py":12:0))
  return %0 : !torch.vtensor<[1,4,4,4],f32>
}

// A constant zero pad (left 0, right 1, top 0, bottom 1) folds into the convolution's
// asymmetric padding: begins first, then ends.

// CHECK-LABEL: func.func @pad_fold
// CHECK: "sdf.conv"(%arg0, %{{.*}}, %{{.*}}) {pad = array<i64: 0, 0, 1, 1>}
// CHECK-SAME: (tensor<1x2x8x8xf32>, tensor<3x2x2x2xf32>, tensor<3xf32>) -> tensor<1x3x8x8xf32>
// CHECK-NOT: sdf.conv
func.func @pad_fold(%arg0: !torch.vtensor<[1,2,8,8],f32>) -> !torch.vtensor<[1,3,8,8],f32> {
  %w = torch.vtensor.literal(dense<1.0> : tensor<3x2x2x2xf32>) : !torch.vtensor<[3,2,2,2],f32>
  %b = torch.vtensor.literal(dense<[1.0, 2.0, 3.0]> : tensor<3xf32>) : !torch.vtensor<[3],f32>
  %int0 = torch.constant.int 0
  %int1 = torch.constant.int 1
  %float0 = torch.constant.float 0.000000e+00
  %str = torch.constant.str "constant"
  %pads = torch.prim.ListConstruct %int0, %int1, %int0, %int1 : (!torch.int, !torch.int, !torch.int, !torch.int) -> !torch.list<int>
  %padded = torch.aten.pad %arg0, %pads, %str, %float0 : !torch.vtensor<[1,2,8,8],f32>, !torch.list<int>, !torch.str, !torch.float -> !torch.vtensor<[1,2,9,9],f32>
  %ones = torch.prim.ListConstruct %int1, %int1 : (!torch.int, !torch.int) -> !torch.list<int>
  %zeros = torch.prim.ListConstruct %int0, %int0 : (!torch.int, !torch.int) -> !torch.list<int>
  %0 = torch.aten.conv2d %padded, %w, %b, %ones, %zeros, %ones, %int1 : !torch.vtensor<[1,2,9,9],f32>, !torch.vtensor<[3,2,2,2],f32>, !torch.vtensor<[3],f32>, !torch.list<int>, !torch.list<int>, !torch.list<int>, !torch.int -> !torch.vtensor<[1,3,8,8],f32>
  return %0 : !torch.vtensor<[1,3,8,8],f32>
}

// The ONNX form: aten.convolution on a 3D input (rank from the types, same handler).

// CHECK-LABEL: func.func @conv3d
// CHECK: "sdf.conv"(%arg0, %{{.*}}, %{{.*}}) {pad = array<i64: 0, 1, 1, 0, 1, 1>, stride = array<i64: 1, 2, 2>}
// CHECK-SAME: -> tensor<1x2x4x4x4xf32>
func.func @conv3d(%arg0: !torch.vtensor<[1,1,4,8,8],f32>) -> !torch.vtensor<[1,2,4,4,4],f32> {
  %w = torch.vtensor.literal(dense<1.0> : tensor<2x1x1x3x3xf32>) : !torch.vtensor<[2,1,1,3,3],f32>
  %b = torch.vtensor.literal(dense<[1.0, 2.0]> : tensor<2xf32>) : !torch.vtensor<[2],f32>
  %int0 = torch.constant.int 0
  %int1 = torch.constant.int 1
  %int2 = torch.constant.int 2
  %false = torch.constant.bool false
  %stride = torch.prim.ListConstruct %int1, %int2, %int2 : (!torch.int, !torch.int, !torch.int) -> !torch.list<int>
  %pad = torch.prim.ListConstruct %int0, %int1, %int1 : (!torch.int, !torch.int, !torch.int) -> !torch.list<int>
  %dil = torch.prim.ListConstruct %int1, %int1, %int1 : (!torch.int, !torch.int, !torch.int) -> !torch.list<int>
  %outpad = torch.prim.ListConstruct %int0, %int0, %int0 : (!torch.int, !torch.int, !torch.int) -> !torch.list<int>
  %0 = torch.aten.convolution %arg0, %w, %b, %stride, %pad, %dil, %false, %outpad, %int1 : !torch.vtensor<[1,1,4,8,8],f32>, !torch.vtensor<[2,1,1,3,3],f32>, !torch.vtensor<[2],f32>, !torch.list<int>, !torch.list<int>, !torch.list<int>, !torch.bool, !torch.list<int>, !torch.int -> !torch.vtensor<[1,2,4,4,4],f32>
  return %0 : !torch.vtensor<[1,2,4,4,4],f32>
}

// Fully connected, ONNX's Gemm form: flatten (prims.collapse) + transpose + mm + bias add.
// The flatten disappears, the transpose is folded into the weights, the bias add into the
// inner product's bias.

// CHECK-LABEL: func.func @gemm
// CHECK: %[[W:.*]] = "sdf.weights"() {value = dense<{{\[}}[1.000000e+00, 3.000000e+00, 5.000000e+00, 7.000000e+00], [2.000000e+00, 4.000000e+00, 6.000000e+00, 8.000000e+00]]> : tensor<2x4xf32>}
// CHECK: %[[B:.*]] = "sdf.weights"() {value = dense<[5.000000e-01, -5.000000e-01]> : tensor<2xf32>}
// CHECK: "sdf.inner_product"(%arg0, %[[W]], %[[B]]) : (tensor<1x1x2x2xf32>, tensor<2x4xf32>, tensor<2xf32>) -> tensor<1x2xf32>
// CHECK-NEXT: return
func.func @gemm(%arg0: !torch.vtensor<[1,1,2,2],f32>) -> !torch.vtensor<[1,2],f32> {
  %wt = torch.vtensor.literal(dense<[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]]> : tensor<4x2xf32>) : !torch.vtensor<[4,2],f32>
  %b = torch.vtensor.literal(dense<[0.5, -0.5]> : tensor<2xf32>) : !torch.vtensor<[2],f32>
  %int0 = torch.constant.int 0
  %int1 = torch.constant.int 1
  %int3 = torch.constant.int 3
  %0 = torch.prims.collapse %arg0, %int1, %int3 : !torch.vtensor<[1,1,2,2],f32>, !torch.int, !torch.int -> !torch.vtensor<[1,4],f32>
  %1 = torch.aten.mm %0, %wt : !torch.vtensor<[1,4],f32>, !torch.vtensor<[4,2],f32> -> !torch.vtensor<[1,2],f32>
  %2 = torch.aten.add.Tensor %1, %b, %int1 : !torch.vtensor<[1,2],f32>, !torch.vtensor<[2],f32>, !torch.int -> !torch.vtensor<[1,2],f32>
  return %2 : !torch.vtensor<[1,2],f32>
}
