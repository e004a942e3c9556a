# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# What both check-mode guests do, sourced by scripts/guest/init.sh (the
# initramfs guest, which has it as /usr/share/tcgroup/common.sh) and by
# scripts/guest/vng-check.sh (virtme-ng, from the tree). The caller defines
# say(), which prints a line where the host's checks read it.

# trace_sched_events: traces the fork and exit events, which gives those
# tracepoints more probes beside tcgroup's, so that they call their probes
# through the iterator, an indirect call that kCFI checks, rather than through
# a static call (a direct one) as with a single probe: a probe whose type does
# not match its tracepoint's then traps (a splat) instead of going unnoticed.
# Each event is enabled twice, in the top-level buffer and in a second trace
# instance (its own probe, with the instance as data), so that each
# tracepoint has two probes without tcgroup: its load and unload then take it
# from two probes to three and back, which rewrites no static call and no
# jump label while other CPUs run through them (Documentation/testing.rst).
# The instance does not record (tracing_on 0); its probe still runs.
trace_sched_events() {
	_t=/sys/kernel/tracing
	mountpoint -q $_t || mount -t tracefs tracefs $_t 2>/dev/null
	_i=$_t/instances/tcgroup-kcfi
	if mkdir -p $_i 2>/dev/null && [ -d $_i/events ]; then
		echo 0 >$_i/tracing_on
		echo 4 >$_i/buffer_size_kb
	else
		say "cannot make the trace instance $_i: tcgroup's loads rewrite static calls"
		_i=
	fi
	for e in task/task_newtask sched/sched_process_exit; do
		echo 1 >"$_t/events/$e/enable" ||
			say "cannot trace $e: kCFI does not check tcgroup's probe of it"
		[ -z "$_i" ] || echo 1 >"$_i/events/$e/enable" ||
			say "cannot trace $e in $_i: tcgroup's loads rewrite its static call"
	done
}

# unload_tcgroup: after the tests, everything they made must be gone: the
# module unloads (release work may hold it for a while: up to 120 s), else
# something leaked, and what holds it is printed. Returns non-zero then.
unload_tcgroup() {
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
					say "$(tr '\0' ' ' <"${m%/mountinfo}/cmdline")"
			done
			return 1
		fi
		sleep 0.1
	done
	return 0
}

# kmemleak_scan: on a kernel with kmemleak, the memory leaked since boot goes
# to standard output (the console), where the host's splat scan sees it
# (`unreferenced object`).
kmemleak_scan() {
	[ -w /sys/kernel/debug/kmemleak ] || return 0
	# Two scans: an object must look unreferenced in consecutive scans
	# before kmemleak reports it.
	echo scan >/sys/kernel/debug/kmemleak
	echo scan >/sys/kernel/debug/kmemleak
	cat /sys/kernel/debug/kmemleak
}
