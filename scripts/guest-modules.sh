#!/usr/bin/env bash
# guest-modules.sh KERNEL-DIR OUT-DIR [MODULE...]
# The kernel's own modules a guest carries so the harness can time them (`rcu-unload run --module
# NAME`): each MODULE (default: the list below, the only one; vrf has no exit function, for the
# harness's refusal) with every module it
# depends on (modules.dep) or asks for beforehand or after (modules.softdep, an alias resolved
# through modules.alias: libcrc32c's crc32c on 6.12), copied from the kernel's unpacked tree (KERNEL-DIR/root/lib/modules/<release>,
# compressed as Debian ships them: .ko on 6.1, .ko.xz on 6.12) to OUT-DIR/lib/modules/<release>,
# with modules.builtin and a modules.dep made by depmod over that subset. A MODULE the kernel has
# built in or lacks is left out with a message. The tree's own modules.dep is made first if it has
# none (depmod, from the Debian package kmod). Also OUT-DIR/unknown-symbol/nf_conntrack.ko, a copy
# that no longer names its dependencies (below). Prints OUT-DIR; remade only when missing or made
# for another kernel release.
set -euo pipefail
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

[[ $# -ge 2 && $1 != -* ]] || usage
kdir=$1 out=$2
shift 2
wanted=("$@")
((${#wanted[@]})) || wanted=(fuse overlay squashfs nf_conntrack bridge vrf)
need_file "$kdir/release" "kernel release file"
release=$(<"$kdir/release")
tree=$kdir/root/lib/modules/$release
if [[ ! -d $tree/kernel ]]; then
    log "kernel $release has no module tree at $tree: the guest carries none of its modules"
    mkdir -p "$out"
    echo "$release ${wanted[*]}" >"$out/.modules"
    echo "$out"
    exit 0
fi
need_cmd depmod kmod
stamp=$out/.modules
# The release too: Debian's archive moves a kernel line to a new ABI (6.1.0-56 to -57), and a tree
# made for the old one would carry no module the new kernel can load.
recipe="v3 $release ${wanted[*]}" # v2: softdeps; v3: unknown-symbol/
if [[ -f $stamp && $(<"$stamp") == "$recipe" ]]; then
    echo "$out"
    exit 0
fi
[[ -f $tree/modules.dep ]] || depmod -b "$kdir/root" "$release" ||
    die "depmod over $tree failed"

rm -rf "$out"
dest=$out/lib/modules/$release
mkdir -p "$dest"
# closure NAME: the module's file and its dependencies' (relative paths), from modules.dep.
closure() {
    awk -v name="$1" -F': *' '{
        n = $1; sub(/.*\//, "", n); sub(/\.ko(\.(xz|zst|gz))?$/, "", n); gsub(/-/, "_", n)
        if (n == name) { print $1; if ($2 != "") { split($2, d, " "); for (i in d) print d[i] } ; exit }
    }' "$tree/modules.dep"
}
# softdeps NAME: the modules NAME's softdep line names (pre: and post:), aliases resolved.
softdeps() {
    local word
    while read -r word; do
        [[ -n $word ]] || continue
        word=${word//-/_}
        if [[ -n $(closure "$word") ]]; then
            echo "$word"
        else
            awk -v a="$word" '$1 == "alias" && $2 == a {print $3}' "$tree/modules.alias" 2>/dev/null
        fi
    done < <(awk -v name="$1" '$1 == "softdep" && $2 == name {
        for (i = 3; i <= NF; i++) if ($i != "pre:" && $i != "post:") print $i }' "$tree/modules.softdep" 2>/dev/null)
}
# Every module wanted, with what their softdeps name (theirs in turn), once each.
queue=("${wanted[@]}") seen=" "
all=()
while ((${#queue[@]})); do
    m=${queue[0]}
    queue=("${queue[@]:1}")
    [[ $seen != *" $m "* ]] || continue
    seen+="$m "
    all+=("$m")
    for f in $(closure "$m"); do
        n=${f##*/} n=${n%%.ko*} n=${n//-/_}
        while read -r d; do [[ -z $d ]] || queue+=("$d"); done < <(softdeps "$n")
    done
done
for m in "${all[@]}"; do
    files=$(closure "$m")
    if [[ -z $files ]]; then
        if grep -qE "/$m\.ko(\.(xz|zst|gz))?$" "$tree/modules.builtin" 2>/dev/null; then
            log "$m is built into kernel $release: not a module the guest can time"
        else
            log "kernel $release has no module $m"
        fi
        continue
    fi
    while read -r f; do
        [[ -n $f ]] || continue
        mkdir -p "$dest/$(dirname "$f")"
        cp "$tree/$f" "$dest/$f"
    done <<<"$files"
done
for f in modules.builtin modules.builtin.modinfo modules.order; do
    [[ ! -f $tree/$f ]] || cp "$tree/$f" "$dest/$f"
done
depmod -b "$out" "$release" || die "depmod over the guest's modules in $out failed"
# unknown-symbol/nf_conntrack.ko: nf_conntrack with its .modinfo depends= blanked and its signature
# stripped (the kernel rejects a signed module whose signature no longer matches), so that loading it
# by path fails on the symbols of the modules it no longer names: the harness's unknown-symbol error
# on a real kernel (qemu.module.unknown-symbol).
conntrack=$(find "$dest" -name 'nf_conntrack.ko*' -print -quit)
if [[ -n $conntrack ]]; then
    need_cmd perl perl
    mkdir -p "$out/unknown-symbol"
    case $conntrack in
        *.xz) xz -dc "$conntrack" ;;
        *.zst) zstd -qdc "$conntrack" ;;
        *.gz) gzip -dc "$conntrack" ;;
        *) cat "$conntrack" ;;
    esac | perl -e '
        local $/; my $m = <STDIN>;
        my $magic = "~Module signature appended~\n";
        if (substr($m, -length $magic) eq $magic) {
            my $sig_len = unpack("N", substr($m, -length($magic) - 4, 4));
            $m = substr($m, 0, length($m) - length($magic) - 12 - $sig_len);
        }
        $m =~ s/(?<=\0)depends=([^\0]*)/"depends=" . ("\0" x length($1))/e or die "no depends= in its .modinfo\n";
        print $m;' >"$out/unknown-symbol/nf_conntrack.ko" || die "making unknown-symbol/nf_conntrack.ko from $conntrack failed"
fi
echo "$recipe" >"$stamp"
echo "$out"
