// RUN: fpga-opt --convert-torch-to-sdf %s | filecheck %s

// ceil_mode becomes extra end padding: 16 + 2*0 - 3 = 13, ceil(13 / 2) + 1 = 8 windows,
// which floor mode reaches with one more padded row and column at the end.

// CHECK-LABEL: func.func @max_ceil
// CHECK: "sdf.pool"(%arg0) {kernel = array<i64: 3, 3>, mode = "max", pad = array<i64: 0, 0, 1, 1>, stride = array<i64: 2, 2>}
// CHECK-SAME: (tensor<1x4x16x16xf32>) -> tensor<1x4x8x8xf32>
func.func @max_ceil(%arg0: !torch.vtensor<[1,4,16,16],f32>) -> !torch.vtensor<[1,4,8,8],f32> {
  %int0 = torch.constant.int 0
  %int1 = torch.constant.int 1
  %int2 = torch.constant.int 2
  %int3 = torch.constant.int 3
  %true = torch.constant.bool true
  %k = torch.prim.ListConstruct %int3, %int3 : (!torch.int, !torch.int) -> !torch.list<int>
  %s = torch.prim.ListConstruct %int2, %int2 : (!torch.int, !torch.int) -> !torch.list<int>
  %p = torch.prim.ListConstruct %int0, %int0 : (!torch.int, !torch.int) -> !torch.list<int>
  %d = torch.prim.ListConstruct %int1, %int1 : (!torch.int, !torch.int) -> !torch.list<int>
  %0 = torch.aten.max_pool2d %arg0, %k, %s, %p, %d, %true : !torch.vtensor<[1,4,16,16],f32>, !torch.list<int>, !torch.list<int>, !torch.list<int>, !torch.list<int>, !torch.bool -> !torch.vtensor<[1,4,8,8],f32>
  return %0 : !torch.vtensor<[1,4,8,8],f32>
}

// Average pooling with padding counts the padded zeros (PyTorch's default); a 3D pool
// whose window covers the whole input is a global pool; so is adaptive pooling to 1.

// CHECK-LABEL: func.func @avg
// CHECK: %[[P:.*]] = "sdf.pool"(%arg0) {count_include_pad = true, kernel = array<i64: 1, 3, 3>, mode = "avg", pad = array<i64: 0, 1, 1, 0, 1, 1>, stride = array<i64: 1, 2, 2>}
// CHECK-SAME: -> tensor<1x4x2x4x4xf32>
// CHECK: %[[G:.*]] = "sdf.global_pool"(%[[P]]) {mode = "avg"} : (tensor<1x4x2x4x4xf32>) -> tensor<1x4x1x1x1xf32>
// CHECK: "sdf.global_pool"(%[[G]]) {mode = "avg"}
func.func @avg(%arg0: !torch.vtensor<[1,4,2,8,8],f32>) -> !torch.vtensor<[1,4,1,1,1],f32> {
  %none = torch.constant.none
  %int1 = torch.constant.int 1
  %int2 = torch.constant.int 2
  %int3 = torch.constant.int 3
  %int4 = torch.constant.int 4
  %int0 = torch.constant.int 0
  %false = torch.constant.bool false
  %true = torch.constant.bool true
  %k = torch.prim.ListConstruct %int1, %int3, %int3 : (!torch.int, !torch.int, !torch.int) -> !torch.list<int>
  %s = torch.prim.ListConstruct %int1, %int2, %int2 : (!torch.int, !torch.int, !torch.int) -> !torch.list<int>
  %p = torch.prim.ListConstruct %int0, %int1, %int1 : (!torch.int, !torch.int, !torch.int) -> !torch.list<int>
  %0 = torch.aten.avg_pool3d %arg0, %k, %s, %p, %false, %true, %none : !torch.vtensor<[1,4,2,8,8],f32>, !torch.list<int>, !torch.list<int>, !torch.list<int>, !torch.bool, !torch.bool, !torch.none -> !torch.vtensor<[1,4,2,4,4],f32>
  %k2 = torch.prim.ListConstruct %int2, %int4, %int4 : (!torch.int, !torch.int, !torch.int) -> !torch.list<int>
  %z = torch.prim.ListConstruct %int0, %int0, %int0 : (!torch.int, !torch.int, !torch.int) -> !torch.list<int>
  %1 = torch.aten.avg_pool3d %0, %k2, %k2, %z, %false, %true, %none : !torch.vtensor<[1,4,2,4,4],f32>, !torch.list<int>, !torch.list<int>, !torch.list<int>, !torch.bool, !torch.bool, !torch.none -> !torch.vtensor<[1,4,1,1,1],f32>
  %one = torch.prim.ListConstruct %int1, %int1, %int1 : (!torch.int, !torch.int, !torch.int) -> !torch.list<int>
  %2 = torch.aten.adaptive_avg_pool3d %1, %one : !torch.vtensor<[1,4,1,1,1],f32>, !torch.list<int> -> !torch.vtensor<[1,4,1,1,1],f32>
  return %2 : !torch.vtensor<[1,4,1,1,1],f32>
}
