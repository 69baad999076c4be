#!/usr/bin/env bash
# Sourced by test.sh and demo.sh after target-dir.sh: compiles RocksDB's C++ once per RocksDB
# version into the target directory and makes every later build link that archive.
#
# librocksdb-sys compiles RocksDB (10–20 minutes here) in its build script, and cargo runs a
# build script again for every variant of its host dependencies' features: `cargo clippy` and
# `cargo test` of the workspace, or a `-p` build of one crate, each paid for the C++ again (a
# clean CI run compiled it twice). With ROCKSDB_LIB_DIR and ROCKSDB_STATIC set, the build script
# only generates the bindings and links the archive given, whatever the variant.
#
# The archive is built through weir-state, the crate that depends on rocksdb, so that it has the
# features weir asks for (lz4), and kept in $CARGO_TARGET_DIR/rocksdb-lib/<version>/. Set
# ROCKSDB_LIB_DIR yourself to link another build instead.
if [ -z "${ROCKSDB_LIB_DIR:-}" ]; then
    weir_rocksdb_version="$(grep -A1 '^name = "librocksdb-sys"$' Cargo.lock | sed -n 's/^version = "\(.*\)"$/\1/p')"
    if [ -z "$weir_rocksdb_version" ]; then
        echo "error: scripts/rocksdb-lib.sh: no librocksdb-sys in Cargo.lock" >&2
        return 1 2>/dev/null || exit 1
    fi
    weir_rocksdb_dir="$CARGO_TARGET_DIR/rocksdb-lib/$weir_rocksdb_version"
    if [ ! -f "$weir_rocksdb_dir/librocksdb.a" ]; then
        printf '\n==> RocksDB %s: compiling its C++ once into %s (10-20 minutes)\n' \
            "$weir_rocksdb_version" "$weir_rocksdb_dir" >&2
        weir_rocksdb_messages="$(mktemp)"
        cargo build -p weir-state --lib --message-format=json-render-diagnostics > "$weir_rocksdb_messages"
        weir_rocksdb_out="$(grep '"reason":"build-script-executed"' "$weir_rocksdb_messages" | grep '/librocksdb-sys-' \
            | sed -n 's/.*"out_dir":"\([^"]*\)".*/\1/p' | tail -n 1 || true)"
        rm -f "$weir_rocksdb_messages"
        if [ ! -f "$weir_rocksdb_out/librocksdb.a" ]; then
            echo "error: scripts/rocksdb-lib.sh: the build of weir-state left no librocksdb.a (out dir: '$weir_rocksdb_out')" >&2
            return 1 2>/dev/null || exit 1
        fi
        mkdir -p "$weir_rocksdb_dir"
        cp "$weir_rocksdb_out/librocksdb.a" "$weir_rocksdb_dir/librocksdb.a.partial"
        mv "$weir_rocksdb_dir/librocksdb.a.partial" "$weir_rocksdb_dir/librocksdb.a"
    fi
    export ROCKSDB_LIB_DIR="$weir_rocksdb_dir"
    export ROCKSDB_STATIC=1
    unset weir_rocksdb_version weir_rocksdb_dir weir_rocksdb_out weir_rocksdb_messages
fi
