// RUN: rm -rf %t && fpga-opt %s --sdf-quantize --sdf-target="platform=zedboard" --mlir-print-debuginfo -o %t.mlir 2>/dev/null
// RUN: %python -m fpga_sdf.tools.fpga_translate --sdf-to-hls %t.mlir -o %t
// RUN: filecheck %s --check-prefix=TOP --input-file=%t/p0/src/p0_top.cpp
// RUN: filecheck %s --check-prefix=CONV --input-file=%t/p0/src/conv.cpp
// RUN: filecheck %s --check-prefix=HDR --input-file=%t/p0/p0.hpp
// RUN: filecheck %s --check-prefix=TCL --input-file=%t/p0/hls.tcl
// RUN: filecheck %s --check-prefix=BD --input-file=%t/block_design.tcl
// RUN: filecheck %s --check-prefix=SCHED --input-file=%t/schedule.json
// RUN: filecheck %s --check-prefix=MAKE --input-file=%t/p0/Makefile

// Folding becomes template parameters and stream counts: conv coarse_in 2, coarse_out 2,
// fine 3; the relu runs on 4 streams (squeeze 2 -> 4), the inner product reads 2.

// TOP: void p0_top(const p0_in_t* in, p0_out_t* out) {
// TOP: #pragma HLS INTERFACE m_axi port=in offset=slave bundle=gmem_in depth=256
// TOP: #pragma HLS INTERFACE m_axi port=out offset=slave bundle=gmem_out depth=10
// TOP: #pragma HLS INTERFACE s_axilite port=in bundle=control
// TOP: #pragma HLS INTERFACE s_axilite port=return bundle=control
// TOP: #pragma HLS DATAFLOW
// TOP: hls::stream<[[IN:fx16_f[0-9]+]]> s0[2];
// TOP-NEXT: #pragma HLS STREAM variable=s0 depth=2  // default: 2 x 16-bit streams, 128 words each
// TOP: hls::stream<[[CV:fx16_f[0-9]+]]> s1[2];
// TOP: hls::stream<[[CV]]> s2[4];
// TOP: sdf::dma_in<p0_in_t, 256, 2>(in, s0);
// TOP-NEXT: layer_conv(s0, s1);
// TOP-NEXT: sdf::squeeze<[[CV]], [[CV]], 2, 4, 288>(s1, s2);
// TOP-NEXT: layer_relu(s2, s3);
// TOP-NEXT: layer_pool(s3, s4);
// TOP-NEXT: sdf::squeeze<{{.*}}, 4, 2, 72>(s4, s5);
// TOP-NEXT: layer_fc(s5, s6);
// TOP-NEXT: sdf::dma_out<p0_out_t, 10, 1>(s6, out);

// CONV: // modules (hardware model): sliding_window x2, fork x2, conv x4, weights_memory x4, accum x4, glue x2, bias x2
// CONV: typedef sdf::acc_fixed<in_t, w_t, {{[0-9]+}}> acc_t;
// CONV: #ifdef __SYNTHESIS__
// CONV-NEXT: static const fx16_f{{[0-9]+}} weights[288] = WEIGHTS_LITERALS;
// CONV: typedef sdf::geometry<1, 8, 8, 1, 3, 3, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1> geom;
// CONV: void layer_conv(hls::stream<fx16_f{{[0-9]+}}> in[2], hls::stream<fx16_f{{[0-9]+}}> out[2]) {
// CONV-NEXT: #pragma HLS INLINE off
// CONV-NEXT: sdf::conv_layer<{{.*}}, ns_conv::geom, 4, 8, 1, 2, 2, 1, 3>(in, out, ns_conv::weights, ns_conv::bias);

// HDR: typedef ap_fixed<16, {{-?[0-9]+}}, AP_RND, AP_SAT> fx16_f{{[0-9]+}};
// HDR: void layer_relu(hls::stream<{{.*}}> in[4], hls::stream<{{.*}}> out[4]);
// HDR: void layer_fc(hls::stream<{{.*}}> in[2], hls::stream<{{.*}}> out[1]);

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
// MAKE: csim: build/csim_tb

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
