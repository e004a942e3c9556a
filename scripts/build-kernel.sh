#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Configure and build a Rust-enabled guest kernel, cached by a hash of every
# input.
#
#   build-kernel.sh [--print-dir] KVER FLAVOUR CACHE
#
# FLAVOUR is `test` (tinyconfig + kconfig/test.config, then
# kconfig/test-KVER.config if the line has one) or `debug` (the same +
# kconfig/debug.config). The kernel is built with O= into
# CACHE/kernel/KVER-FLAVOUR-HASH, where HASH covers the Debian package version
# of the source, the fragments, this script and the toolchain versions (not
# the wrapper settings in toolchain.sh, which do not change the kernel); an
# unchanged input reuses the build, a changed one builds a new directory.
# With --print-dir only the directory is printed (nothing is built).

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"
# shellcheck source=scripts/toolchain.sh
. "$here/toolchain.sh"

print_dir=
if [ "${1:-}" = --print-dir ]; then
	print_dir=1
	shift
fi
kver=$1
flavour=$2
cache=$3

case "$flavour" in
test) fragments=("$here/kconfig/test.config") ;;
debug) fragments=("$here/kconfig/test.config" "$here/kconfig/debug.config") ;;
*) die "unknown FLAVOUR=$flavour (test or debug)" ;;
esac
# Options whose name differs between the kernel lines (kconfig/test-KVER.config).
if [ -f "$here/kconfig/test-$kver.config" ]; then
	fragments+=("$here/kconfig/test-$kver.config")
fi

srcroot=$cache/src/$kver
ksrc=$srcroot/linux-source-$kver
[ -f "$srcroot/VERSION" ] || die "no kernel source in $srcroot (run fetch-kernel-source.sh)"

key=$({
	echo "kver=$kver flavour=$flavour source=$(cat "$srcroot/VERSION")"
	cat "${fragments[@]}" "$here/build-kernel.sh"
	toolchain_id
} | sha256sum | cut -c1-16)
out=$cache/kernel/$kver-$flavour-$key

if [ -n "$print_dir" ]; then
	echo "$out"
	exit 0
fi

if [ -f "$out/.tcgroup-built" ]; then
	info "reusing cached $flavour kernel $kver ($(cat "$srcroot/VERSION")) in $out"
	exit 0
fi

step "building the $flavour kernel $kver ($(cat "$srcroot/VERSION")) in $out"
info "inputs: ${fragments[*]##*/}, $(toolchain_id | tr '\n' ';')"
rm -rf "$out"
mkdir -p "$out"
log=$out/build.log

kmake -C "$ksrc" O="$out" -s rustavailable >"$log" 2>&1 ||
	{ cat "$log"; die "the Rust toolchain is not usable for this kernel"; }

kmake -C "$ksrc" O="$out" tinyconfig >>"$log" 2>&1 || { tail -n 30 "$log"; die "tinyconfig failed"; }
(cd "$out" && "$ksrc/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" \
	"${fragments[@]}") >>"$log" 2>&1 || { tail -n 30 "$log"; die "merge_config failed"; }
kmake -C "$ksrc" O="$out" olddefconfig >>"$log" 2>&1 || { tail -n 30 "$log"; die "olddefconfig failed"; }

# Every requested value must have survived olddefconfig.
bad=0
for f in "${fragments[@]}"; do
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=n)
			opt=${line%%=*}
			if grep -q "^$opt=" "$out/.config"; then
				info "requested $line, got $(grep "^$opt=" "$out/.config")"
				bad=1
			fi
			;;
		CONFIG_*)
			if ! grep -qx "$line" "$out/.config"; then
				info "requested $line, got $(grep "^${line%%=*}=" "$out/.config" || echo 'not set')"
				bad=1
			fi
			;;
		esac
	done <"$f"
done
[ "$bad" = 0 ] || die "the kernel configuration dropped requested options (see above)"

jobs=$(nproc)
start=$(date +%s)
kmake -C "$ksrc" O="$out" -j"$jobs" >>"$log" 2>&1 &
pid=$!
# Progress: one line every 30 seconds, so a long build is visibly alive.
while kill -0 "$pid" 2>/dev/null; do
	for _ in $(seq 30); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 1
	done
	if kill -0 "$pid" 2>/dev/null; then
		info "$(($(date +%s) - start))s: $(grep -cE '^  (CC|RUSTC|AS|LD|AR)' "$log") objects built, last: $(grep -E '^  [A-Z]' "$log" | tail -n1 | sed 's/^ *//')"
	fi
done
if ! wait "$pid"; then
	tail -n 40 "$log"
	die "kernel build failed; full log: $log"
fi
[ -f "$out/arch/x86/boot/bzImage" ] || die "no bzImage after the build; see $log"
touch "$out/.tcgroup-built"
info "built in $(($(date +%s) - start))s"
