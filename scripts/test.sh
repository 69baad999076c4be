#!/usr/bin/env bash
# The one test command: everything CI checks, in the order that fails fastest.
#   0. system packages the build needs (libclang for RocksDB's bindings)  scripts/setup-system.sh
#      and RocksDB's C++ compiled once, linked by every build below      scripts/rocksdb-lib.sh
#   1. weir-core (and weir-checkpoint) stay free of async/network crates   scripts/check-core-deps.sh
#   2. formatting, if rustfmt is installed                                 cargo fmt --all -- --check
#   3. the parsing of the Flink side-by-side scripts, if python3 is there   bench/flink/test_compare.py
#      (the benchmark itself, bench/flink/compare.sh, is not run here)
#   4. lints, warnings are errors                                          cargo clippy
#   5. unit, integration and example builds; then doc tests                cargo test
# The build goes to $CARGO_TARGET_DIR, by default a cache outside the clone, so it is paid once
# per machine (RocksDB's C++ alone takes minutes; see DEPENDENCIES.md); scripts/target-dir.sh
# picks it and makes sure a cache last built from another checkout does not test stale code.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if ! command -v cargo >/dev/null 2>&1; then
    echo "error: cargo not found; install Rust (https://rustup.rs) and run this again" >&2
    exit 1
fi
# shellcheck source=scripts/target-dir.sh
. ./scripts/target-dir.sh

step() {
    printf '\n==> %s\n' "$*" >&2
}

step "system packages the build needs (scripts/setup-system.sh)"
./scripts/setup-system.sh

step "RocksDB's C++, once per version (scripts/rocksdb-lib.sh)"
# shellcheck source=scripts/rocksdb-lib.sh
. ./scripts/rocksdb-lib.sh

step "dependency rules (DESIGN §2)"
./scripts/check-core-deps.sh

if cargo fmt --version >/dev/null 2>&1; then
    step "cargo fmt --all -- --check"
    cargo fmt --all -- --check
else
    step "rustfmt is not installed: skipping the format check (rustup component add rustfmt)"
fi

if command -v python3 >/dev/null 2>&1; then
    step "python3 -m unittest discover -s bench/flink (the side-by-side scripts' parsing)"
    PYTHONDONTWRITEBYTECODE=1 python3 -m unittest discover -s bench/flink
else
    step "python3 is not installed: skipping the side-by-side scripts' parsing test"
fi

if ! cargo clippy --version >/dev/null 2>&1; then
    echo "error: cargo clippy not found; install it with: rustup component add clippy" >&2
    exit 1
fi
step "cargo clippy --workspace --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

step "cargo test --workspace --all-targets"
cargo test --workspace --all-targets

step "cargo test --workspace --doc"
cargo test --workspace --doc

step "all checks passed (target dir: $CARGO_TARGET_DIR)"
