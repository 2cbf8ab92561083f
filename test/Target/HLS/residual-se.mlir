// RUN: rm -rf %t && fpga-opt %s --sdf-quantize --mlir-print-debuginfo -o %t.mlir 2>/dev/null
// RUN: %python -m fpga_sdf.tools.fpga_translate --sdf-to-hls %t.mlir -o %t 2>/dev/null
// RUN: filecheck %s --input-file=%t/p0/src/p0_top.cpp
// RUN: filecheck %s --check-prefix=SE --input-file=%t/p0/src/se_mul.cpp
// RUN: filecheck %s --check-prefix=GATE --input-file=%t/p0/src/gate.cpp

// Squeeze-excitation: the map waits in the split's second output while the gate is computed
// from all of it, so that stream holds at least a whole map per stream (64 words on 2
// streams: fpga_sdf.model.fifo_depths), here 37 = the words arriving while the gate's
// pipeline runs, plus the register pair: the FIFO the resource model costs. Chain streams
// keep depth 2. Each split output is its own stream array, so only the waiting branch gets
// the deep FIFO.

// CHECK: hls::stream<{{.*}}> s1[2];
// CHECK-NEXT: #pragma HLS STREAM variable=s1 depth=2  // chain
// CHECK: hls::stream<{{.*}}> s2[2];
// CHECK-NEXT: #pragma HLS STREAM variable=s2 depth=37  // join fork -> se_mul: the model's FIFO
// CHECK: SDF_PROCESS(fork_split(s0, s1, s2, frames));
// CHECK: SDF_PROCESS(gpool_global_pool(s1, s3, frames));
// CHECK: SDF_PROCESS(gate_activation(s3, s4, frames));
// CHECK: SDF_PROCESS(se_mul_eltwise(s2, s4, s5, frames));
// SE: sdf::eltwise<{{.*}}, 4, 16, sdf::ELT_MUL, true, 2>(a, b, out, frames);
// GATE: static const fx16_f{{[0-9]+}} table[2][65536]
// GATE: #pragma HLS ARRAY_PARTITION variable=ns_gate::table complete dim=1
// GATE: sdf::activation_lut<{{.*}}, 2, 2>(in, out, ns_gate::table, frames);

func.func @se(%x: tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32> {
  %0:2 = "sdf.split"(%x) {coarse_in = 2 : i64, coarse_out = 2 : i64} : (tensor<1x4x4x4xf32>) -> (tensor<1x4x4x4xf32>, tensor<1x4x4x4xf32>) loc("fork")
  %1 = "sdf.global_pool"(%0#0) {mode = "avg", coarse_in = 2 : i64, coarse_out = 2 : i64} : (tensor<1x4x4x4xf32>) -> tensor<1x4x1x1xf32> loc("gpool")
  %2 = "sdf.activation"(%1) {kind = "hard_sigmoid", coarse_in = 2 : i64, coarse_out = 2 : i64} : (tensor<1x4x1x1xf32>) -> tensor<1x4x1x1xf32> loc("gate")
  %3 = "sdf.eltwise"(%0#1, %2) {mode = "mul", coarse_in = 2 : i64, coarse_out = 2 : i64} : (tensor<1x4x4x4xf32>, tensor<1x4x1x1xf32>) -> tensor<1x4x4x4xf32> loc("se_mul")
  return %3 : tensor<1x4x4x4xf32>
}
