#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# `make check RUNNER=vng`: what scripts/guest/init.sh does in check mode, run
# by virtme-ng (vng --exec) in a guest whose root is the host's file system.
#
#   vng-check.sh OUTDIR KSELFTEST MODULES KDIR
#
# OUTDIR (shared read-write) receives the KTAP stream (ktap.log). MODULES is
# the DKMS install tree (named after the kernel release), put in place as
# /lib/modules/<release> in the guest's overlay of /lib, indexed by depmod
# and loaded with modprobe, as in the initramfs guest. KDIR is the kernel's
# build directory: its modules.order and modules.builtin* go beside it. The
# lines for the host's checks go to standard output, which vng prints with
# the kernel console.

out=$1
ksft=$2
modules=$3
kdir=$4

say() {
	echo "tcgroup-guest: $*"
}

# The helpers both guests share, from the tree (vng shares it read-only).
# shellcheck source=common.sh
. "$(dirname "$0")/common.sh"

say "$(uname -r), $(nproc) CPUs, mode check (vng)"
mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug
# As scripts/guest/init.sh: kCFI checks tcgroup's probes (common.sh).
trace_sched_events
# /lib is an overlay that only the guest sees (vng --overlay-rwdir): the
# module is installed there for this kernel.
mkdir -p /lib/modules && rm -rf "/lib/modules/$(uname -r)" &&
	cp -a "$modules" "/lib/modules/$(uname -r)" || say "installing the module failed"
# The kernel's own lists, as its modules_install leaves them, for depmod.
for f in modules.order modules.builtin modules.builtin.modinfo; do
	[ ! -f "$kdir/$f" ] || cp "$kdir/$f" "/lib/modules/$(uname -r)/"
done
depmod || say "depmod failed"
modprobe tcgroup || say "modprobe tcgroup failed"
say "tcgroup loaded: $(modinfo -n tcgroup 2>&1)"

set --
for t in $(echo "${TCGROUP_TESTS:-}" | tr , ' '); do
	set -- "$@" -t "tcgroup:$t"
done
# The kselftest runner writes its tests' output to /dev/stdout, which
# virtme-ng-init links to its own output port: link it back to each
# process's standard output, as the initramfs init does, and read the stream
# through a pipe (reopening a regular file would start at offset 0 and write
# over it).
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
rc=$(mktemp)
{
	(cd "$ksft" && ./run_kselftest.sh "$@") 2>&1
	echo $? >"$rc"
} | cat >"$out/ktap.log"
say "kselftests exited with $(cat "$rc")"

unload_tcgroup
# As init.sh: the leaks since boot go to the console.
kmemleak_scan
say "done"
