#!/usr/bin/env bash
# Sourced by test.sh and demo.sh: picks the cargo target directory and claims it for this
# checkout.
#
# The default is a cache outside the clone (${XDG_CACHE_HOME:-~/.cache}/weir/target), so that a
# new clone or a CI run pays for RocksDB's C++ once per machine. Several checkouts may share it
# (a developer's tree, CI's clone elsewhere). Cargo decides whether a workspace crate is fresh by
# comparing its sources' modification times with the last build, wherever that build came from:
# after a build from another checkout, files edited here before it look older than its output
# and would be tested stale. So when the cache was last claimed by another checkout, this one's
# sources are touched once: its workspace crates rebuild, the dependencies stay cached.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/weir/target}"
mkdir -p "$CARGO_TARGET_DIR"
weir_checkout="$(pwd -P)"
weir_claim="$CARGO_TARGET_DIR/.weir-checkout"
if [ "$(cat "$weir_claim" 2>/dev/null || true)" != "$weir_checkout" ]; then
    find crates testdata -type f -exec touch {} + 2>/dev/null || true
    touch Cargo.toml Cargo.lock
    printf '%s\n' "$weir_checkout" > "$weir_claim"
fi
unset weir_checkout weir_claim
