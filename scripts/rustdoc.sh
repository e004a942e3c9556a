#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# rustdoc on the module crate the way the kernel's `make rustdoc` documents
# its own crates (rust/Makefile, cmd_rustdoc): the very rustc command line
# Kbuild compiled rust/tcgroup_main.rs with (its .cmd file), run by rustdoc
# instead, without the outputs (RUSTC_BOOTSTRAP=1, as the kernel's make
# exports it), with every private item documented and broken intra-doc links
# denied, as every other rustdoc warning (the kernel's flags have -Dwarnings).
# Links from the crate's documentation to its private modules are allowed
# (rustdoc::private_intra_doc_links): the module's items are all private,
# and they are documented here. Part of `make lint`.
#
#   rustdoc.sh MODULE_SRC OUTPUT KDIR
#
# MODULE_SRC is a built module tree (build/<kver>-<flavour>/module/src),
# built against the kernel tree KDIR; the documentation goes to OUTPUT. The
# command runs where Kbuild ran it: in MODULE_SRC when its paths are relative
# to it (7.3), in KDIR when they are absolute (6.12).

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"
# shellcheck source=scripts/toolchain.sh
. "$here/toolchain.sh"

src=${1:?usage: rustdoc.sh MODULE_SRC OUTPUT KDIR}
out=${2:?usage: rustdoc.sh MODULE_SRC OUTPUT KDIR}
kdir=${3:?usage: rustdoc.sh MODULE_SRC OUTPUT KDIR}
cmdfile=$src/rust/.tcgroup_main.o.cmd
[ -f "$cmdfile" ] || die "no $cmdfile: build the module first (make module)"
saved=$(sed -n 's|^savedcmd_\(.*/\)\{0,1\}rust/tcgroup_main\.o := ||p' "$cmdfile")
[ -n "$saved" ] || die "no rustc command for rust/tcgroup_main.o in $cmdfile"
cwd=$src
grep -q '^savedcmd_/' "$cmdfile" && cwd=$kdir

# The words of the saved command, with its shell quoting undone (it is
# Kbuild's own output for our build).
eval "set -- $saved"
envs=() args=()
for a in "$@"; do
	case "$a" in
	*=*) [ ${#args[@]} -eq 0 ] && { envs+=("$a"); continue; } ;;
	esac
	if [ ${#args[@]} -eq 0 ]; then
		args+=("$TC_RUSTDOC") # the rustc the command names
		continue
	fi
	args+=("$a")
done
# The outputs of the compilation go; rustdoc writes OUTPUT instead.
filtered=()
skip=
for a in "${args[@]}"; do
	if [ -n "$skip" ]; then
		skip=
		continue
	fi
	case "$a" in
	--emit=* | -Zbinary_dep_depinfo=*) ;;
	--out-dir) skip=1 ;;
	--out-dir=*) ;;
	*) filtered+=("$a") ;;
	esac
done

rm -rf "$out"
mkdir -p "$out"
out=$(cd "$out" && pwd)
step "rustdoc on rust/tcgroup_main.rs (private items, broken intra-doc links denied)"
(cd "$cwd" && env RUSTC_BOOTSTRAP=1 "${envs[@]}" "${filtered[@]}" --document-private-items \
	-D rustdoc::broken_intra_doc_links -A rustdoc::private_intra_doc_links \
	--output "$out") || die "rustdoc found problems (above)"
info "rustdoc: clean, documentation in $out"
