#!/usr/bin/env bash
# matrix.sh [--out DIR] [--cycles N] [--harness BIN] [LABEL...]
# Boots every configuration of configs/matrix.tsv (or only the LABELs given), each once, with its
# strategies interleaved cycle by cycle (callbacks=1000), checks each run (rcu-unload verify:
# every cycle present, invoked == enqueued, auto's pick as the table says), and on DEBUG also
# unloads with unsafe-none and requires the kernel's detectors to report it. Prints one summary
# table (rcu-unload matrix) and writes DIR/matrix.tsv and DIR/matrix.md. --cycles overrides the
# per-strategy cycle counts of the table. Exit status 0 only if every configuration passed.
set -euo pipefail
# shellcheck source=common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
top=$(cd "$RCU_UNLOAD_SCRIPTS/.." && pwd)

usage() { sed -n '2,8s/^# \{0,1\}//p' "$0" >&2; exit 2; }
out=$top/build/matrix cycles_override='' harness=$top/build/user/rcu-unload
while (($#)); do
    case $1 in
        --out) out=${2:?--out needs a value}; shift 2 ;;
        --cycles) cycles_override=${2:?--cycles needs a value}; shift 2 ;;
        --harness) harness=${2:?--harness needs a value}; shift 2 ;;
        -h | --help) usage ;;
        -*) log "unknown argument '$1'"; usage ;;
        *) break ;;
    esac
done
[[ -z $cycles_override || $cycles_override =~ ^[1-9][0-9]*$ ]] || die "--cycles takes a positive integer"
need_file "$harness" "harness (build it with 'make user')"
table=$top/configs/matrix.tsv
need_file "$table" "matrix table"

mapfile -t rows < <(grep -v -e '^#' -e '^[[:space:]]*$' "$table")
if (($#)); then
    wanted=("$@") selected=()
    for label in "${wanted[@]}"; do
        row=$(printf '%s\n' "${rows[@]}" | awk -F'\t' -v l="$label" '$1 == l' | head -n1)
        [[ -n $row ]] || die "no configuration '$label' in $table (labels: $(cut -f1 <<<"$(printf '%s\n' "${rows[@]}")" | tr '\n' ' '))"
        selected+=("$row")
    done
    rows=("${selected[@]}")
fi

mkdir -p "$out"
summary=$out/matrix.tsv
printf '# label\tstatus\tresults\n' >"$summary"
start=$SECONDS

# boot_status RC: the word for a guest-run.sh exit status.
boot_status() {
    case $1 in
        0) echo ok ;;
        124) echo timeout ;;
        125) echo splat ;;
        126) echo boot-failed ;;
        *) echo run-failed ;;
    esac
}

for row in "${rows[@]}"; do
    IFS=$'\t' read -r label kernel append strategies cycles params pick <<<"$row"
    [[ -n $pick ]] || die "malformed line in $table (7 tab-separated fields expected): $row"
    [[ $append != - ]] || append=''
    [[ -z $cycles_override ]] || cycles=$cycles_override
    dir=$out/$label
    rm -rf "$dir"
    mkdir -p "$dir"
    log "== $label: kernel $kernel${append:+ ($append)}, $cycles cycles per strategy"
    # Fetched or built first, so that a failure is named as one.
    if ! "$RCU_UNLOAD_SCRIPTS/get-kernel.sh" "$kernel" >/dev/null 2>"$dir/kernel.log"; then
        cat "$dir/kernel.log" >&2
        log "$label: kernel $kernel could not be fetched or built (log: $dir/kernel.log)"
        printf '%s\tbuild-failed\t\n' "$label" >>"$summary"
        continue
    fi
    IFS=, read -ra list <<<"$strategies"
    strategy_args=() param_args=()
    for s in "${list[@]}"; do strategy_args+=(--strategy "$s"); done
    if [[ $params != - ]]; then
        IFS=, read -ra plist <<<"$params"
        for p in "${plist[@]}"; do param_args+=(--param "$p"); done
    fi
    set +e
    "$RCU_UNLOAD_SCRIPTS/guest-run.sh" --kernel "$kernel" --append "$append" --out "$dir" \
        --harness "$harness" --timeout 3600 -- --cycles $((cycles * ${#list[@]})) --callbacks 1000 \
        "${strategy_args[@]}" "${param_args[@]}" >"$dir/run.log" 2>&1
    rc=$?
    set -e
    status=$(boot_status $rc)
    if [[ $status == ok ]] && ! "$harness" verify "$dir/results.json" --cycles "$cycles" \
        "${strategy_args[@]}" --expect-pick "auto=$pick" >"$dir/verify.log" 2>&1; then
        status=verify-failed
    fi
    [[ $status == ok ]] || log "$label: $status (see $dir/run.log, $dir/console.log)"
    printf '%s\t%s\t%s\n' "$label" "$status" "$dir/results.json" >>"$summary"

    if [[ $kernel == DEBUG ]]; then
        # The detectors must see what unsafe-none does (tests/integration/qemu-unsafe-test.sh).
        udir=$out/$label-unsafe-none
        if "$top/tests/integration/qemu-unsafe-test.sh" "$harness" "$udir" "$kernel" detected \
            >"$udir.log" 2>&1; then
            status=ok
        else
            status=not-detected
            log "$label: unsafe-none was not reported by the kernel (see $udir.log, $udir/console.log)"
        fi
        printf '%s\t%s\t\n' "$label:unsafe-none-detected" "$status" >>"$summary"
    fi
done

log "matrix done in $((SECONDS - start)) s"
"$harness" matrix "$summary" --markdown >"$out/matrix.md" || true
"$harness" matrix "$summary"
