#!/usr/bin/env bash
# The demo: the wordcount job on the embedded mini-cluster, with live progress. Installs what the
# build needs first (scripts/setup-system.sh), then `cargo run --release -p weir -- run wordcount`.
# Extra arguments go to `weir run` (e.g. `-D state.backend.type=rocksdb`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
./scripts/setup-system.sh
# shellcheck source=scripts/target-dir.sh
. ./scripts/target-dir.sh
# shellcheck source=scripts/rocksdb-lib.sh
. ./scripts/rocksdb-lib.sh
exec cargo run --release -p weir -- run "$@" wordcount
