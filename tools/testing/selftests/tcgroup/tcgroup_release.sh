#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Release notification, on tcgroup and on a named cgroup v1 hierarchy alike:
# each trigger runs the release agent with the group's path, and a group
# without notify_on_release runs nothing. Every wait is a bounded poll.
# Runs under busybox sh, as root, with tcgroup.ko loaded.

DIR="$(dirname "$(readlink -f "$0")")"
# shellcheck source=tcgroup_lib.sh
. "$DIR/tcgroup_lib.sh"

FSTYPES="tcgroup cgroup"
CASES=6
POLL_TRIES=100	# 100 x 0.05 s

ktap_print_header
if [ "$(id -u)" -ne 0 ]; then
	ktap_skip_all "must be run as root"
	exit "$KSFT_SKIP"
fi
ktap_set_plan $((CASES * 2))

work=$(mktemp -d /tmp/tcgrel.XXXXXX)
log=$work/agent.log
agent=$work/agent
mnt=$work/mnt
# The kernel runs the agent with HOME=/ and a fixed PATH: it logs to a fixed file.
printf '#!/bin/sh\necho "$1" >>%s\n' "$log" >"$agent"
chmod 0755 "$agent"
mkdir "$mnt"

cleanup() {
	umount "$mnt" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT

# wait_line LINE: polls until the agent logged LINE; fails after the bound.
wait_line() {
	i=0
	while [ $i -lt $POLL_TRIES ]; do
		grep -qx "$1" "$log" 2>/dev/null && return 0
		sleep 0.05
		i=$((i + 1))
	done
	ktap_print_msg "no agent call for $1 within 5 s; log: $(tr '\n' ' ' <"$log" 2>/dev/null)"
	return 1
}

# run_in GROUP: a shell that moves itself into GROUP, then exits.
run_in() {
	sh -c "echo 0 >'$1/tasks'"
}

# setup FSTYPE NAME: mounts a fresh hierarchy with the agent.
setup() {
	: >"$log"
	opts="none,name=$2,release_agent=$agent"
	[ "$1" = tcgroup ] && opts="debug,name=$2,release_agent=$agent"
	mount -t "$1" -o "$opts" none "$mnt"
}

# teardown: removes every group (deepest first) and unmounts.
teardown() {
	find "$mnt" -mindepth 1 -depth -type d -exec rmdir {} \; 2>/dev/null
	umount "$mnt"
}

n=0
for fs in $FSTYPES; do
	if ! grep -qw "$fs" /proc/filesystems; then
		for _c in $(seq $CASES); do
			ktap_test_skip "$fs: not available"
		done
		continue
	fi
	n=$((n + 1))
	name="tcgrel_$$_$n"

	desc="$fs: last task exits"
	setup "$fs" "$name" && mkdir "$mnt/g" && echo 1 >"$mnt/g/notify_on_release" &&
		run_in "$mnt/g" && wait_line /g && ktap_test_pass "$desc" || ktap_test_fail "$desc"
	teardown

	desc="$fs: last task moves out"
	if setup "$fs" "$name" && mkdir "$mnt/g" && echo 1 >"$mnt/g/notify_on_release"; then
		sleep 60 &
		pid=$!
		echo $pid >"$mnt/g/tasks" && echo $pid >"$mnt/tasks" &&
			wait_line /g && ktap_test_pass "$desc" || ktap_test_fail "$desc"
		kill_wait $pid
	else
		ktap_test_fail "$desc"
	fi
	teardown

	desc="$fs: last child removed"
	setup "$fs" "$name" && mkdir -p "$mnt/p/c" && echo 1 >"$mnt/p/notify_on_release" &&
		rmdir "$mnt/p/c" && wait_line /p && ktap_test_pass "$desc" || ktap_test_fail "$desc"
	teardown

	desc="$fs: nested path"
	setup "$fs" "$name" && mkdir -p "$mnt/a/b/c" && echo 1 >"$mnt/a/b/c/notify_on_release" &&
		run_in "$mnt/a/b/c" && wait_line /a/b/c && ktap_test_pass "$desc" ||
		ktap_test_fail "$desc"
	teardown

	# A group without notify_on_release is released first; a sentinel after it
	# proves the release work ran past it (calls are made one at a time, in
	# order).
	desc="$fs: no call without notify_on_release"
	if setup "$fs" "$name" && mkdir "$mnt/quiet" "$mnt/sentinel" &&
		echo 1 >"$mnt/sentinel/notify_on_release" && run_in "$mnt/quiet" &&
		run_in "$mnt/sentinel" && wait_line /sentinel; then
		if grep -qx /quiet "$log"; then
			ktap_print_msg "agent called for /quiet"
			ktap_test_fail "$desc"
		else
			ktap_test_pass "$desc"
		fi
	else
		ktap_test_fail "$desc"
	fi
	teardown

	desc="$fs: last debug.hold reference dropped"
	if [ "$fs" != tcgroup ]; then
		ktap_test_skip "$desc: no debug subsystem"
	else
		setup "$fs" "$name" && mkdir "$mnt/h" && echo 1 >"$mnt/h/notify_on_release" &&
			exec 3<"$mnt/h/debug.hold" && exec 3<&- && wait_line /h &&
			ktap_test_pass "$desc" || ktap_test_fail "$desc"
		teardown
	fi
done

ktap_finished
