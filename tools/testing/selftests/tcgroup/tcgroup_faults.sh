#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Allocation failures in tcgroup: with failslab failing 10 % of the slab
# allocations made from the module's code by this test's tasks, a functional
# sequence (mount, mkdir, notify_on_release, moves, fork and exit, reads,
# release_agent writes, rmdir, umount) must see only clean errors, and the
# state must be consistent afterwards: every group removable, the module
# unloadable and loadable again. Needs CONFIG_FAILSLAB and
# CONFIG_FAULT_INJECTION_STACKTRACE_FILTER (the debug kernel); skips
# otherwise. Runs under busybox sh.

DIR="$(dirname "$(readlink -f "$0")")"
# shellcheck source=tcgroup_lib.sh
. "$DIR/tcgroup_lib.sh"

FS=/sys/kernel/debug/failslab
ROUNDS=${TCGROUP_FAULT_ROUNDS:-200}

ktap_print_header
if [ "$(id -u)" -ne 0 ]; then
	ktap_skip_all "must be run as root"
	exit "$KSFT_SKIP"
fi
if [ ! -w "$FS/require-start" ] || [ ! -d /sys/module/tcgroup/sections ]; then
	ktap_skip_all "needs failslab with the stacktrace filter and tcgroup loaded"
	exit "$KSFT_SKIP"
fi
ktap_set_plan 3

work=$(mktemp -d /tmp/tcgflt.XXXXXX)
mnt=$work/mnt
mkdir "$mnt"

faults_off() {
	echo 0 >"$FS/probability"
}

cleanup() {
	faults_off
	umount "$mnt" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

# Fail 10 % of the allocations made from tcgroup's code, by tasks that ask
# for it (make-it-fail), quietly.
cat /sys/module/tcgroup/sections/.text >"$FS/require-start"
cat /sys/module/tcgroup/sections/.data >"$FS/require-end"
echo 32 >"$FS/stacktrace-depth"
echo Y >"$FS/task-filter"
echo N >"$FS/ignore-gfp-wait"
echo 0 >"$FS/space"
echo 0 >"$FS/verbose"
echo -1 >"$FS/times"
echo 1 >"$FS/interval"
echo 10 >"$FS/probability"

# The functional sequence, ROUNDS times, in a shell that fails allocations;
# every error message goes to $work/errors.
sh -c '
	echo 1 >/proc/self/make-it-fail
	mnt=$1
	for i in $(seq "$2"); do
		mount -t tcgroup -o none,name=tcgflt,release_agent=/bin/true none "$mnt" || continue
		mkdir "$mnt/a" "$mnt/a/b"
		echo 1 >"$mnt/a/notify_on_release"
		sh -c "echo 0 >$mnt/a/b/tasks; exit 0"
		cat "$mnt/a/b/tasks" "$mnt/release_agent" "$mnt/a/cgroup.events" >/dev/null
		echo /bin/true >"$mnt/release_agent"
		rmdir "$mnt/a/b" "$mnt/a"
		umount "$mnt"
	done
' faults "$mnt" "$ROUNDS" 2>"$work/errors"
faults_off

# Besides ENOMEM itself: what an earlier failed step leaves missing or busy,
# and EFAULT -- a page fault on the reader's buffer while copying out runs
# with tcgroup's read in its stack, so the filter fails its allocations too.
enomem=$(grep -c "Cannot allocate memory" "$work/errors")
other=$(grep -v -e "Cannot allocate memory" -e "No such file or directory" -e "Bad address" \
	-e "Device or resource busy" -e "Resource busy" -e "not mounted" \
	-e "Invalid argument" -e "nonexistent directory" "$work/errors" | head -n 5)
ktap_print_msg "$ROUNDS rounds, $enomem allocation failures (ENOMEM) reported"

desc="injected allocation failures give ENOMEM and nothing else"
if [ "$enomem" -eq 0 ]; then
	ktap_print_msg "no allocation failure was hit: is the filter right?"
	ktap_test_fail "$desc"
elif [ -n "$other" ]; then
	ktap_print_msg "unexpected errors: $other"
	ktap_test_fail "$desc"
else
	ktap_test_pass "$desc"
fi

# Without faults, whatever the sequence left behind must go away cleanly.
desc="state consistent afterwards: groups removable, hierarchy unmountable"
ok=1
if ! grep -q " $mnt tcgroup " /proc/mounts &&
	! mount -t tcgroup -o none,name=tcgflt none "$mnt" 2>/dev/null; then
	# No hierarchy left: nothing to clean.
	:
else
	grep -q " $mnt tcgroup " /proc/mounts || ok=0
	for d in "$mnt/a/b" "$mnt/a"; do
		[ -d "$d" ] && ! rmdir "$d" && ok=0
	done
	umount "$mnt" || ok=0
fi
[ $ok -eq 1 ] && ktap_test_pass "$desc" || ktap_test_fail "$desc"

desc="module unloads and loads again"
if rmmod tcgroup && insmod "$TCGROUP_KO"; then
	ktap_test_pass "$desc"
else
	ktap_test_fail "$desc"
fi

ktap_finished
