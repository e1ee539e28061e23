#!/usr/bin/env bash
# build-kernel.sh NAME
# Build the kernel configuration NAME (configs/NAME.config on top of configs/base.config,
# allnoconfig and the kernel's tiny.config) from Debian's linux-source-6.1, into
# $RCU_UNLOAD_CACHE/kernels/custom/NAME-<hash>, where <hash> covers the fragments, the source
# version and this recipe: an unchanged configuration is built once and reused. Creates there,
# like fetch-kernel.sh: vmlinux (a PVH ELF QEMU boots; not for KASAN kernels), vmlinuz (bzImage),
# config, build (the object tree with Module.symvers, usable as `make -C build M=...`), release,
# build.log.
# Prints the kernel dir on stdout, only that. On failure names the configuration and its log.
set -euo pipefail
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

[[ $# -eq 1 && $1 != -* ]] || usage
name=$1
configs=$(cd "$RCU_UNLOAD_SCRIPTS/../configs" && pwd)
fragment=$configs/$name.config
base=$configs/base.config
if [[ $name == base || ! -f $fragment ]]; then
    known=$(cd "$configs" && ls -- *.config | sed -n 's/\.config$//p' | grep -vx base | tr '\n' ' ')
    die "unknown kernel configuration '$name' (configs/ has: ${known% })"
fi
need_file "$base" "base configuration"
# Bump when the way a kernel is built changes, so cached kernels are rebuilt.
recipe='allnoconfig+tiny+base+fragment; make vmlinux bzImage modules; v1'

kernels=$RCU_UNLOAD_CACHE/kernels
debs=$RCU_UNLOAD_CACHE/debs
mkdir -p "$kernels/by-name" "$kernels/custom" "$debs" "$RCU_UNLOAD_CACHE/src"

need_cmd flock util-linux
need_cmd sha256sum coreutils

# The source: Debian's linux-source-6.1, unpacked once per package version.
src_pkg=linux-source-6.1
src_ver=''
if command -v apt-cache >/dev/null; then
    src_ver=$(apt-cache policy "$src_pkg" 2>/dev/null | awk '/Candidate:/ {print $2}')
fi
if [[ -z $src_ver || $src_ver == "(none)" ]]; then
    # Offline or apt lists stale: use the newest source already unpacked, if any.
    src_ver=$(ls -d "$RCU_UNLOAD_CACHE"/src/linux-source-6.1_*/.complete 2>/dev/null |
        sed 's|.*/linux-source-6.1_||; s|/.complete$||' | sort -V | tail -n1 || true)
    if [[ -z $src_ver ]]; then
        need_cmd apt-get apt
        log "package $src_pkg not known to apt, running apt-get update"
        apt-get update >&2 || die "apt-get update failed"
        src_ver=$(apt-cache policy "$src_pkg" 2>/dev/null | awk '/Candidate:/ {print $2}')
        [[ -n $src_ver && $src_ver != "(none)" ]] || die "Debian package '$src_pkg' not found by apt"
    fi
fi
srcdir=$RCU_UNLOAD_CACHE/src/${src_pkg}_$src_ver
exec 8>"$RCU_UNLOAD_CACHE/src/.lock-$src_ver"
flock 8
if [[ ! -f $srcdir/.complete ]]; then
    need_cmd apt-get apt
    need_cmd dpkg-deb dpkg
    need_cmd xz xz-utils
    deb=$debs/${src_pkg}_${src_ver//:/%3a}_all.deb
    if [[ ! -s $deb ]]; then
        log "downloading $src_pkg $src_ver"
        (cd "$debs" && apt-get download "$src_pkg=$src_ver" >&2) || die "apt-get download $src_pkg=$src_ver failed"
        [[ -s $deb ]] || die "apt-get download $src_pkg did not produce '$deb'"
    fi
    rm -rf "$srcdir" "$srcdir.tmp"
    mkdir -p "$srcdir.tmp"
    log "unpacking $src_pkg $src_ver"
    dpkg-deb --fsys-tarfile "$deb" | tar -xO --wildcards '*/linux-source-6.1.tar.xz' |
        xz -dc | tar -x -C "$srcdir.tmp" --strip-components=1 ||
        die "unpacking the kernel source from '$deb' failed"
    [[ -f $srcdir.tmp/Makefile && -d $srcdir.tmp/kernel/rcu ]] || die "'$deb' did not hold a kernel tree"
    mv "$srcdir.tmp" "$srcdir"
    touch "$srcdir/.complete"
fi
exec 8>&-

hash=$( { printf '%s\n%s\n%s\n' "$recipe" "$src_pkg $src_ver" "$(gcc --version | head -n1)"
    cat "$base" "$fragment"; } | sha256sum | cut -c1-12)
kdir=$kernels/custom/$name-$hash
exec 9>"$kernels/custom/.lock-$name-$hash"
flock 9
if [[ ! -f $kdir/.complete ]]; then
    for t in gcc make flex bison bc perl; do need_cmd "$t" "$t"; done
    [[ -f /usr/include/libelf.h || -f /usr/include/gelf.h ]] ||
        die "libelf headers missing (objtool needs them: apt-get install libelf-dev)"
    rm -rf "$kdir"
    obj=$kdir/obj
    mkdir -p "$obj"
    buildlog=$kdir/build.log
    localversion=-$(tr 'A-Z' 'a-z' <<<"$name")
    {
        cat "$srcdir/kernel/configs/tiny.config" "$srcdir/arch/x86/configs/tiny.config" "$base" "$fragment"
        printf 'CONFIG_LOCALVERSION="%s"\n# CONFIG_LOCALVERSION_AUTO is not set\n' "$localversion"
    } >"$kdir/allconfig"
    jobs=$(nproc)
    log "building kernel configuration $name ($src_pkg $src_ver, hash $hash, $jobs jobs), log $buildlog"
    start=$SECONDS
    make_kernel() { make -C "$srcdir" O="$obj" "$@" >>"$buildlog" 2>&1; }
    if ! make_kernel KCONFIG_ALLCONFIG="$kdir/allconfig" allnoconfig; then
        tail -n 30 "$buildlog" >&2
        die "kernel configuration $name: configuring failed (log: $buildlog)"
    fi
    # Every line the fragments ask for must be in the result: Kconfig drops what it cannot satisfy.
    missing=()
    # A symbol that is off may be absent from .config rather than "is not set".
    while IFS= read -r want; do
        if [[ $want == "# "* ]]; then
            sym=${want#\# }; sym=${sym%% *}
            ! grep -q "^$sym=" "$obj/.config" || missing+=("$want")
        else
            grep -qxF -- "$want" "$obj/.config" || missing+=("$want")
        fi
    done < <(grep -hE '^CONFIG_[A-Z0-9_]+=|^# CONFIG_[A-Z0-9_]+ is not set$' "$base" "$fragment")
    if ((${#missing[@]})); then
        printf '  %s\n' "${missing[@]}" >&2
        die "kernel configuration $name: Kconfig did not keep the lines above (.config: $obj/.config)"
    fi
    if ! make_kernel -j"$jobs" vmlinux bzImage modules; then
        grep -E 'error|Error' "$buildlog" | tail -n 20 >&2 || true
        die "kernel configuration $name failed to build (log: $buildlog)"
    fi
    need_file "$obj/Module.symvers" "Module.symvers of $name (external modules need it)"
    readelf -n "$obj/vmlinux" | grep -q 'Xen .*(0x00000012)' ||
        die "kernel configuration $name: vmlinux has no PVH entry note (log: $buildlog)"
    # The KASAN kernel does not come up through the PVH entry (QEMU exits at once with an empty
    # console): it boots as a bzImage, decompressing itself.
    grep -qx 'CONFIG_KASAN=y' "$obj/.config" || ln -sfn obj/vmlinux "$kdir/vmlinux"
    ln -sfn obj/arch/x86/boot/bzImage "$kdir/vmlinuz"
    ln -sfn obj/.config "$kdir/config"
    ln -sfn obj "$kdir/build"
    cat "$obj/include/config/kernel.release" >"$kdir/release"
    printf '%s\n' "$((SECONDS - start))" >"$kdir/build-seconds"
    touch "$kdir/.complete"
    log "kernel configuration $name built in $((SECONDS - start)) s: $kdir"
fi
ln -sfn "../custom/$name-$hash" "$kernels/by-name/$name"
printf '%s\n' "$kdir"
