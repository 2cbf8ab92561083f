// A join whose skip stream is evicted to off-chip memory (--sdf-evict) is modelled, but
// neither backend emits the write/read-back DMA pair yet: both refuse it at the join, with
// nothing written, rather than build the small FIFO the model no longer costs.
// RUN: fpga-opt %S/../Transforms/sdf-evict.mlir --sdf-evict="edges=add:1" --sdf-quantize -o %t.q.mlir 2>/dev/null
// RUN: not fpga-translate --sdf-to-rtl %t.q.mlir --platform zc706 -o %t.rtl 2>&1 | filecheck %s --check-prefix=RTL
// RUN: not fpga-translate --sdf-to-hls %t.q.mlir --platform zc706 -o %t.hls 2>&1 | filecheck %s --check-prefix=HLS
// RUN: not ls %t.rtl %t.hls
// RTL: :10:10: error: a skip stream evicted to off-chip memory ('evicted', --sdf-evict) is modelled, but the RTL backend does not emit it yet
// HLS: :10:10: error: a skip stream evicted to off-chip memory ('evicted', --sdf-evict) is modelled, but the HLS backend does not emit it yet
// HLS-NOT: error
