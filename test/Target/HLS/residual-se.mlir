// RUN: rm -rf %t && fpga-opt %s --sdf-quantize --mlir-print-debuginfo -o %t.mlir 2>/dev/null
// RUN: %python -m fpga_sdf.tools.fpga_translate --sdf-to-hls %t.mlir -o %t 2>/dev/null
// RUN: filecheck %s --input-file=%t/p0/src/p0_top.cpp
// RUN: filecheck %s --check-prefix=SE --input-file=%t/p0/src/se_mul.cpp
// RUN: filecheck %s --check-prefix=GATE --input-file=%t/p0/src/gate.cpp

// Squeeze-excitation: the map waits in the split's stream while the gate is computed from
// all of it, so that stream is as deep as a whole map per stream (the model's global pool
// fill); chain streams keep the default depth.

// CHECK: hls::stream<{{.*}}> s1[2][2];
// CHECK-NEXT: #pragma HLS STREAM variable=s1 depth=32  // model: 2 x 16-bit streams, 32 words each
// CHECK: layer_fork(s0, s1);
// CHECK: layer_gpool(s1[0], s2);
// CHECK: layer_gate(s2, s3);
// CHECK: layer_se_mul(s1[1], s3, s4);
// SE: sdf::eltwise<ns_se_mul::a_t, ns_se_mul::b_t, ns_se_mul::out_t, 4, 16, sdf::ELT_MUL, true, 2>(a, b, out);
// GATE: static const fx16_f{{[0-9]+}} table[65536]
// GATE: sdf::activation_lut<ns_gate::in_t, ns_gate::out_t, 2, 2>(in, out, ns_gate::table);

func.func @se(%x: tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32> {
  %0:2 = "sdf.split"(%x) {coarse_in = 2 : i64, coarse_out = 2 : i64} : (tensor<1x4x4x4xf32>) -> (tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32>) loc("fork")
  %1 = "sdf.global_pool"(%0#0) {mode = "avg", coarse_in = 2 : i64, coarse_out = 2 : i64} : (tensor<1x4x4x4xf32>) -> tensor<1x4x1x1xf32> loc("gpool")
  %2 = "sdf.activation"(%1) {kind = "hard_sigmoid", coarse_in = 2 : i64, coarse_out = 2 : i64} : (tensor<1x4x1x1xf32>) -> tensor<1x4x1x1xf32> loc("gate")
  %3 = "sdf.eltwise"(%0#1, %2) {mode = "mul", coarse_in = 2 : i64, coarse_out = 2 : i64} : (tensor<1x4x4x4xf32>, tensor<1x4x1x1xf32>) -> tensor<1x4x4x4xf32> loc("se_mul")
  return %3 : tensor<1x4x4x4xf32>
}
