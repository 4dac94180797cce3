#!/usr/bin/env bash
# Regenerates every fixture under test/fixtures from PyTorch (Debian's python3-torch on /usr/bin/python3).
set -euo pipefail
cd "$(dirname "$0")"
for script in *.py; do
  case "$script" in common.py|conv2d_cases.py|cnnx_model.py) continue ;; esac
  /usr/bin/python3 "$script"
done
