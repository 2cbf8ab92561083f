// Platforms: a Zynq gets a block design with its board preset and the PL clock the design was
// explored at; an Alveo card gets a Vitis kernel (.xo export, v++ link configuration, an XRT
// host runner) instead of a Vivado block design.
// RUN: rm -rf %t.zynq %t.alveo
// RUN: fpga-opt %s --sdf-quantize --sdf-target="platform=zcu102 clock=150" -o %t.zynq.mlir 2>/dev/null
// RUN: %python -m fpga_sdf.tools.fpga_translate --sdf-to-hls %t.zynq.mlir -o %t.zynq
// RUN: filecheck %s --check-prefix=ZYNQ --input-file=%t.zynq/block_design.tcl
// RUN: fpga-opt %s --sdf-quantize --sdf-target="platform=u250" -o %t.alveo.mlir 2>/dev/null
// RUN: %python -m fpga_sdf.tools.fpga_translate --sdf-to-hls %t.alveo.mlir -o %t.alveo
// RUN: filecheck %s --check-prefix=LINK --input-file=%t.alveo/vitis/link_p0.cfg
// RUN: filecheck %s --check-prefix=HOST --input-file=%t.alveo/vitis/host_p0.cpp
// RUN: filecheck %s --check-prefix=VPP --input-file=%t.alveo/vitis/Makefile
// RUN: filecheck %s --check-prefix=XO --input-file=%t.alveo/p0/hls.tcl
// RUN: not test -e %t.alveo/block_design.tcl

// ZYNQ: create_project -force bd_$p $here/vivado/$p -part xczu9eg-ffvb1156-2-e
// ZYNQ-NEXT: set_property board_part xilinx.com:zcu102:part0:3.4 [current_project]
// ZYNQ: apply_bd_automation -rule xilinx.com:bd_rule:zynq_ultra_ps_e -config {apply_board_preset "1"} $ps
// ZYNQ: CONFIG.PSU__CRL_APB__PL0_REF_CTRL__FREQMHZ {150}
// ZYNQ: design_$p.hwh

// LINK: kernel_frequency=300
// LINK: [connectivity]
// LINK: nk=p0_top:1:p0_top_1
// The streaming masters are dealt largest first, as the model costs them: out (8x6x6 words)
// before in (4x8x8).
// LINK: sp=p0_top_1.in:DDR[1]
// LINK-NEXT: sp=p0_top_1.out:DDR[0]
// HOST: #include <xrt/xrt_kernel.h>
// HOST: xrt::kernel kernel(device, uuid, "p0_top");
// HOST: auto run = kernel(bos[0], bos[1], frames);
// VPP: PLATFORM ?= xilinx_u250_gen3x16_xdma_4_1_202210_1
// VPP: v++ -l -t hw --platform $(PLATFORM) --config link_$*.cfg -o $@ $<
// XO: open_solution -reset solution1 -flow_target vitis
// XO: export_design -format xo -output ../vitis/p0_top.xo

func.func @net(%x: tensor<1x4x8x8xf32>) -> tensor<1x8x6x6xf32> {
  %w = "sdf.weights"() {value = dense<0.25> : tensor<8x4x3x3xf32>} : () -> tensor<8x4x3x3xf32>
  %b = "sdf.weights"() {value = dense<0.5> : tensor<8xf32>} : () -> tensor<8xf32>
  %0 = "sdf.conv"(%x, %w, %b) {coarse_in = 2 : i64} : (tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>, tensor<8xf32>) -> tensor<1x8x6x6xf32>
  return %0 : tensor<1x8x6x6xf32>
}
