// RUN: fpga-opt --convert-torch-to-sdf --verify-diagnostics --split-input-file %s
// RUN: not fpga-opt --convert-torch-to-sdf %s 2>&1 | filecheck %s

// An op with no sdf equivalent is an error at its location, naming the op and pointing at
// the list of supported ones; the module is left unchanged (nothing is silently dropped).

// CHECK: unsupported.mlir:11:8: error: unsupported operation 'aten.tanh' (fpga-import --list-ops lists the supported operations)
// CHECK-NOT: conv2d
func.func @tanh(%arg0: !torch.vtensor<[1,2,4,4],f32>) -> !torch.vtensor<[1,2,4,4],f32> {
  // expected-error @+1 {{unsupported operation 'aten.tanh' (fpga-import --list-ops lists the supported operations)}}
  %0 = torch.aten.tanh %arg0 : !torch.vtensor<[1,2,4,4],f32> -> !torch.vtensor<[1,2,4,4],f32>
  return %0 : !torch.vtensor<[1,2,4,4],f32>
}

// -----

// The error names the layer when the location carries one (the importer's NameLoc).
func.func @gelu_in_layer(%arg0: !torch.vtensor<[1,2,4,4],f32>) -> !torch.vtensor<[1,2,4,4],f32> {
  %str = torch.constant.str "none"
  // expected-error @+1 {{unsupported operation 'aten.gelu' in layer 'blocks.0.act'}}
  %0 = torch.aten.gelu %arg0, %str : !torch.vtensor<[1,2,4,4],f32>, !torch.str -> !torch.vtensor<[1,2,4,4],f32> loc("blocks.0.act"("unsupported.mlir":21:8))
  return %0 : !torch.vtensor<[1,2,4,4],f32>
}

// -----

func.func @transposed(%arg0: !torch.vtensor<[1,2,4,4],f32>) -> !torch.vtensor<[1,2,5,5],f32> {
  %w = torch.vtensor.literal(dense<1.0> : tensor<2x2x2x2xf32>) : !torch.vtensor<[2,2,2,2],f32>
  %none = torch.constant.none
  %int0 = torch.constant.int 0
  %int1 = torch.constant.int 1
  %true = torch.constant.bool true
  %one = torch.prim.ListConstruct %int1, %int1 : (!torch.int, !torch.int) -> !torch.list<int>
  %zero = torch.prim.ListConstruct %int0, %int0 : (!torch.int, !torch.int) -> !torch.list<int>
  // expected-error @+1 {{cannot convert 'aten.convolution': transposed convolution is not supported}}
  %0 = torch.aten.convolution %arg0, %w, %none, %one, %zero, %one, %true, %zero, %int1 : !torch.vtensor<[1,2,4,4],f32>, !torch.vtensor<[2,2,2,2],f32>, !torch.none, !torch.list<int>, !torch.list<int>, !torch.list<int>, !torch.bool, !torch.list<int>, !torch.int -> !torch.vtensor<[1,2,5,5],f32>
  return %0 : !torch.vtensor<[1,2,5,5],f32>
}

// -----

func.func @cat_spatial(%arg0: !torch.vtensor<[1,2,4,4],f32>) -> !torch.vtensor<[1,2,8,4],f32> {
  %int2 = torch.constant.int 2
  %list = torch.prim.ListConstruct %arg0, %arg0 : (!torch.vtensor<[1,2,4,4],f32>, !torch.vtensor<[1,2,4,4],f32>) -> !torch.list<vtensor>
  // expected-error @+1 {{concatenation along dim 2 is not supported (only along channels, dim 1)}}
  %0 = torch.aten.cat %list, %int2 : !torch.list<vtensor>, !torch.int -> !torch.vtensor<[1,2,8,4],f32>
  return %0 : !torch.vtensor<[1,2,8,4],f32>
}

// -----

func.func @reflect_pad(%arg0: !torch.vtensor<[1,2,4,4],f32>) -> !torch.vtensor<[1,2,6,6],f32> {
  %int1 = torch.constant.int 1
  %none = torch.constant.none
  %str = torch.constant.str "reflect"
  %pads = torch.prim.ListConstruct %int1, %int1, %int1, %int1 : (!torch.int, !torch.int, !torch.int, !torch.int) -> !torch.list<int>
  // expected-error @+1 {{only zero padding is supported (got mode 'reflect'}}
  %0 = torch.aten.pad %arg0, %pads, %str, %none : !torch.vtensor<[1,2,4,4],f32>, !torch.list<int>, !torch.str, !torch.none -> !torch.vtensor<[1,2,6,6],f32>
  return %0 : !torch.vtensor<[1,2,6,6],f32>
}

// -----

// ceil_mode + count_include_pad + padding: PyTorch divides the last windows by a count that
// includes the padding but not the ceil overhang; one sdf.pool cannot say that. Refused.
func.func @avg_ceil_include_pad(%arg0: !torch.vtensor<[1,2,6,6],f32>) -> !torch.vtensor<[1,2,4,4],f32> {
  %none = torch.constant.none
  %int1 = torch.constant.int 1
  %int2 = torch.constant.int 2
  %true = torch.constant.bool true
  %int3 = torch.constant.int 3
  %k = torch.prim.ListConstruct %int3, %int3 : (!torch.int, !torch.int) -> !torch.list<int>
  %s = torch.prim.ListConstruct %int2, %int2 : (!torch.int, !torch.int) -> !torch.list<int>
  %p = torch.prim.ListConstruct %int1, %int1 : (!torch.int, !torch.int) -> !torch.list<int>
  // expected-error @+1 {{average pooling with ceil_mode=True, count_include_pad=True and padding}}
  %0 = torch.aten.avg_pool2d %arg0, %k, %s, %p, %true, %true, %none : !torch.vtensor<[1,2,6,6],f32>, !torch.list<int>, !torch.list<int>, !torch.list<int>, !torch.bool, !torch.bool, !torch.none -> !torch.vtensor<[1,2,4,4],f32>
  return %0 : !torch.vtensor<[1,2,4,4],f32>
}

// -----

// A reshape that is not a flatten before a fully connected layer needs hardware sdf lacks.
func.func @reshape(%arg0: !torch.vtensor<[1,2,4,4],f32>) -> !torch.vtensor<[1,8,2,2],f32> {
  %int1 = torch.constant.int 1
  %int2 = torch.constant.int 2
  %int8 = torch.constant.int 8
  %shape = torch.prim.ListConstruct %int1, %int8, %int2, %int2 : (!torch.int, !torch.int, !torch.int, !torch.int) -> !torch.list<int>
  // expected-error @+1 {{reshaping a feature map [1, 2, 4, 4] to [1, 8, 2, 2] needs hardware}}
  %0 = torch.aten.view %arg0, %shape : !torch.vtensor<[1,2,4,4],f32>, !torch.list<int> -> !torch.vtensor<[1,8,2,2],f32>
  return %0 : !torch.vtensor<[1,8,2,2],f32>
}
