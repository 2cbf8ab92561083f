#!/usr/bin/env bash
# Create .venv and install fpga-sdf with its pinned dependencies (idempotent, quick when done).
# Sourced or run by the other scripts; safe to run by hand on a fresh machine.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv"

# Debian packages the suite needs: g++ for C-simulation of emitted HLS code, Verilator for
# RTL simulation, yosys for synthesis of the generated RTL.
missing=()
command -v g++ >/dev/null 2>&1 || missing+=(g++)
command -v make >/dev/null 2>&1 || missing+=(make)
command -v verilator >/dev/null 2>&1 || missing+=(verilator)
command -v yosys >/dev/null 2>&1 || missing+=(yosys)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "setup: installing Debian packages: ${missing[*]}" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: please install: ${missing[*]}" >&2
    exit 1
  fi
fi

python=""
for candidate in python3.11 python3; do
  if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
    python="$candidate"; break
  fi
done
[ -n "$python" ] || { echo "setup: Python 3.11 is required (torch-mlir ships cp311 wheels only)" >&2; exit 1; }

[ -x "$venv/bin/python" ] || "$python" -m venv "$venv"

# Reinstall only when the project's packaging changed since the last successful install.
stamp="$venv/.fpga-sdf-installed"
if [ ! -f "$stamp" ] || [ "$root/pyproject.toml" -nt "$stamp" ] || [ "$root/examples/sdf-macs-plugin/pyproject.toml" -nt "$stamp" ]; then
  echo "setup: installing fpga-sdf and its dependencies into $venv" >&2
  "$venv/bin/pip" install -q --disable-pip-version-check -e "$root[test]" 2>&1 | grep -v '^WARNING: Location' || true
  "$venv/bin/pip" install -q --disable-pip-version-check -e "$root/examples/sdf-macs-plugin" 2>&1 | grep -v '^WARNING: Location' || true
  "$venv/bin/python" -c 'import fpga_sdf.tools.fpga_opt, sdf_macs_plugin' || { echo "setup: install failed" >&2; exit 1; }
  touch "$stamp"
fi
