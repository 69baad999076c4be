#!/usr/bin/env bash
# Installs the system packages the build needs, if they are missing (DEPENDENCIES.md):
#   libclang    bindgen (librocksdb-sys) generates RocksDB's bindings with it at build time
#   a C++ compiler and make-free build tools: RocksDB's C++ is compiled by the cc crate
# Idempotent and quick when everything is there; uses apt-get (with sudo unless root).
set -euo pipefail

missing=()
if command -v dpkg >/dev/null 2>&1; then
    # libclang-dev brings clang's own headers too, which bindgen needs besides the library.
    dpkg -s libclang-dev >/dev/null 2>&1 || missing+=(libclang-dev)
elif ! ldconfig -p 2>/dev/null | grep -q 'libclang\(-[0-9.]*\)\?\.so'; then
    missing+=(libclang-dev)
fi
if ! command -v c++ >/dev/null 2>&1 && ! command -v g++ >/dev/null 2>&1 && ! command -v clang++ >/dev/null 2>&1; then
    missing+=(g++)
fi
if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

echo "==> installing system packages the build needs: ${missing[*]}" >&2
if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: missing ${missing[*]} and apt-get is not available; install them with your package manager" >&2
    exit 1
fi
sudo=()
if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
        echo "error: missing ${missing[*]}; run as root or install sudo (apt-get install ${missing[*]})" >&2
        exit 1
    fi
    sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq || echo "warning: apt-get update failed; trying the install with the package lists as they are" >&2
"${sudo[@]}" apt-get install -y -qq "${missing[@]}"
