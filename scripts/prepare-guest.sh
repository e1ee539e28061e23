#!/usr/bin/env bash
# prepare-guest.sh NAME HARNESS
# What every boot of kernel NAME needs: the kernel (get-kernel.sh), rcu_unload.ko and
# rcu_unload_expediter.ko built against it (build/kmod/NAME) and the base initramfs with HARNESS,
# both modules and the kernel's own modules the harness times (guest-modules.sh's list and their
# dependencies, with a modules.dep, at
# /lib/modules/<release>) (build/initramfs/NAME.cpio.gz, remade only when the harness, the module,
# guest-init or that module set is newer). Prints two lines: the kernel dir, then the base initramfs.
set -euo pipefail
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
top=$(cd "$RCU_UNLOAD_SCRIPTS/.." && pwd)

[[ $# -eq 2 && $1 != -* ]] || usage
name=$1 harness=$2
need_file "$harness" "harness (build it with 'make user')"
kdir=$("$RCU_UNLOAD_SCRIPTS/get-kernel.sh" "$name")
ko=$("$RCU_UNLOAD_SCRIPTS/build-module.sh" "$kdir/build" "$top/build/kmod/$name")
mods=$("$RCU_UNLOAD_SCRIPTS/guest-modules.sh" "$kdir" "$top/build/guest-modules/$name")
base=$top/build/initramfs/$name.cpio.gz
mkdir -p "$(dirname "$base")"
if [[ ! -f $base || $harness -nt $base || $ko -nt $base || $RCU_UNLOAD_SCRIPTS/guest-init -nt $base ||
    ! -f $mods/.modules || $mods/.modules -nt $base ]]; then
    "$RCU_UNLOAD_SCRIPTS/mkinitramfs.sh" --out "$base" --harness "$harness" --module "$ko" \
        --extra "${ko%/*}/$RCU_UNLOAD_EXPEDITER.ko=/$RCU_UNLOAD_EXPEDITER.ko" --tree "$mods"
fi
printf '%s\n%s\n' "$kdir" "$base"
