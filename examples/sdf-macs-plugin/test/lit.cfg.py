"""lit configuration of the plug-in's own tests: fpga-opt and filecheck from this Python's env."""

import os
import sys

import lit.formats

config.name = "sdf-macs-plugin"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".mlir"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.test_source_root, "Output")
config.environment["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")])
