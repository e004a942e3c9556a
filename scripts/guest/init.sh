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

# Kernel memory leaks found since boot go to the console, where the host's
# splat scan sees them (`unreferenced object`).
kmemleak_scan() {
	[ -w /sys/kernel/debug/kmemleak ] || return 0
	# Two scans: an object must look unreferenced in consecutive scans
	# before kmemleak reports it.
	echo scan >/sys/kernel/debug/kmemleak
	echo scan >/sys/kernel/debug/kmemleak
	cat /sys/kernel/debug/kmemleak >/dev/console
}

say "$(uname -r), $(nproc) CPUs, mode ${TCGROUP_MODE:-check}"

case "${TCGROUP_MODE:-check}" in
check)
	# The module as a distribution installs it: the DKMS-built tcgroup.ko in
	# /lib/modules/$(uname -r)/updates/dkms, indexed here by depmod, loaded
	# by modprobe (and by mount, through its fs-tcgroup alias); the tests
	# load it the same way (tcgroup_lib.sh), TCGROUP_KO being unset.
	# Tracing the fork and exit events gives those tracepoints a second probe
	# beside tcgroup's, so that they call their probes through the iterator,
	# an indirect call that kCFI checks, rather than through a static call
	# (a direct one) as with a single probe: a probe whose type does not
	# match its tracepoint's then traps (a splat) instead of going unnoticed.
	mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
	for e in sched_process_fork sched_process_exit; do
		echo 1 >"/sys/kernel/tracing/events/sched/$e/enable" ||
			say "cannot trace $e: kCFI does not check tcgroup's probe of it"
	done
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
	# Everything the tests made must be gone: the module unloads (release
	# work may hold it for a while: up to 120 s), else something leaked.
	umount -a -t tcgroup 2>/dev/null
	n=0
	while grep -q '^tcgroup ' /proc/modules && ! rmmod tcgroup 2>/dev/null; do
		n=$((n + 1))
		if [ $n -ge 1200 ]; then
			say "tcgroup stays loaded after the tests:" \
				"$(cat /sys/module/tcgroup/refcnt) references"
			for m in /proc/[0-9]*/mountinfo; do
				grep -q tcgroup "$m" 2>/dev/null &&
					say "$m: $(grep tcgroup "$m" | tr '\n' ' ')" &&
					say "$(cat "${m%/mountinfo}/cmdline" | tr '\0' ' ')"
			done
			ps >/dev/console
			break
		fi
		sleep 0.1
	done
	kmemleak_scan
	;;
run)
	/bin/sh /usr/share/tcgroup/demo.sh </dev/console >/dev/console 2>&1
	rc=$?
	say "demo exited with $rc"
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
