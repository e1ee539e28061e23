#!/usr/bin/env bash
# build-module.sh KERNEL_BUILD_DIR OUTPUT_DIR
# Builds rcu_unload.ko against one kernel build tree, out of the source tree.
# Kbuild (6.1) builds external modules in place, so the sources are mirrored into
# OUTPUT_DIR (timestamps kept, so rebuilds stay incremental); one directory per kernel.
# shellcheck source=common.sh
set -euo pipefail
source "$(dirname "$0")/common.sh"
top=$(cd "$(dirname "$0")/.." && pwd)
[ $# -eq 2 ] || usage
kdir=$1 out=$2
[ -f "$kdir/Makefile" ] || { echo "build-module: no kernel build tree at $kdir" >&2; exit 1; }
mkdir -p "$out/kmod" "$out/include/uapi"
cp -p "$top/Kbuild" "$out/"
cp -p "$top"/include/uapi/*.h "$out/include/uapi/"
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
