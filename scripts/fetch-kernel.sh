#!/usr/bin/env bash
# fetch-kernel.sh NAME
# Download a Debian 12 kernel (image, headers, kbuild) with apt-get download and unpack it
# into $RCU_UNLOAD_CACHE/kernels/<abi>/root (never into /). Creates there:
#   vmlinuz -> root/boot/vmlinuz-<abi>, config -> root/boot/config-<abi>,
#   build -> root/usr/src/linux-headers-<abi> (usable as `make -C build M=...`),
#   modules -> root/lib/modules/<abi>, release (the ABI name), and vmlinux (vmlinuz decompressed:
#   an ELF with the PVH entry that QEMU boots faster; missing if that could not be made).
# NAME: deb-6.1-amd64 | deb-6.1-cloud | deb-6.1-rt | deb-6.12-amd64 | deb-6.12-cloud | deb-6.12-rt
# A completed kernel dir is reused without network. Prints the kernel dir on stdout, only that.
set -euo pipefail
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

[[ $# -eq 1 && $1 != -* ]] || usage
name=$1
[[ $name =~ ^deb-(6\.1|6\.12)-(amd64|cloud|rt)$ ]] ||
    die "unknown kernel name '$name' (expected deb-{6.1,6.12}-{amd64,cloud,rt})"
series=${BASH_REMATCH[1]}
case ${BASH_REMATCH[2]} in
    amd64) flavour=amd64 ;;
    cloud) flavour=cloud-amd64 ;;
    rt) flavour=rt-amd64 ;;
esac
if [[ $series == 6.1 ]]; then meta=linux-image-$flavour; else meta=linux-image-6.12-$flavour; fi

kernels=$RCU_UNLOAD_CACHE/kernels
debs=$RCU_UNLOAD_CACHE/debs
mkdir -p "$kernels/by-name" "$debs"

# make_vmlinux KDIR: unless done before, decompress KDIR/vmlinuz into KDIR/vmlinux when that is an
# ELF with the PVH entry note: QEMU boots it directly, without the slow in-guest decompression
# (about 3 s under TCG for Debian's xz kernels). If there is none, leaves KDIR/.no-vmlinux.
make_vmlinux() {
    local k=$1 cfg unpack magic off
    [[ -f $k/vmlinux || -f $k/.no-vmlinux ]] && return 0
    cfg=$k/config
    if grep -q '^CONFIG_KERNEL_XZ=y' "$cfg"; then unpack='xz -dc' magic='\xfd7zXZ\x00'
    elif grep -q '^CONFIG_KERNEL_ZSTD=y' "$cfg"; then unpack='zstd -dc' magic='\x28\xb5\x2f\xfd'
    elif grep -q '^CONFIG_KERNEL_LZ4=y' "$cfg"; then unpack='lz4 -dc' magic='\x02\x21\x4c\x18'
    elif grep -q '^CONFIG_KERNEL_GZIP=y' "$cfg"; then unpack='gzip -dc' magic='\x1f\x8b\x08'
    else unpack='' magic=''
    fi
    if [[ -n $unpack ]] && ! { command -v "${unpack%% *}" && command -v readelf; } >/dev/null; then
        log "no ${unpack%% *} or readelf (xz-utils/zstd/lz4, binutils): $k/vmlinux not made, QEMU will boot vmlinuz"
        return 0 # tried again once the tools are installed
    fi
    if [[ -n $unpack ]]; then
        while read -r off; do
            # The decompressor complains about the data after the stream: only the result counts.
            tail -c "+$((off + 1))" "$k/vmlinuz" | $unpack >"$k/vmlinux.tmp.$$" 2>/dev/null || true
            if readelf -n "$k/vmlinux.tmp.$$" 2>/dev/null | grep -q 'Xen .*(0x00000012)'; then
                mv -f "$k/vmlinux.tmp.$$" "$k/vmlinux"
                log "made $k/vmlinux (PVH ELF, boots without decompression)"
                return 0
            fi
        done < <(LC_ALL=C grep -aboP "$magic" "$k/vmlinuz" | head -n3 | cut -d: -f1)
    fi
    rm -f "$k/vmlinux.tmp.$$"
    log "no PVH ELF found in $k/vmlinuz: QEMU will boot vmlinuz"
    touch "$k/.no-vmlinux"
}

# Fast path: NAME already resolved and unpacked.
if [[ -f $kernels/by-name/$name/.complete ]]; then
    kdir=$(cd "$kernels/by-name/$name" && pwd -P)
    make_vmlinux "$kdir"
    printf '%s\n' "$kdir"
    exit 0
fi

need_cmd apt-cache apt
need_cmd apt-get apt
need_cmd dpkg-deb dpkg
need_cmd flock util-linux

apt_updated=0
# pkg_known PKG: true if apt knows PKG with a candidate version (runs apt-get update once if not).
pkg_known() {
    local cand
    cand=$(apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ {print $2}')
    if [[ -z $cand || $cand == "(none)" ]] && ((!apt_updated)); then
        log "package $1 not known to apt, running apt-get update"
        apt-get update >&2 || die "apt-get update failed"
        apt_updated=1
        cand=$(apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ {print $2}')
    fi
    [[ -n $cand && $cand != "(none)" ]]
}
# depends PKG: the packages PKG depends on (one per line, alternatives included).
depends() {
    pkg_known "$1" || die "Debian package '$1' not found by apt (needed for kernel '$name')"
    apt-cache depends --no-recommends --no-suggests --no-conflicts --no-breaks \
        --no-replaces --no-enhances "$1" | awk '$1 ~ /Depends:$/ && $2 !~ /^</ {print $2}'
}

image_pkg=$(depends "$meta" | grep -m1 -E '^linux-image-[0-9]' || true)
[[ -n $image_pkg ]] || die "cannot resolve the kernel image package from metapackage '$meta'"
abi=${image_pkg#linux-image-}
abi=${abi%-unsigned}
headers_pkg=linux-headers-$abi
mapfile -t extra_pkgs < <(depends "$headers_pkg" | grep -E '^linux-headers-.*-common(-rt)?$|^linux-kbuild-' | sort -u)
common_pkg=$(printf '%s\n' "${extra_pkgs[@]}" | grep -m1 -E '^linux-headers-' || true)
[[ -n $common_pkg ]] || die "cannot find the -common headers package in the dependencies of '$headers_pkg'"
printf '%s\n' "${extra_pkgs[@]}" | grep -q '^linux-kbuild-' ||
    die "cannot find the linux-kbuild package in the dependencies of '$headers_pkg'"
common_dir=/usr/src/${common_pkg}
pkgs=("$image_pkg" "$headers_pkg" "${extra_pkgs[@]}")
log "kernel $name: abi $abi, packages: ${pkgs[*]}"

kdir=$kernels/$abi
exec 9>"$kernels/.lock-$abi"
flock 9
if [[ ! -f $kdir/.complete ]]; then
    # Download the .deb files that are not already in the cache.
    files=()
    for p in "${pkgs[@]}"; do
        pkg_known "$p" || die "Debian package '$p' not found by apt"
        read -r ver arch < <(apt-cache show --no-all-versions "$p" |
            awk '/^Version:/ {v=$2} /^Architecture:/ {a=$2} END {print v, a}')
        f=$debs/${p}_${ver//:/%3a}_${arch}.deb
        if [[ ! -s $f ]]; then
            log "downloading $p $ver"
            (cd "$debs" && apt-get download "$p=$ver" >&2) || die "apt-get download $p=$ver failed"
            [[ -s $f ]] || die "apt-get download $p did not produce '$f'"
        fi
        files+=("$f")
    done
    rm -rf "$kdir"
    mkdir -p "$kdir/root"
    for f in "${files[@]}"; do
        log "unpacking $(basename "$f")"
        dpkg-deb -x "$f" "$kdir/root" || die "dpkg-deb -x '$f' failed"
    done
    root=$kdir/root
    build=usr/src/linux-headers-$abi
    mk=$root/$build/Makefile
    need_file "$root/boot/vmlinuz-$abi" "kernel image"
    need_file "$root/boot/config-$abi" "kernel config"
    need_file "$mk" "headers Makefile"
    [[ -d $root$common_dir ]] || die "common headers dir '$root$common_dir' missing after unpacking $common_pkg"
    # The flavour Makefile includes the common one by absolute path: point it into this root.
    grep -qx "include $common_dir/Makefile" "$mk" ||
        die "'$mk' has no line 'include $common_dir/Makefile' (unexpected Debian headers layout)"
    sed -i "s|^include $common_dir/Makefile\$|include $root$common_dir/Makefile|" "$mk"
    # lib/modules/<abi>/{build,source} are absolute links into /usr/src: make them relative.
    for l in build source; do
        t=$root/lib/modules/$abi/$l
        if [[ -L $t ]]; then
            ln -sfn "../../../$(readlink "$t" | sed 's|^/||')" "$t"
        fi
    done
    ln -sfn "root/boot/vmlinuz-$abi" "$kdir/vmlinuz"
    ln -sfn "root/boot/config-$abi" "$kdir/config"
    ln -sfn "root/$build" "$kdir/build"
    ln -sfn "root/lib/modules/$abi" "$kdir/modules"
    printf '%s\n' "$abi" >"$kdir/release"
    make_vmlinux "$kdir"
    touch "$kdir/.complete"
    log "kernel $abi unpacked in $kdir"
fi
ln -sfn "../$abi" "$kernels/by-name/$name"
printf '%s\n' "$kdir"
