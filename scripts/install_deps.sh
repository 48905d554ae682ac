#!/usr/bin/env bash
# Installs every build and test dependency of ascent from Debian/Ubuntu packages.
# Idempotent: only missing packages are installed, so a second run costs one dpkg query.
# --test adds what only the tests use: Chromium renders the `ascent fit` plot (Debian's package; Ubuntu's
# chromium-browser is a snap stub that cannot run in a container, so there the render test is skipped).
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config git
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libabsl-dev
  libyaml-cpp-dev nlohmann-json3-dev libcli11-dev libeigen3-dev libginac-dev libpcre2-dev libutf8proc-dev libssl-dev libdeflate-dev
  libopenblas-openmp-dev libopenmpi-dev openmpi-bin
  libgtest-dev libgmock-dev libbenchmark-dev
  python3 python3-grpcio python3-protobuf python3-jinja2 python3-yaml
  python3-pip python3-venv  # the real-model run: the SmolLM2 wheel from PyPI, reasoning-gym in a venv
)
if [[ "${1:-}" == "--test" ]]; then
  PACKAGES+=(clang-tidy)   # scripts/lint.sh
  PACKAGES+=(clang libclang-rt-dev libomp-dev)  # scripts/fuzz.sh: libFuzzer, ASan/UBSan, OpenMP for clang
  if grep -q '^ID=debian' /etc/os-release 2>/dev/null; then PACKAGES+=(chromium); fi
fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "[deps] all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
echo "[deps] installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
