#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build tcgroup.ko against a harness kernel, out of the checkout.
#
#   build-module.sh KDIR OUTDIR [make arguments...]
#
# The module sources (Kbuild, rust/) are mirrored into OUTDIR/src and built
# there with `make -C KDIR M=OUTDIR/src`, so builds for several kernels never
# share objects and the checkout stays clean. A module built for another
# kernel build is thrown away: the kernel's Rust symbols are hash-qualified
# and nothing checks the match at load time.

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"
# shellcheck source=scripts/toolchain.sh
. "$here/toolchain.sh"

kdir=$1
out=$(mkdir -p "$2" && cd "$2" && pwd)
shift 2

mkdir -p "$out"
if [ "$(cat "$out/.kdir" 2>/dev/null)" != "$kdir" ]; then
	rm -rf "$out/src"
	echo "$kdir" >"$out/.kdir"
fi
mkdir -p "$out/src"
rsync -a --delete \
	--include='/Kbuild' --include='/rust/***' --exclude='*' \
	--filter='protect *.o' --filter='protect *.ko' --filter='protect .*.cmd' \
	--filter='protect *.mod' --filter='protect *.mod.c' --filter='protect *.symvers' \
	--filter='protect modules.order' --filter='protect bindings_generated.rs' \
	--filter='protect *.d' --filter='protect *.rmeta' --filter='protect .*.d' \
	"$top/" "$out/src/"

step "building tcgroup.ko against $kdir $*"
kmake -C "$kdir" M="$out/src" "$@" modules
info "module: $out/src/rust/tcgroup.ko"
