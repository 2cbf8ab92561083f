// RUN: fpga-opt %s --sdf-weights-reloading="factor=4" | filecheck %s
// RUN: fpga-opt %s --sdf-weights-reloading="factor=max layers=fc" | filecheck %s --check-prefix=MAX
// RUN: fpga-opt %s --sdf-weights-reloading="factor=3" --verify-diagnostics -o %t.out.mlir
// RUN: fpga-opt %s --sdf-target=platform=zc706 --sdf-weights-reloading="factor=4 layers=conv" --sdf-report="format=json output=%t.json" -o %t.out.mlir
// RUN: filecheck %s --check-prefix=REPORT --input-file %t.json
// RUN: fpga-opt %s --sdf-weights-reloading="factor=2 layers=conv" -o %t.warn.mlir 2>&1 | filecheck %s --check-prefix=WARN
// RUN: fpga-opt %s --sdf-partition="cuts=conv" --sdf-weights-reloading="factor=2 layers=conv" -o %t.cut.mlir 2>&1 | filecheck %s --check-prefix=CUT --allow-empty

// Every conv / inner product takes the factor; layers without weights are left alone.
// CHECK: "sdf.conv"{{.*}}wr_factor = 4 : i64
// CHECK: "sdf.activation"(%{{.*}}) {kind = "relu"}
// CHECK: "sdf.inner_product"{{.*}}wr_factor = 4 : i64

// The fc layer has 16 outputs: the largest factor keeps one filter on chip per run.
// MAX: "sdf.conv"(%{{[^)]*}}) :
// MAX: "sdf.inner_product"{{.*}}wr_factor = 16 : i64

// Reloading a layer whose output is read inside its partition warns; after a cut it leaves.
// WARN: warning: its output is read by 'sdf.activation' inside its partition
// CUT-NOT: warning

// With reloading factor 4 the partition runs 4 times over the batch.
// REPORT: "runs": 4

func.func @net(%x: tensor<1x4x8x8xf32>, %w: tensor<8x4x3x3xf32>, %b: tensor<8xf32>, %fw: tensor<16x288xf32>, %fb: tensor<16xf32>) -> tensor<1x16xf32> {
  // expected-error @+1 {{wr_factor=3 is not legal for this conv layer; choose one of [1, 2, 4, 8]}}
  %0 = "sdf.conv"(%x, %w, %b) : (tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>, tensor<8xf32>) -> tensor<1x8x6x6xf32> loc("conv"("sdf-weights-reloading.mlir":27:8))
  %1 = "sdf.activation"(%0) {kind = "relu"} : (tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32> loc("relu")
  // expected-error @+1 {{wr_factor=3 is not legal for this inner_product layer; choose one of [1, 2, 4, 8, 16]}}
  %2 = "sdf.inner_product"(%1, %fw, %fb) : (tensor<1x8x6x6xf32>, tensor<16x288xf32>, tensor<16xf32>) -> tensor<1x16xf32> loc("fc"("sdf-weights-reloading.mlir":30:8))
  return %2 : tensor<1x16xf32>
}
