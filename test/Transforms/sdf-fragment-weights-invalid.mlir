// RUN: fpga-opt %s --sdf-fragment-weights="layer=conv n=4 u_on=60 u_off=10" --verify-diagnostics -o %t.out.mlir
// RUN: not fpga-opt %s --sdf-fragment-weights="layer=relu n=1 u_on=1 u_off=1" 2>&1 | filecheck %s --check-prefix=KIND
// RUN: not fpga-opt %s --sdf-fragment-weights="layer=nope n=1 u_on=1 u_off=1" 2>&1 | filecheck %s --check-prefix=NAME
// RUN: not fpga-opt %s --sdf-fragment-weights="layer=conv n=0 u_on=1 u_off=1" 2>&1 | filecheck %s --check-prefix=VALUES
// RUN: not fpga-opt %s --sdf-fragment-weights 2>&1 | filecheck %s --check-prefix=NOTHING
// RUN: not fpga-opt %s --sdf-fragment-weights="budget=0.5 layer=conv" 2>&1 | filecheck %s --check-prefix=BOTH
// RUN: not fpga-opt %s --sdf-fragment-weights="budget=0.5" 2>&1 | filecheck %s --check-prefix=NOTARGET

// Both backends emit a fragmented layer (the RTL with a weights AXI port s_axis_w0; HLS checks at the end).
// RUN: fpga-opt %s --sdf-quantize --sdf-fragment-weights="layer=conv n=4 u_on=60 u_off=12" -o %t.q.mlir 2>/dev/null
// RUN: fpga-translate --sdf-to-hls %t.q.mlir --platform zcu102 -o %t.hls && filecheck %s --check-prefix=HLS < %t.hls/schedule.json
// RUN: fpga-translate --sdf-to-rtl %t.q.mlir --platform zcu102 -o %t.rtl
// RUN: %python -c "import json; w = json.load(open('%t.rtl/rtl.json'))['partitions'][0]['weights'][0]; print(w['port'], w['layer'], w['fragments'], w['beats_per_frame'])" | filecheck %s --check-prefix=RTL

// KIND: sdf-fragment-weights-invalid.mlir:28:8: error: weights_fragments only applies to conv and inner_product, not activation
// NAME: error: --sdf-fragment-weights: no layer named 'nope' here (layers: conv, relu)
// VALUES: error: --sdf-fragment-weights: by hand needs layer=NAME, n >= 1
// NOTHING: error: --sdf-fragment-weights: needs layer=NAME n=.. u_on=.. u_off=.. or budget=F
// BOTH: error: --sdf-fragment-weights: give layer=NAME n=.. u_on=.. u_off=.. or budget=F, not both
// NOTARGET: error: --sdf-fragment-weights: the module has no target
// RTL: s_axis_w0 conv0 [4, 60, 12] 1728

func.func @net(%x: tensor<1x4x8x8xf32>) -> tensor<1x8x6x6xf32> {
  %w = "sdf.weights"() {value = dense<0.25> : tensor<8x4x3x3xf32>} : () -> tensor<8x4x3x3xf32>
  %b = "sdf.weights"() {value = dense<0.5> : tensor<8xf32>} : () -> tensor<8xf32>
  // expected-error @+1 {{n * (u_on + u_off) = 280 words, but each MAC unit's weights memory holds 288 at this folding}}
  %0 = "sdf.conv"(%x, %w, %b) : (tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>, tensor<8xf32>) -> tensor<1x8x6x6xf32> loc("conv"("sdf-fragment-weights-invalid.mlir":27:8))
  %1 = "sdf.activation"(%0) {kind = "relu"} : (tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32> loc("relu"("sdf-fragment-weights-invalid.mlir":28:8))
  return %1 : tensor<1x8x6x6xf32>
}

// HLS keeps the static regions in the banks and streams the dynamic ones (4 x 12 words a
// memory cycle) from their own m_axi image through a weights DMA process
// (C-simulation: test/unit/backend/test_hls_fragments.py).
// HLS: "name": "mem_conv0_fragments"
// HLS: "role": "fragments"
// HLS: "kind": "weights_dma"
