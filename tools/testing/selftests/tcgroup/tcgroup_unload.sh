#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Unloading tcgroup.ko while it is busy: rmmod attempted while a file of a
# lazily unmounted hierarchy is open, while release work is pending and
# agents run, and while fork and exit keep its tracepoint probes firing, in
# loops. The module must either refuse (and keep working) or unload cleanly;
# the harness fails the run on any kernel report. The module is loaded as
# tcgroup_lib.sh's load_module does; whether it was loaded at the start is
# restored at the end. TCGROUP_UNLOAD_ROUNDS sets the rounds (default 10).
# Runs under busybox sh.

DIR="$(dirname "$(readlink -f "$0")")"
# shellcheck source=tcgroup_lib.sh
. "$DIR/tcgroup_lib.sh"

ROUNDS=${TCGROUP_UNLOAD_ROUNDS:-10}
NGROUPS=16

# Back to the start of a case: nothing mounted, the module not loaded.
reset() {
	n=0
	while is_mounted "$tmp/mnt" && [ $n -lt 8 ]; do
		echo 0 >"$tmp/mnt/tasks" 2>/dev/null
		[ -z "$load_pid" ] || echo "$load_pid" >"$tmp/mnt/cgroup.procs" 2>/dev/null
		for g in "$tmp"/mnt/*/; do [ -d "$g" ] && rmdir "$g"; done 2>/dev/null
		umount "$tmp/mnt" || umount -l "$tmp/mnt"
		n=$((n + 1))
	done
	! mod_loaded || rmmod_poll 30 || ktap_print_msg "reset: tcgroup stays loaded"
}

# Unmounts $tmp/mnt, polling (10 ms steps, at most 30 s) while it is busy: a
# release agent may be inside it for a moment, removing its group.
umount_poll() {
	n=0
	while ! umount "$tmp/mnt" 2>/dev/null; do
		n=$((n + 1))
		if [ $n -ge 3000 ]; then
			ktap_print_msg "umount $tmp/mnt: still busy after 30 s"
			return 1
		fi
		sleep 0.01
	done
}

ktap_print_header

if [ "$(id -u)" -ne 0 ]; then
	ktap_skip_all "must be run as root"
	exit "$KSFT_SKIP"
fi
if ! why=$(module_available); then
	ktap_skip_all "$why"
	exit "$KSFT_SKIP"
fi

tmp=
load_pid=

# Puts things back: no load, nothing mounted, no temporary directory, and
# tcgroup loaded exactly if it was at the start. Runs on every exit.
restore() {
	[ -z "$load_pid" ] || kill_wait "$load_pid"
	load_pid=
	if [ -n "$tmp" ]; then
		reset
		rm -rf "$tmp"
		tmp=
	fi
	restore_module
}
trap restore EXIT
trap 'exit "$KSFT_FAIL"' HUP INT TERM

unload_first
tmp=$(mktemp -d /tmp/tcgunload.XXXXXX) || ktap_exit_fail_msg "mktemp -d failed"
mkdir "$tmp/mnt"
# The agent runs in the initial mount namespace, as this test: it removes
# the released group, as a real agent does, and logs the call.
cat >"$tmp/agent" <<EOF
#!/bin/sh
echo "\$1" >>$tmp/agent.log
rmdir "$tmp/mnt\$1" 2>/dev/null
EOF
chmod 755 "$tmp/agent"

# Fork and exit, all the time: the probes fire during every load and unload.
(while :; do /bin/true; done) &
load_pid=$!

ktap_set_plan 3

# 1: an open file pins the module after a lazy umount.
desc="rmmod refused while a file of a lazily unmounted hierarchy is open"
refused=0
ok=1
i=1
while [ $i -le "$ROUNDS" ] && [ $ok -eq 1 ]; do
	ok=0
	if ! out=$(load_module 2>&1); then
		ktap_print_msg "$(load_how): $out"
	elif ! mount -t tcgroup -o "none,name=tcgunl_$$" none "$tmp/mnt"; then
		ktap_print_msg "mount failed"
	else
		# The holder keeps tasks open as its standard input.
		# shellcheck disable=SC2217 # sleep reads nothing: the open file is the point
		sleep 1000 <"$tmp/mnt/tasks" &
		holder=$!
		n=0
		while [ "$(readlink "/proc/$holder/fd/0")" != "$tmp/mnt/tasks" ] &&
			[ $n -lt 3000 ]; do
			n=$((n + 1))
			sleep 0.01
		done
		if [ $n -ge 3000 ]; then
			ktap_print_msg "the holder did not open tasks"
		elif ! umount -l "$tmp/mnt"; then
			ktap_print_msg "umount -l failed"
		elif rmmod tcgroup 2>/dev/null; then
			ktap_print_msg "round $i: rmmod succeeded with tasks open"
		elif ! mod_loaded || ! cat "/proc/$holder/fd/0" >/dev/null; then
			ktap_print_msg "round $i: module or open file broken after a refused rmmod"
		else
			ok=1
		fi
		kill_wait "$holder"
		[ $ok -eq 0 ] || rmmod_poll 30 || ok=0
	fi
	i=$((i + 1))
done
ktap_print_msg "$((i - 1)) rounds, rmmod refused $refused times while polling"
if [ $ok -eq 1 ]; then ktap_test_pass "$desc"; else ktap_test_fail "$desc"; fi

# 2: groups released, agents running, the tree removed and unmounted, then
# rmmod at once: the pending release work must not outlive the module.
reset
desc="rmmod at once after releases, with release work pending"
refused=0
ok=1
calls=0
i=1
while [ $i -le "$ROUNDS" ] && [ $ok -eq 1 ]; do
	ok=0
	: >"$tmp/agent.log"
	if ! out=$(load_module 2>&1); then
		ktap_print_msg "$(load_how): $out"
		break
	fi
	if ! mount -t tcgroup -o "none,name=tcgunl_$$,release_agent=$tmp/agent" none "$tmp/mnt"
	then
		ktap_print_msg "mount failed"
		break
	fi
	pids=
	g=0
	while [ $g -lt $NGROUPS ]; do
		mkdir "$tmp/mnt/g$g" && echo 1 >"$tmp/mnt/g$g/notify_on_release" || break
		sleep 100 &
		pids="$pids $!"
		echo $! >"$tmp/mnt/g$g/tasks" || break
		g=$((g + 1))
	done
	# shellcheck disable=SC2086 # a list of pids
	kill_wait $pids
	# The agents race with these rmdirs: either removes each group.
	for d in "$tmp"/mnt/g*; do
		[ -d "$d" ] || continue
		rmdir "$d" 2>/dev/null || [ ! -d "$d" ] || ktap_print_msg "rmdir $d failed"
	done
	umount_poll || break
	rmmod_poll 30 || break
	calls=$((calls + $(wc -l <"$tmp/agent.log")))
	ok=1
	i=$((i + 1))
done
ktap_print_msg "$((i - 1)) rounds of $NGROUPS groups, $calls agent calls," \
	"rmmod refused $refused times"
if [ $ok -eq 1 ]; then ktap_test_pass "$desc"; else ktap_test_fail "$desc"; fi

# 3: the fork/exit load moved into a group and back between loads.
reset
desc="load/rmmod while fork and exit run in a group"
refused=0
ok=1
i=1
while [ $i -le "$ROUNDS" ] && [ $ok -eq 1 ]; do
	ok=0
	if ! out=$(load_module 2>&1); then
		ktap_print_msg "$(load_how): $out"
	elif ! mount -t tcgroup -o "none,name=tcgunl_$$" none "$tmp/mnt"; then
		ktap_print_msg "mount failed"
	elif ! mkdir "$tmp/mnt/load" || ! echo "$load_pid" >"$tmp/mnt/load/cgroup.procs"; then
		ktap_print_msg "moving the load into a group failed"
	elif ! echo "$load_pid" >"$tmp/mnt/cgroup.procs"; then
		ktap_print_msg "moving the load back failed"
	else
		# Children forked before the move back may still be in the group.
		n=0
		while ! rmdir "$tmp/mnt/load" 2>/dev/null && [ $n -lt 3000 ]; do
			n=$((n + 1))
			sleep 0.01
		done
		if [ -d "$tmp/mnt/load" ]; then
			ktap_print_msg "the group still lists: $(cat "$tmp/mnt/load/tasks")"
		elif umount "$tmp/mnt" && rmmod_poll 30; then
			ok=1
		fi
	fi
	i=$((i + 1))
done
ktap_print_msg "$((i - 1)) rounds, rmmod refused $refused times"
if [ $ok -eq 1 ]; then ktap_test_pass "$desc"; else ktap_test_fail "$desc"; fi

restore
ktap_finished
