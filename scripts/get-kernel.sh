#!/usr/bin/env bash
# get-kernel.sh NAME...
# Make each kernel NAME ready in the cache and print its kernel dir, one line per NAME:
# deb-* are Debian's packaged kernels (fetch-kernel.sh), any other NAME is a configuration in
# configs/ built from source (build-kernel.sh). Stops at the first that fails.
set -euo pipefail
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

[[ $# -gt 0 && $1 != -* ]] || usage
for name in "$@"; do
    if [[ $name == deb-* ]]; then
        "$RCU_UNLOAD_SCRIPTS/fetch-kernel.sh" "$name"
    else
        "$RCU_UNLOAD_SCRIPTS/build-kernel.sh" "$name"
    fi
done
