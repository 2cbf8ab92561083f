"""fpga-sdf: an MLIR-based compiler for streaming CNN accelerators on FPGAs."""
