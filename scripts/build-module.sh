#!/usr/bin/env bash
# Builds rcu_unload.ko against one kernel build tree, out of the source tree.
# usage: scripts/build-module.sh KERNEL_BUILD_DIR OUTPUT_DIR
# Kbuild (6.1) builds external modules in place, so the sources are mirrored into
# OUTPUT_DIR (timestamps kept, so rebuilds stay incremental); one directory per kernel.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
[ $# -eq 2 ] || { echo "usage: $0 KERNEL_BUILD_DIR OUTPUT_DIR" >&2; exit 2; }
kdir=$1 out=$2
[ -f "$kdir/Makefile" ] || { echo "build-module: no kernel build tree at $kdir" >&2; exit 1; }
mkdir -p "$out/kmod"
cp -p "$top/Kbuild" "$out/"
cp -p "$top"/kmod/*.c "$top"/kmod/*.h "$top"/kmod/*.cpp "$top"/kmod/*.hpp "$out/kmod/"
# Sources removed from the tree must not linger in the mirror.
for f in "$out"/kmod/*.c "$out"/kmod/*.h "$out"/kmod/*.cpp "$out"/kmod/*.hpp; do
	[ -e "$top/kmod/${f##*/}" ] || rm -f "$f"
done
log=$out/build.log
# No module BTF: pahole cannot encode the C++ objects' DWARF (6.12 tries, 6.1 skips it
# for want of vmlinux), and nothing here needs BTF of this module.
if ! make -C "$kdir" M="$(cd "$out" && pwd)" CONFIG_DEBUG_INFO_BTF_MODULES= modules >"$log" 2>&1; then
	cat "$log" >&2
	echo "build-module: kbuild failed for $kdir (log: $log)" >&2
	exit 1
fi
# modpost and objtool must stay quiet: a warning there is a broken module later.
if grep -E 'WARNING|warning:' "$log" >&2; then
	echo "build-module: kbuild printed warnings for $kdir (log: $log)" >&2
	exit 1
fi
echo "$out/rcu_unload.ko"
