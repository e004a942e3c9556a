#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the tcgroup test guest (busybox). The kernel command line chooses
# what it does through TCGROUP_MODE (init's environment):
#   check  run the installed kselftests, KTAP on the second serial port
#          (/dev/ttyS1), kernel console on the first; then scan kmemleak
#   run    the demo transcript on the console, its exit status on the
#          second serial port
#   shell  an interactive shell on the console
#   bench  the benchmarks of `make bench` (/bench/bench.sh, from the bench
#          initramfs), results on the second serial port
# and powers the guest off at the end.

export PATH=/bin:/sbin:/usr/bin:/usr/sbin
export HOME=/root

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
# The kselftest runner writes to /dev/stdout; busybox init has no udev to make it.
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
hostname tcgroup-guest

say() {
	echo "tcgroup-guest: $*" >/dev/console
}

# shellcheck source=common.sh
. /usr/share/tcgroup/common.sh

say "$(uname -r), $(nproc) CPUs, mode ${TCGROUP_MODE:-check}"

case "${TCGROUP_MODE:-check}" in
check)
	# The module as a distribution installs it: the DKMS-built tcgroup.ko in
	# /lib/modules/$(uname -r)/updates/dkms, indexed here by depmod, loaded
	# by modprobe (and by mount, through its fs-tcgroup alias); the tests
	# load it the same way (tcgroup_lib.sh), TCGROUP_KO being unset.
	# kCFI checks tcgroup's probes (common.sh).
	trace_sched_events
	depmod || say "depmod failed"
	modprobe tcgroup || say "modprobe tcgroup failed"
	say "tcgroup loaded: $(modinfo -n tcgroup 2>&1), $(grep -c fs-tcgroup "/lib/modules/$(uname -r)/modules.alias") alias"
	# TCGROUP_TESTS (comma-separated test names) runs only those.
	set --
	for t in $(echo "${TCGROUP_TESTS:-}" | tr , ' '); do
		set -- "$@" -t "tcgroup:$t"
	done
	(cd /kselftest && ./run_kselftest.sh "$@") >/dev/ttyS1 2>&1
	say "kselftests exited with $?"
	unload_tcgroup || ps >/dev/console
	kmemleak_scan >/dev/console
	;;
run)
	/bin/sh /usr/share/tcgroup/demo.sh </dev/console >/dev/console 2>&1
	rc=$?
	say "demo exited with $rc"
	# Its transcript, part by part, for scripts/readme-transcript.py.
	for t in /run/transcript/*; do
		[ -f "$t" ] || continue
		echo "tcgroup-transcript: begin ${t##*/}"
		cat "$t"
		echo "tcgroup-transcript: end ${t##*/}"
	done >/dev/ttyS1
	# The host's verdict (qemu-run.py), on the second serial port.
	echo "tcgroup-demo: exit $rc" >/dev/ttyS1
	;;
bench)
	sh /bench/bench.sh >/dev/ttyS1 2>&1
	say "bench exited with $?"
	;;
shell)
	insmod /lib/modules/tcgroup.ko
	say "tcgroup.ko loaded; 'poweroff -f' (or exit) ends the guest"
	setsid cttyhack sh
	;;
*)
	say "unknown TCGROUP_MODE=$TCGROUP_MODE"
	;;
esac

say "done"
sync
poweroff -f
