#!/usr/bin/env bash
# The main job on the bundled example: compile the trained digits CNN for a ZC706
# (W16A16, batch 256, throughput), print the report, and prove the emitted HLS project by
# C-simulation against the bit-exact reference executor on held-out images.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/setup.sh"
bin="$root/.venv/bin"
out="$root/build/digits-zc706"
mkdir -p "$root/build"

"$bin/fpga-compile" --zoo digits --platform zc706 --batch 256 --precision w16a16 -o "$out"

echo
echo "== checking the design on 360 held-out digits"
"$bin/python" - "$out" <<'PY'
import sys, numpy as np
from fpga_sdf.frontend import digits
out = sys.argv[1]
x, y = digits.load_test_set()
np.save(f"{out}/test_x.npy", x.numpy())
np.save(f"{out}/test_y.npy", y.numpy())
PY
"$bin/fpga-run" "$out/model.mlir" --input "$out/test_x.npy" -o "$out/float.npy"
"$bin/fpga-run" "$out/model.mlir" --input "$out/test_x.npy" -o "$out/fixed.npy" --mode fixed
"$bin/fpga-run" "$out/hls" --backend csim --input "$out/test_x.npy" -o "$out/csim.npy"
"$bin/python" - "$out" <<'PY'
import sys, numpy as np
out = sys.argv[1]
y = np.load(f"{out}/test_y.npy")
acc = {k: float((np.load(f"{out}/{k}.npy").argmax(1) == y).mean()) for k in ("float", "fixed", "csim")}
same = np.array_equal(np.load(f"{out}/fixed.npy"), np.load(f"{out}/csim.npy"))
print(f"accuracy: float {acc['float']:.4f}, fixed-point executor {acc['fixed']:.4f}, HLS C-simulation {acc['csim']:.4f}")
print(f"C-simulation equals the fixed-point executor bit for bit: {same}")
sys.exit(0 if same else 1)
PY
