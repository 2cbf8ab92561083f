"""An example fpga-sdf plug-in: one pass, installed through an entry point."""
