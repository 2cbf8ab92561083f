#!/usr/bin/env bash
# The whole test suite: lit regression tests (passes, dialect, tools, the plug-in example)
# and pytest (library units, zoo-vs-PyTorch comparisons, C-simulation). Exit 0 only if all pass.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/setup.sh" || exit 1
venv="$root/.venv"
cd "$root"

status=0
echo "== lit regression tests"
"$venv/bin/lit" -sv test examples/sdf-macs-plugin/test || status=1

echo "== pytest"
# one worker per core (SDF_TEST_WORKERS overrides; 0 runs in this process); a file's tests
# stay on one worker, so its module fixtures (imported networks, compiled simulators) are
# built once
"$venv/bin/python" -m pytest -q -p no:cacheprovider -n "${SDF_TEST_WORKERS:-auto}" --dist loadfile test/unit "$@"
rc=$?
if [ $rc -eq 5 ]; then
  echo "pytest collected no tests: that is a failure" >&2
  status=1
elif [ $rc -ne 0 ]; then
  status=1
fi
exit $status
