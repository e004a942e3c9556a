#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Check a kernel build for what `make check` needs before booting it.
#
#   check-kconfig.sh KDIR [FRAGMENT...]
#
# Reads KDIR/.config and lists, by name, every option of
# tools/testing/selftests/tcgroup/config (the module and the tests),
# scripts/guest/kernel.config (the QEMU guest) and any further FRAGMENT
# (scripts/guest/vng.config for RUNNER=vng) that the kernel lacks, then whether it was built with
# the rustc this build uses (the kernel's Rust metadata must come from the
# same compiler as the module's). Exits 1 when anything is missing.

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"
# shellcheck source=scripts/toolchain.sh
. "$here/toolchain.sh"

kdir=$1
shift
config=$kdir/.config
[ -f "$config" ] || die "no $config: KDIR must be a configured kernel build"

tmp=$(mktemp)
# The fragment's tracer options only select CONFIG_TRACEPOINTS (a kernel may
# have it through other tracers, as defconfig does); that is what is checked.
ktest=$top/tools/testing/selftests/tcgroup/config
for f in "$ktest" "$here/guest/kernel.config" "$@"; do
	{
		grep -v -e '^CONFIG_FTRACE=y$' -e '^CONFIG_ENABLE_DEFAULT_TRACERS=y$' "$f"
		[ "$f" != "$ktest" ] || echo CONFIG_TRACEPOINTS=y
	} | while IFS= read -r line; do
		case "$line" in
		CONFIG_*=y)
			opt=${line%%=*}
			if ! grep -qx "$opt=y" "$config"; then
				have=$(grep -E "^$opt=|^# $opt is not set" "$config" || echo "not in .config")
				info "missing $opt=y (${f#"$top"/}): $have"
				echo missing
			fi
			;;
		esac
	done
done >"$tmp"
missing=$(grep -c missing "$tmp" || true)
rm -f "$tmp"

rustc_kernel=$(sed -n 's/^CONFIG_RUSTC_VERSION_TEXT="\(.*\)"$/\1/p' "$config")
rustc_here=$("$TC_RUSTC" --version 2>/dev/null || echo "no $TC_RUSTC")
if [ -n "$rustc_kernel" ] && [ "$rustc_kernel" != "$rustc_here" ]; then
	info "the kernel was built by $rustc_kernel, this build uses $rustc_here (set RUSTC=)"
	missing=$((missing + 1))
fi
if [ ! -f "$kdir/rust/libkernel.rmeta" ]; then
	info "no $kdir/rust/libkernel.rmeta: the kernel's Rust crates are not built there"
	missing=$((missing + 1))
fi

if [ "$missing" -gt 0 ]; then
	die "$kdir: $missing requirement(s) missing (above); add the options and rebuild the kernel"
fi
info "$kdir/.config has every option the suite needs"
