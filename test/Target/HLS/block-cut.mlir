// A residual block cut between its convs: the skip tensor (the split's second result) and
// conv1's output leave the first partition, each on its own m_axi port and DMA process
// (`out`, `out1`); the second partition reads both (`in`, `in1`). schedule.json names the
// tensors each partition reads and writes, and who writes and reads each one, so the host
// keeps a tensor's buffer from its writer to its readers.
// RUN: rm -rf %t && mkdir -p %t
// RUN: fpga-opt %s --sdf-quantize --sdf-partition="cuts=conv1" -o %t/cut.mlir 2>/dev/null
// RUN: %python -m fpga_sdf.tools.fpga_translate --sdf-to-hls %t/cut.mlir -o %t/hls 2>/dev/null
// RUN: filecheck %s --check-prefix=P0 --input-file=%t/hls/p0/src/p0_top.cpp
// RUN: filecheck %s --check-prefix=P1 --input-file=%t/hls/p1/src/p1_top.cpp
// RUN: filecheck %s --check-prefix=SCHED --input-file=%t/hls/schedule.json
// RUN: filecheck %s --check-prefix=BD --input-file=%t/hls/block_design.tcl

// P0: void p0_top(const p0_in_beat_t* in, p0_out_beat_t* out, p0_out1_beat_t* out1, int frames) {
// P0-NEXT: #pragma HLS INTERFACE m_axi port=in offset=slave bundle=gmem_in depth=32
// P0-NEXT: #pragma HLS INTERFACE m_axi port=out offset=slave bundle=gmem_out depth=32
// P0-NEXT: #pragma HLS INTERFACE m_axi port=out1 offset=slave bundle=gmem_out1 depth=32
// P0: SDF_PROCESS(p0_dma_in(in, [[IN:s[0-9]+]], frames));
// P0-NEXT: SDF_PROCESS(fork_split([[IN]], [[MAIN:s[0-9]+]], [[SKIP:s[0-9]+]], frames));
// P0: SDF_PROCESS(conv1_sliding_window([[MAIN]],
// P0: SDF_PROCESS(conv1_bias({{s[0-9]+}}, [[C1:s[0-9]+]], frames));
// P0-NEXT: SDF_PROCESS(p0_dma_out([[SKIP]], out, frames));
// P0-NEXT: SDF_PROCESS(p0_dma_out1([[C1]], out1, frames));

// P1: void p1_top(const p1_in_beat_t* in, const p1_in1_beat_t* in1, p1_out_beat_t* out, int frames) {
// P1: #pragma HLS INTERFACE m_axi port=in1 offset=slave bundle=gmem_in1 depth=32
// P1: SDF_PROCESS(p1_dma_in(in, [[X:s[0-9]+]], frames));
// P1-NEXT: SDF_PROCESS(p1_dma_in1(in1, [[SKIP:s[0-9]+]], frames));
// P1-NEXT: SDF_PROCESS(relu1_activation([[X]],
// P1: SDF_PROCESS(add_eltwise({{s[0-9]+}}, [[SKIP]], {{s[0-9]+}}, frames));
// P1: SDF_PROCESS(p1_dma_out(

// The kernel's masters (three in each) are dealt largest first (deal_ports) to the PS's six
// ports to DDR (HP0-3, then HPC0-1), each its own while there are ports; all three move
// 4096 bits a frame here, so in argument order:
// BD: dict set masters p0 {gmem_in S_AXI_HP0_FPD gmem_out S_AXI_HP1_FPD gmem_out1 S_AXI_HP2_FPD}
// BD-NEXT: dict set masters p1 {gmem_in S_AXI_HP0_FPD gmem_in1 S_AXI_HP1_FPD gmem_out S_AXI_HP2_FPD}
// BD: CONFIG.PSU__USE__S_AXI_GP2 {1} CONFIG.PSU__USE__S_AXI_GP3 {1} CONFIG.PSU__USE__S_AXI_GP4 {1} CONFIG.PSU__USE__S_AXI_GP5 {1} CONFIG.PSU__USE__S_AXI_GP0 {1} CONFIG.PSU__USE__S_AXI_GP1 {1} CONFIG.PSU__CRL_APB__PL0_REF_CTRL__FREQMHZ
// BD: foreach {m s} [dict get $masters $p] {
// BD-NEXT: Master /${p}_top_0/m_axi_$m Slave /ps_0/$s Clk auto] [get_bd_intf_pins ps_0/$s]

// SCHED: "name": "p0",
// SCHED: "reads": [
// SCHED-NEXT: "input"
// SCHED-NEXT: ],
// SCHED-NEXT: "writes": [
// SCHED-NEXT: "fork#1",
// SCHED-NEXT: "conv1"
// SCHED-NEXT: ],
// SCHED: "name": "p1",
// SCHED: "reads": [
// SCHED-NEXT: "conv1",
// SCHED-NEXT: "fork#1"
// SCHED-NEXT: ],
// SCHED-NEXT: "writes": [
// SCHED-NEXT: "relu2"
// SCHED-NEXT: ],
// SCHED: "tensors": {
// SCHED: "fork#1": {
// SCHED-NEXT: "writer": "p0",
// SCHED-NEXT: "readers": [
// SCHED-NEXT: "p1"
// SCHED-NEXT: ]
// SCHED: "network_output": "relu2"

func.func @block(%x: tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32> {
  %w1 = "sdf.weights"() {value = dense<0.25> : tensor<4x4x3x3xf32>} : () -> tensor<4x4x3x3xf32>
  %w2 = "sdf.weights"() {value = dense<-0.125> : tensor<4x4x3x3xf32>} : () -> tensor<4x4x3x3xf32>
  %b = "sdf.weights"() {value = dense<0.1> : tensor<4xf32>} : () -> tensor<4xf32>
  %s:2 = "sdf.split"(%x) {name = "fork"} : (tensor<1x4x8x8xf32>) -> (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>)
  %c1 = "sdf.conv"(%s#0, %w1, %b) {name = "conv1", pad = array<i64: 1, 1, 1, 1>} : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32>
  %r1 = "sdf.activation"(%c1) {kind = "relu", name = "relu1"} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %c2 = "sdf.conv"(%r1, %w2, %b) {name = "conv2", pad = array<i64: 1, 1, 1, 1>} : (tensor<1x4x8x8xf32>, tensor<4x4x3x3xf32>, tensor<4xf32>) -> tensor<1x4x8x8xf32>
  %e = "sdf.eltwise"(%c2, %s#1) {mode = "add", name = "add"} : (tensor<1x4x8x8xf32>, tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  %r = "sdf.activation"(%e) {kind = "relu", name = "relu2"} : (tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
  return %r : tensor<1x4x8x8xf32>
}
