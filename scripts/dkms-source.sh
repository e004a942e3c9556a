#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Copies the DKMS package's sources (what dkms.conf builds) to a directory,
# as `git archive` would give them: the tracked files of the package's
# paths, never build/, bench results, objects of an in-place build, or any
# untracked file. Working-tree contents, so that the harness tests what is
# checked out. Outside a git checkout (a release tarball, already clean),
# the same paths without Kbuild's objects.
#
#   dkms-source.sh DEST

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
# shellcheck source=scripts/lib.sh
. "$here/lib.sh"

dest=${1:?usage: dkms-source.sh DEST}
paths=(Kbuild Makefile dkms.conf COPYING rust scripts/check-kdir.sh
	scripts/find-toolchain.sh scripts/lib.sh)

mkdir -p "$dest"
[ -z "$(ls -A "$dest")" ] || die "$dest is not empty (dkms remove, then remove it)"
if git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	(cd "$top" && git ls-files -z --cached -- "${paths[@]}") |
		(cd "$top" && tar --null -T - -cf -) | tar -xf - -C "$dest"
else
	(cd "$top" && tar --exclude='*.o' --exclude='*.ko' --exclude='.*.cmd' \
		--exclude='*.mod' --exclude='*.mod.c' --exclude='*.d' --exclude='*.rmeta' \
		--exclude='*.a' --exclude='bindings_generated.rs' -cf - "${paths[@]}") |
		tar -xf - -C "$dest"
fi
info "package sources: $dest ($(find "$dest" -type f | wc -l) files)"
