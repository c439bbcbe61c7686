#!/usr/bin/env bash
# Installs what Callscope needs on Debian/Ubuntu: system packages (ffmpeg, sox, espeak-ng, bc,
# chromium for browser tests, PulseAudio for capture tests) and the npm dependencies (npm ci).
# Idempotent; uses sudo when not root.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
pkgs=(ffmpeg sox espeak-ng bc chromium pulseaudio pulseaudio-utils)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # onnxruntime-node's postinstall would download CUDA libraries on Linux x64; the CPU binaries
  # ship in its tarball. Its own switch, as an environment variable (a project .npmrc entry makes
  # npm warn "Unknown project config" on every npm/npx command). GPU: README.md, "GPU".
  ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund
fi
