#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Allocation failures in tcgroup: with failslab failing 10 % of the slab
# allocations made from the module's code by this test's tasks, a functional
# sequence (mount, mkdir, notify_on_release, moves, fork and exit, reads,
# release_agent writes, rmdir, umount) must see only clean errors, and the
# state must be consistent afterwards: every group removable, the module
# unloadable and loadable again. With every allocation of the module's code
# failing, in any task, groups released meanwhile must get their agent calls
# once the failures stop, with no other event. A fork storm from a group with
# every allocation of the module's code by the forking tasks failing must
# leave every child in its parent's group (the fork probe places children
# from the task map's reserve). A load whose /sys/fs/tcgroup cannot be made
# (every allocation under sysfs_create_mount_point() failing) must fail
# cleanly, without ever registering the filesystem type, while mounts are
# attempted all along. A mount whose superblock cannot be allocated must
# leave no hierarchy behind. Needs CONFIG_FAILSLAB and
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
ktap_set_plan 9

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
	[ -z "$modprobe_was" ] || echo "$modprobe_was" >/proc/sys/kernel/modprobe
	kprobe_remove
}
modprobe_was=
TRACING=/sys/kernel/tracing
KPROBES=$TRACING/kprobe_events
KPROBE=tcgroup_faults/register_filesystem

# Removes the kprobe event of the load test, if it is there.
kprobe_remove() {
	[ -e "$TRACING/events/$KPROBE/enable" ] || return 0
	echo 0 >"$TRACING/events/$KPROBE/enable"
	echo "-:$KPROBE" >>"$KPROBES"
}
trap cleanup EXIT

# faults_on PERCENT TASK_FILTER [START END]: fails PERCENT % of the
# allocations made from tcgroup's code (or from the code between the
# addresses START and END), quietly; by the tasks that ask for it
# (make-it-fail) with TASK_FILTER Y, by any task (kernel workers too) with N.
# $FS/times counts down from 1000000 with every failure.
faults_on() {
	if [ $# -ge 4 ]; then
		echo "$3" >"$FS/require-start"
		echo "$4" >"$FS/require-end"
	else
		cat /sys/module/tcgroup/sections/.text >"$FS/require-start"
		cat /sys/module/tcgroup/sections/.data >"$FS/require-end"
	fi
	echo 32 >"$FS/stacktrace-depth"
	echo "$2" >"$FS/task-filter"
	echo N >"$FS/ignore-gfp-wait"
	echo 0 >"$FS/space"
	echo 0 >"$FS/verbose"
	echo 1000000 >"$FS/times"
	echo 1 >"$FS/interval"
	echo "$1" >"$FS/probability"
}

# poll_until SECONDS COMMAND...: runs COMMAND every 10 ms until it succeeds
# (returns 0) or SECONDS have passed (returns 1).
poll_until() {
	_tries=$(($1 * 100))
	shift
	while [ $_tries -gt 0 ]; do
		"$@" && return 0
		_tries=$((_tries - 1))
		sleep 0.01
	done
	return 1
}

faults_on 10 Y

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

# A release whose agent call cannot be prepared (the allocations of the
# group's work item fail) is retried by that item after a growing delay:
# once allocations succeed again, every group released in the
# meantime gets exactly one call, with no other group's event to start it.
desc="releases during allocation failures get their calls once they stop"
NGROUPS=4
printf '#!/bin/sh\necho "$1" >>%s\n' "$work/agent.log" >"$work/agent"
chmod 755 "$work/agent"
: >"$work/agent.log"

holders_in() {
	for _i in $(seq $NGROUPS); do
		[ -n "$(cat "$mnt/r$_i/tasks")" ] || return 1
	done
}
failures_seen() {
	[ $((1000000 - $(cat "$FS/times"))) -ge "$1" ]
}
calls_logged() {
	[ "$(wc -l <"$work/agent.log")" -ge "$1" ]
}

ok=1
pids=
mount -t tcgroup -o "none,name=tcgretry,release_agent=$work/agent" none "$mnt" || ok=0
for i in $(seq $NGROUPS); do
	{ mkdir "$mnt/r$i" && echo 1 >"$mnt/r$i/notify_on_release"; } || ok=0
	sh -c "echo 0 >$mnt/r$i/tasks && exec sleep 600" &
	pids="$pids $!"
done
poll_until 10 holders_in || { ktap_print_msg "the holders did not enter their groups"; ok=0; }
if [ $ok -eq 1 ]; then
	faults_on 100 N
	# shellcheck disable=SC2086 # one word per pid
	kill -KILL $pids
	wait
	# Five failed runs of the work items: they were retried.
	if ! poll_until 20 failures_seen 5; then
		ktap_print_msg "only $((1000000 - $(cat "$FS/times"))) failures injected"
		ok=0
	fi
	faults_off
	if [ -s "$work/agent.log" ]; then
		ktap_print_msg "an agent call was made while allocations failed"
		ok=0
	fi
	if ! poll_until 20 calls_logged $NGROUPS; then
		ktap_print_msg "$(wc -l <"$work/agent.log") of $NGROUPS calls after the faults"
		ok=0
	fi
	for i in $(seq $NGROUPS); do
		n=$(grep -cx "/r$i" "$work/agent.log")
		[ "$n" -eq 1 ] || { ktap_print_msg "/r$i: $n calls"; ok=0; }
	done
	stats=$(tr '\n' ' ' <"$mnt/release_agent.stats")
	ktap_print_msg "after the failures: $stats"
	case "$stats" in
	"launched $NGROUPS failed 0 last_error 0 ") ;;
	*) ok=0 ;;
	esac
else
	# shellcheck disable=SC2086 # one word per pid
	kill -KILL $pids 2>/dev/null
	wait
fi
faults_off
for i in $(seq $NGROUPS); do
	rmdir "$mnt/r$i" 2>/dev/null
done
umount "$mnt" 2>/dev/null
[ $ok -eq 1 ] && ktap_test_pass "$desc" || ktap_test_fail "$desc"

# The code of the kernel function $1, as "0xSTART 0xEND" from /proc/kallsyms
# (its address and the next symbol's); nothing if it is not listed. The
# addresses all have 16 hex digits, so they compare as strings.
function_range() {
	awk -v f="$1" '
		$3 == f { start = $1 }
		{ a[NR] = $1 }
		END {
			if (start == "") exit
			for (i in a)
				if ((a[i] "") > (start "") && (end == "" || (a[i] "") < (end "")))
					end = a[i]
			if (end != "") print "0x" start, "0x" end
		}' /proc/kallsyms
}

# The group work item's function, whose frame is in the stack of every
# allocation that builds an agent call: failing only those leaves mkdir,
# rename and moves working.
run_sym=$(awk '$3 ~ /^_RNvX.*7release.*15DelayedWorkItem3run$/ { print $3; exit }' \
	/proc/kallsyms)
run_range=$(function_range "$run_sym")

# A group whose call waits for its retry and is released again, after a
# rename, gets one call, with the path it has when the call is built (v1's
# schedule_work() on a pending release_agent_work); a group removed while its
# call waits gets none.
desc="a call waiting for its retry: one call with the newer path, none once removed"
ok=1
: >"$work/agent.log"
called() {
	grep -qx "$1" "$work/agent.log"
}
if [ -z "$run_range" ]; then
	ktap_print_msg "no work item function in /proc/kallsyms"
	ok=0
elif mount -t tcgroup -o "none,name=tcgmerge,release_agent=$work/agent" none "$mnt"; then
	for g in a q; do
		{ mkdir "$mnt/$g" && echo 1 >"$mnt/$g/notify_on_release"; } || ok=0
	done
	# shellcheck disable=SC2086 # two words: the range
	faults_on 100 N $run_range
	for g in a q; do
		sh -c "echo 0 >$mnt/$g/tasks" || ok=0
	done
	# Both items failed at least once each: their calls wait for a retry.
	poll_until 10 failures_seen 4 || { ktap_print_msg "no failed call build"; ok=0; }
	mv "$mnt/a" "$mnt/b" || ok=0
	sh -c "echo 0 >$mnt/b/tasks" || ok=0
	rmdir "$mnt/q" || ok=0
	faults_off
	poll_until 20 calls_logged 1 || { ktap_print_msg "no call after the faults"; ok=0; }
	# q's item retries at most 1 s (the longest delay) after the faults
	# stopped: a call for it would be logged within 2 s.
	if poll_until 2 called /q; then
		ktap_print_msg "the removed group got a call"
		ok=0
	fi
	log=$(tr '\n' ' ' <"$work/agent.log")
	stats=$(tr '\n' ' ' <"$mnt/release_agent.stats")
	ktap_print_msg "calls: $log; $stats"
	[ "$log" = "/b " ] || ok=0
	[ "$stats" = "launched 1 failed 0 last_error 0 " ] || ok=0
	rmdir "$mnt/b" || ok=0
	umount "$mnt" || ok=0
else
	ok=0
fi
faults_off
[ $ok -eq 1 ] && ktap_test_pass "$desc" || ktap_test_fail "$desc"

# rmmod while the call of a removed group waits for its retry: the module's
# exit runs the waiting item at once (its timer would fire after the
# workqueue is gone) and waits for it; the harness fails the run on any
# kernel report.
desc="rmmod while a removed group's call waits for its retry"
ok=1
if [ -n "$run_range" ] &&
	mount -t tcgroup -o "none,name=tcgwait,release_agent=$work/agent" none "$mnt"; then
	{ mkdir "$mnt/w" && echo 1 >"$mnt/w/notify_on_release"; } || ok=0
	# shellcheck disable=SC2086 # two words: the range
	faults_on 100 N $run_range
	sh -c "echo 0 >$mnt/w/tasks" || ok=0
	# Four failures: the item now waits 80 ms or more.
	poll_until 10 failures_seen 4 || { ktap_print_msg "no failed call build"; ok=0; }
	rmdir "$mnt/w" || ok=0
	umount "$mnt" || ok=0
	rmmod tcgroup || { ktap_print_msg "rmmod refused"; ok=0; }
	faults_off
	grep -q "^tcgroup " /proc/modules || load_module || ok=0
else
	ok=0
fi
faults_off
[ $ok -eq 1 ] && ktap_test_pass "$desc" || ktap_test_fail "$desc"

group_empty() {
	[ ! -s "$1/tasks" ]
}

# A fork storm from a group, with every allocation from tcgroup's code by the
# forking shell and its children failing: the fork probe (which runs in the
# parent) must place each child from the task map's reserve, refilled by a
# kworker that faults do not touch. No child may be left in the root group,
# and membership.stats must count no failure.
desc="fork storm under failslab: every child in its parent's group"
FORKS=${TCGROUP_FAULT_FORKS:-1000}
ok=0
if mount -t tcgroup -o none,name=tcgfork none "$mnt" && mkdir "$mnt/f"; then
	failed0=$(sed -n 's/^fork_failed //p' "$mnt/membership.stats")
	: >"$work/pids"
	faults_on 100 Y
	sh -c '
		echo 0 >"$1/f/tasks" || exit 1
		echo 1 >/proc/self/make-it-fail
		i=0
		while [ "$i" -lt "$2" ]; do
			sleep 600 &
			echo $! >>"$3"
			i=$((i + 1))
		done
	' storm "$mnt" "$FORKS" "$work/pids"
	faults_off
	failed1=$(sed -n 's/^fork_failed //p' "$mnt/membership.stats")
	n=$(wc -l <"$work/pids")
	# The children missing from the group's tasks.
	cat "$mnt/f/tasks" >"$work/tasks"
	missing=$(grep -cvxF -f "$work/tasks" "$work/pids")
	ktap_print_msg "$n children, $missing outside the group, fork_failed $failed0 -> $failed1"
	ktap_print_msg "$(tr '\n' ' ' <"$mnt/membership.stats")"
	[ "$n" -eq "$FORKS" ] && [ "$missing" -eq 0 ] && [ "$failed1" = "$failed0" ] && ok=1
	xargs kill -KILL <"$work/pids" 2>/dev/null
	poll_until 60 group_empty "$mnt/f" || ok=0
	rmdir "$mnt/f" || ok=0
	umount "$mnt" || ok=0
else
	ktap_print_msg "cannot mount tcgroup or create the group"
fi
[ $ok -eq 1 ] && ktap_test_pass "$desc" || ktap_test_fail "$desc"

tcgroup_mounted() {
	grep -q " tcgroup " /proc/mounts
}

# Making /sys/fs/tcgroup fails: the load must fail with ENOMEM and leave
# nothing behind. The type must not be registered before that step (a
# kprobe on register_filesystem() counts "tcgroup"), since a mount can begin
# as soon as it is, while the module is still loading, and a module whose
# init fails is freed under that mount's superblock. A loop of mounts runs
# all along (module autoloading off, so that the mounts do not load the
# module themselves): none may succeed, and the harness fails the run on any
# splat.
desc="a load failing to make /sys/fs/tcgroup fails cleanly, type never registered"
LOADS=${TCGROUP_FAULT_LOADS:-10}
ok=1
range=$(function_range sysfs_create_mount_point)
if [ -z "$range" ]; then
	ktap_print_msg "sysfs_create_mount_point is not in /proc/kallsyms"
	ok=0
elif ! { [ -e "$KPROBES" ] || mount -t tracefs none "$TRACING"; } ||
	! echo "p:$KPROBE register_filesystem name=+0(+0(\$arg1)):string" >>"$KPROBES"; then
	ktap_print_msg "cannot add a kprobe event on register_filesystem"
	ok=0
elif ! rmmod_poll 120; then
	ok=0
else
	modprobe_was=$(cat /proc/sys/kernel/modprobe)
	echo >/proc/sys/kernel/modprobe
	echo 1 >"$TRACING/events/$KPROBE/enable"
	: >"$TRACING/trace"
	: >"$work/mounted"
	(
		while [ ! -e "$work/stop" ]; do
			mount -t tcgroup -o none,name=tcgload none "$mnt" 2>/dev/null &&
				echo mounted >>"$work/mounted"
		done
	) &
	mounter=$!
	# shellcheck disable=SC2086 # START END
	faults_on 100 Y $range
	enomem=0
	i=0
	while [ $i -lt "$LOADS" ]; do
		if out=$(sh -c 'echo 1 >/proc/self/make-it-fail; '"$(load_how)" 2>&1); then
			ktap_print_msg "load $i succeeded"
			rmmod tcgroup
		fi
		case "$out" in
		*"Cannot allocate memory"*) enomem=$((enomem + 1)) ;;
		*) ktap_print_msg "load $i: $out" ;;
		esac
		! mod_loaded || { ktap_print_msg "load $i left tcgroup loaded"; ok=0; }
		i=$((i + 1))
	done
	injected=$((1000000 - $(cat "$FS/times")))
	faults_off
	touch "$work/stop"
	wait "$mounter"
	registered=$(grep -c 'name="tcgroup"' "$TRACING/trace")
	echo "$modprobe_was" >/proc/sys/kernel/modprobe
	modprobe_was=
	ktap_print_msg "$LOADS loads, $injected failures injected: $enomem failed with ENOMEM;" \
		"the type registered $registered times; $(wc -l <"$work/mounted") mounts succeeded"
	[ "$enomem" -eq "$LOADS" ] && [ "$injected" -ge "$LOADS" ] &&
		[ "$registered" -eq 0 ] && [ ! -s "$work/mounted" ] || ok=0
	if tcgroup_mounted; then
		ktap_print_msg "a tcgroup is mounted: $(grep " tcgroup " /proc/mounts)"
		ok=0
	fi
	if [ -e /sys/fs/tcgroup ]; then
		ktap_print_msg "/sys/fs/tcgroup exists without the module"
		ok=0
	fi
	if ! out=$(load_module 2>&1); then
		ktap_print_msg "$(load_how) after the failures: $out"
		ok=0
	fi
fi
kprobe_remove
[ $ok -eq 1 ] && ktap_test_pass "$desc" || ktap_test_fail "$desc"

# A mount whose superblock cannot be allocated (every allocation under
# sget_fc() failing: the superblock, its anonymous device number) fails with
# ENOMEM and must leave nothing behind: the hierarchy that the mount created
# for it, which would hold a module reference nothing drops (the module could
# never be unloaded) and keep its name bound to its release agent. cgroup v1
# destroys the root its failed mount made (cgroup_fs_context_free()).
desc="a mount failing before its superblock exists leaves no hierarchy"
ok=1
range=$(function_range sget_fc)
if [ -z "$range" ]; then
	ktap_print_msg "sget_fc is not in /proc/kallsyms"
	ok=0
else
	refs=$(cat /sys/module/tcgroup/refcnt)
	# shellcheck disable=SC2086 # START END
	faults_on 100 Y $range
	if out=$(sh -c 'echo 1 >/proc/self/make-it-fail
		exec mount -t tcgroup -o none,name=tcgsget,release_agent=/bin/true none "$1"' \
		sget "$mnt" 2>&1); then
		ktap_print_msg "the mount succeeded with sget_fc() failing"
		umount "$mnt"
		ok=0
	fi
	injected=$((1000000 - $(cat "$FS/times")))
	faults_off
	case "$out" in
	*"Cannot allocate memory"*) ;;
	*) ktap_print_msg "mount: $out"; ok=0 ;;
	esac
	left=$(cat /sys/module/tcgroup/refcnt)
	ktap_print_msg "$injected failures injected; module references $refs before, $left after"
	[ "$injected" -ge 1 ] && [ "$left" -eq "$refs" ] || ok=0
	# A hierarchy left behind keeps /bin/true: naming it with another agent
	# would be EBUSY.
	if out=$(mount -t tcgroup -o none,name=tcgsget,release_agent=/bin/false \
		none "$mnt" 2>&1); then
		umount "$mnt"
	else
		ktap_print_msg "mounting name=tcgsget again: $out"
		ok=0
	fi
fi
[ $ok -eq 1 ] && ktap_test_pass "$desc" || ktap_test_fail "$desc"

desc="module unloads and loads again"
if rmmod tcgroup && load_module; then
	ktap_test_pass "$desc"
else
	ktap_test_fail "$desc"
fi

ktap_finished
