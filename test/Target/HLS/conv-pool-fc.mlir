// RUN: rm -rf %t && fpga-opt %s --sdf-quantize --sdf-target="platform=zedboard" --mlir-print-debuginfo -o %t.mlir 2>/dev/null
// RUN: %python -m fpga_sdf.tools.fpga_translate --sdf-to-hls %t.mlir -o %t
// RUN: filecheck %s --check-prefix=TOP --input-file=%t/p0/src/p0_top.cpp
// RUN: filecheck %s --check-prefix=CONV --input-file=%t/p0/src/conv.cpp
// RUN: filecheck %s --check-prefix=HDR --input-file=%t/p0/p0.hpp
// RUN: filecheck %s --check-prefix=TCL --input-file=%t/p0/hls.tcl
// RUN: filecheck %s --check-prefix=BD --input-file=%t/block_design.tcl
// RUN: filecheck %s --check-prefix=SCHED --input-file=%t/schedule.json
// RUN: filecheck %s --check-prefix=MAKE --input-file=%t/p0/Makefile

// Every module the model costs is a DATAFLOW process (conv coarse_in 2, coarse_out 2, fine 3:
// sliding window x2, fork x2, 4 MAC units with 4 weight banks, glue x2, accum x2, bias x2);
// the relu runs on 4 streams (squeeze 2 -> 4), the inner product reads 2. Every process
// loops over `frames`; every stream has its STREAM depth.

// The memory ports are wide: the ZedBoard's 64-bit HP port carries 4 16-bit values a beat
// (256 input words in 64 beats, 10 outputs in 3).
// TOP: sdf::dma_in<p0_in_t, 256, 2, 4>(mem, out, frames);
// TOP: void p0_top(const p0_in_beat_t* in, p0_out_beat_t* out, int frames) {
// TOP: #pragma HLS INTERFACE m_axi port=in offset=slave bundle=gmem_in depth=64
// TOP: #pragma HLS INTERFACE m_axi port=out offset=slave bundle=gmem_out depth=3
// TOP: #pragma HLS INTERFACE s_axilite port=in bundle=control
// TOP: #pragma HLS INTERFACE s_axilite port=frames bundle=control
// TOP: #pragma HLS INTERFACE s_axilite port=return bundle=control
// TOP: #pragma HLS DATAFLOW
// TOP: hls::stream<[[IN:fx16_f[0-9]+]]> s0[2];
// TOP-NEXT: #pragma HLS STREAM variable=s0 depth=2  // chain: 2 x [[IN]], 128 per frame each
// TOP: #include "../build/depths.inc"
// TOP: SDF_DATAFLOW_REGION
// TOP-NEXT: SDF_PROCESS(p0_dma_in(in, s0, frames));
// TOP-NEXT: SDF_PROCESS(conv_weights_memory(s1, frames));
// TOP-NEXT: SDF_PROCESS(conv_sliding_window(s0, s2, frames));
// TOP-NEXT: SDF_PROCESS(conv_fork(s2, s3, frames));
// TOP-NEXT: SDF_PROCESS(conv_conv(s3, s1, s4, frames));
// TOP-NEXT: SDF_PROCESS(conv_glue(s4, s5, frames));
// TOP-NEXT: SDF_PROCESS(conv_accum(s5, s6, frames));
// TOP-NEXT: SDF_PROCESS(conv_bias(s6, s7, frames));
// TOP-NEXT: SDF_PROCESS(p0_squeeze0(s7, s8, frames));
// TOP-NEXT: SDF_PROCESS(relu_activation(s8, s9, frames));
// TOP-NEXT: SDF_PROCESS(pool_sliding_window(s9, s10, frames));
// TOP-NEXT: SDF_PROCESS(pool_pool(s10, s11, frames));
// TOP-NEXT: SDF_PROCESS(p0_squeeze1(s11, s12, frames));
// TOP-NEXT: SDF_PROCESS(fc_weights_memory(s13, frames));
// TOP-NEXT: SDF_PROCESS(fc_conv(s12, s13, s14, frames));
// TOP-NEXT: SDF_PROCESS(fc_glue(s14, s15, frames));
// TOP-NEXT: SDF_PROCESS(fc_accum(s15, s16, frames));
// TOP-NEXT: SDF_PROCESS(fc_bias(s16, s17, frames));
// TOP-NEXT: SDF_PROCESS(p0_dma_out(s17, out, frames));
// TOP-NOT: static

// CONV: // modules (hardware model): sliding_window x2, fork x2, conv x4, weights_memory x4, glue x2, accum x2, bias x2
// CONV: static const fx16_f{{[0-9]+}} weights[4][24][3] =
// CONV: static const fx{{[0-9]+}}_f{{[0-9]+}} bias[2][4] =
// CONV-LABEL: void conv_weights_memory(
// CONV: #pragma HLS ARRAY_{{PARTITION|RESHAPE}} variable=ns_conv::weights complete dim=1
// CONV-NEXT: #pragma HLS ARRAY_RESHAPE variable=ns_conv::weights complete dim=3
// CONV-NEXT: sdf::weights_memory<{{.*}}, 3, 24, 36, 4>(ns_conv::weights, out, frames);
// CONV-LABEL: void conv_sliding_window(
// CONV: sdf::sliding_window<{{.*}}, 2, 2>(in, out, {{.*}}, frames);
// CONV-LABEL: void conv_conv(
// CONV: sdf::conv<{{.*}}, 9, 3, 72, 4, 4>(win, weights, out, frames);
// CONV-LABEL: void conv_bias(
// CONV: #pragma HLS ARRAY_PARTITION variable=ns_conv::bias complete dim=1

// HDR: typedef ap_fixed<16, {{-?[0-9]+}}, AP_RND, AP_SAT> fx16_f{{[0-9]+}};
// HDR: typedef ap_uint<64> p0_in_beat_t;
// HDR: void relu_activation(hls::stream<{{.*}}> in[4], hls::stream<{{.*}}> out[4], int frames);
// HDR: void fc_conv(hls::stream<{{.*}}> win[2], hls::stream<{{.*}}> weights[2], hls::stream<{{.*}}> out[2], int frames);

// TCL: open_project -reset hls_p0
// TCL: set_top p0_top
// TCL: add_files src/conv.cpp
// TCL: add_files -tb tb/tb.cpp
// TCL: set_part {xc7z020clg484-1}
// TCL: create_clock -period 10.000
// TCL: csim_design
// TCL: csynth_design
// TCL: cosim_design
// TCL: export_design

// BD: Vivado block design for zedboard (xc7z020clg484-1)
// BD: create_project -force bd_$p $here/vivado/$p -part xc7z020clg484-1
// BD: processing_system7

// SCHED: "platform": "zedboard"
// SCHED: "partitions": [
// SCHED: "name": "p0"
// SCHED: "runs": 1
// SCHED: "weights_reload": null

// MAKE: AP_TYPES ?= {{.*}}
// MAKE: CXXFLAGS ?= {{.*}}-pthread -DSDF_THREADED_CSIM
// MAKE: csim: build/csim_tb
// MAKE: build/depths.inc: src/p0_top.cpp
// MAKE: sed -n 's/^#pragma HLS STREAM variable=

func.func @net(%x: tensor<1x4x8x8xf32>) -> tensor<1x10xf32> {
  %w = "sdf.weights"() {value = dense<0.125> : tensor<8x4x3x3xf32>} : () -> tensor<8x4x3x3xf32>
  %b = "sdf.weights"() {value = dense<0.5> : tensor<8xf32>} : () -> tensor<8xf32>
  %0 = "sdf.conv"(%x, %w, %b) {coarse_in = 2 : i64, coarse_out = 2 : i64, fine = 3 : i64} : (tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>, tensor<8xf32>) -> tensor<1x8x6x6xf32> loc("conv")
  %1 = "sdf.activation"(%0) {kind = "relu", coarse_in = 4 : i64, coarse_out = 4 : i64} : (tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32> loc("relu")
  %2 = "sdf.pool"(%1) {mode = "max", kernel = array<i64: 2, 2>, coarse_in = 4 : i64, coarse_out = 4 : i64} : (tensor<1x8x6x6xf32>) -> tensor<1x8x3x3xf32> loc("pool")
  %fw = "sdf.weights"() {value = dense<0.01> : tensor<10x72xf32>} : () -> tensor<10x72xf32>
  %fb = "sdf.weights"() {value = dense<0.0> : tensor<10xf32>} : () -> tensor<10xf32>
  %3 = "sdf.inner_product"(%2, %fw, %fb) {coarse_in = 2 : i64} : (tensor<1x8x3x3xf32>, tensor<10x72xf32>, tensor<10xf32>) -> tensor<1x10xf32> loc("fc")
  return %3 : tensor<1x10xf32>
}
