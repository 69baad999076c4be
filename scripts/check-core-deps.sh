#!/usr/bin/env bash
# DESIGN §2: weir-core and weir-checkpoint are pure logic and never depend on tokio, tonic, axum,
# hyper or object_store (nor on their companion crates such as tokio-util or hyper-util).
# Checks the normal (non-dev, non-build) dependency tree of each, for every target platform.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

forbidden='tokio|tonic|axum|hyper|object_store'
failed=0
for crate in weir-core weir-checkpoint; do
    if [[ ! -f "crates/$crate/Cargo.toml" ]]; then
        continue
    fi
    tree=$(cargo tree -p "$crate" -e normal --prefix none --format '{p}')
    offenders=$(grep -E "^($forbidden)([-_][A-Za-z0-9_-]*)? v" <<<"$tree" | awk '{print $1, $2}' | sort -u || true)
    if [[ -n "$offenders" ]]; then
        failed=1
        echo "error: $crate must not depend on tokio, tonic, axum, hyper or object_store (DESIGN §2), but it does:" >&2
        while read -r name version; do
            echo "  $name $version, reached through:" >&2
            cargo tree -p "$crate" -e normal -i "$name@${version#v}" 2>&1 | sed 's/^/      /' >&2
        done <<<"$offenders"
    else
        echo "ok: $crate depends on none of tokio, tonic, axum, hyper, object_store"
    fi
done
exit "$failed"
