"""The Python API on the bundled digits CNN: compile for a ZC706, check it, write it out."""
import sys

import numpy as np

import fpga_sdf
from fpga_sdf.frontend import digits

model, example = digits.build()                     # a trained nn.Module and an input
x, y = digits.load_test_set()
design = fpga_sdf.compile(model, example, platform="zc706", precision="w8a8",
                          objective="throughput", batch=64, calibration=x[:64].numpy())
print(design)                                       # the report table
fixed = design.predict(x[:16].numpy())              # the bit-exact fixed-point executor
print("accuracy on 16 digits:", float((fixed.argmax(1) == y[:16].numpy()).mean()))
print("C-simulation equals the executor:", np.array_equal(design.csim(x[:16].numpy()), fixed))
design.write(sys.argv[1] if len(sys.argv) > 1 else "digits-design")
