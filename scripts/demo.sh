#!/usr/bin/env bash
# The main job on the bundled example: compile the trained digits CNN for a ZC706
# (W16A16, batch 256, throughput), print the report, and prove the emitted HLS project by
# C-simulation against the bit-exact reference executor on held-out images.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/setup.sh"
bin="$root/.venv/bin"
out="$root/build/digits-zc706"
# the checks' inputs and outputs live beside the compile output, not in it: a later run of
# fpga-compile replaces only a directory holding nothing but what it wrote
data="$root/build/digits-zc706-check"
mkdir -p "$root/build" "$data"

"$bin/fpga-compile" --zoo digits --platform zc706 --batch 256 --precision w16a16 -o "$out"

echo
echo "== checking the design on 360 held-out digits"
"$bin/python" - "$data" <<'PY'
import sys, numpy as np
from fpga_sdf.frontend import digits
out = sys.argv[1]
x, y = digits.load_test_set()
np.save(f"{out}/test_x.npy", x.numpy())
np.save(f"{out}/test_y.npy", y.numpy())
PY
"$bin/fpga-run" "$out/model.mlir" --input "$data/test_x.npy" -o "$data/float.npy"
"$bin/fpga-run" "$out/model.mlir" --input "$data/test_x.npy" -o "$data/fixed.npy" --mode fixed
"$bin/fpga-run" "$out/hls" --backend csim --input "$data/test_x.npy" -o "$data/csim.npy"
"$bin/python" - "$data" <<'PY'
import sys, numpy as np
out = sys.argv[1]
y = np.load(f"{out}/test_y.npy")
acc = {k: float((np.load(f"{out}/{k}.npy").argmax(1) == y).mean()) for k in ("float", "fixed", "csim")}
same = np.array_equal(np.load(f"{out}/fixed.npy"), np.load(f"{out}/csim.npy"))
print(f"accuracy: float {acc['float']:.4f}, fixed-point executor {acc['fixed']:.4f}, HLS C-simulation {acc['csim']:.4f}")
print(f"C-simulation equals the fixed-point executor bit for bit: {same}")
sys.exit(0 if same else 1)
PY

echo
echo "== RTL: SystemVerilog (PyCDE/CIRCT) simulated cycle by cycle in Verilator on 4 digits"
echo "   (the design refolded to 16384 cycles per frame: the DSE's 800-multiplier circuit takes"
echo "   Verilator many minutes to compile; the test suite checks both kinds of folding)"
rtl="$root/build/digits-zc706-rtl"
"$bin/python" -c "import sys, numpy as np; np.save(sys.argv[2], np.load(sys.argv[1])[:4])" "$data/test_x.npy" "$data/rtl_x.npy"
"$bin/fpga-opt" "$out/model.mlir" --sdf-fold="interval=16384" -o "$root/build/digits-zc706-rtl.mlir"
"$bin/fpga-run" "$root/build/digits-zc706-rtl.mlir" --input "$data/rtl_x.npy" -o "$data/rtl_fixed.npy" --mode fixed
"$bin/fpga-translate" --sdf-to-rtl "$root/build/digits-zc706-rtl.mlir" -o "$rtl"
"$bin/fpga-run" "$rtl" --backend rtl --input "$data/rtl_x.npy" -o "$data/rtl.npy" --stats "$data/rtl_stats.json" 2>/dev/null
"$bin/python" - "$data" <<'PY'
import json, sys, numpy as np
out = sys.argv[1]
stats = json.load(open(f"{out}/rtl_stats.json"))
same = np.array_equal(np.load(f"{out}/rtl.npy"), np.load(f"{out}/rtl_fixed.npy"))
print(f"{'':24}{'measured':>10}{'model':>10}  cycles per frame")
for p in stats["partitions"]:
    print(f"{'partition ' + str(p['index']):24}{p['cycles_per_frame']:>10.0f}{p['model_cycles_per_frame']:>10}")
for l in stats["layers"]:
    print(f"  {l['name']:22}{l['cycles_per_frame']:>10.0f}{l['model_cycles_per_frame']:>10}  (alone: {l['model_layer_interval']})")
print(f"RTL simulation equals the fixed-point executor bit for bit: {same} "
      f"({stats['cycles_per_second'] / 1e3:.0f} k cycles/s simulated)")
sys.exit(0 if same else 1)
PY
