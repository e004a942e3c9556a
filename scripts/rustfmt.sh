#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rustfmt over the module crate with the kernel's .rustfmt.toml.
#
#   rustfmt.sh KSRC [--check]
#
# The kernel's `make rustfmtcheck` only walks its own tree, so the module
# runs rustfmt itself. Generated bindings are not formatted.

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"
# shellcheck source=scripts/toolchain.sh
. "$here/toolchain.sh"

ksrc=$1
shift
[ -f "$ksrc/.rustfmt.toml" ] || die "no .rustfmt.toml in $ksrc"
mapfile -t files < <(cd "$top" && find rust -name '*.rs' ! -name 'bindings_generated.rs' | sort)
step "rustfmt $* (${#files[@]} files, $("$TC_RUSTFMT" --version))"
(cd "$top" && "$TC_RUSTFMT" --config-path "$ksrc/.rustfmt.toml" "$@" "${files[@]}") ||
	die "rustfmt: the files above are not formatted (run 'make rustfmt')"
