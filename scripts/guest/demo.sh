#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The `make run` demo: tcgroup end to end, as far as the module implements it,
# each command shown before its output, then a session with the `tcgroup`
# command (tools/tcgroup). A step that does not do what the demo says (a
# command that fails, or one shown failing that succeeds) is marked FAILED,
# and the demo then exits with status 1 (`make run` fails).
#
# Each part's transcript also goes to a file, /run/transcript/NAME (`demo`,
# `tool`), which init.sh sends to the host on the second serial port;
# scripts/readme-transcript.py pastes them into README.md (`make readme`).

mnt=/sys/fs/tcgroup
steps=0
failed=0
tdir=/run/transcript
transcript=/dev/null

# say TEXT...: a line of the transcript, shown and kept in the part's file.
say() {
	printf '%s\n' "$*"
	printf '%s\n' "$*" >>"$transcript"
}

# part NAME: the lines from here on are also kept in $tdir/NAME.
part() {
	mkdir -p $tdir
	transcript=$tdir/$1
	: >"$transcript"
}

# step EXPECT CMD...: shows CMD and its output; EXPECT is `ok` for a command
# that must succeed, `fails` for one that must fail.
step() {
	expect=$1
	shift
	steps=$((steps + 1))
	say "\$ $*"
	out=$(sh -c "$*" 2>&1)
	rc=$?
	[ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/  /' | tee -a "$transcript"
	if { [ "$expect" = ok ] && [ $rc -ne 0 ]; } || { [ "$expect" = fails ] && [ $rc -eq 0 ]; }; then
		say "  ^ FAILED: exit status $rc, expected $expect"
		failed=$((failed + 1))
	fi
}

run() {
	step ok "$@"
}

fails() {
	step fails "$@"
}

echo
part demo
say "=== tcgroup demo on $(uname -r) ($(nproc) CPUs) ==="
run insmod /lib/modules/tcgroup.ko
run "grep tcgroup /proc/filesystems"
run "mount -t tcgroup -o none,name=demo,release_agent=/sbin/tcgroup-agent none $mnt"
run "grep tcgroup /proc/mounts"
run "ls $mnt"
run "cat $mnt/release_agent"
say "# groups are directories; a group with children cannot be removed:"
run "mkdir -p $mnt/jobs/batch/42 && ls $mnt/jobs/batch/42"
fails "rmdir $mnt/jobs/batch"
say "# a hierarchy with groups outlives its mount; mounting it again by name brings it back:"
run "umount $mnt"
run "mount -t tcgroup -o none,name=demo none $mnt && find $mnt -type d"
say "# tasks: a shell moves itself into a group; its children are born there:"
run "sh -c 'echo 0 > $mnt/jobs/batch/42/tasks; sleep 30 & echo shell \$\$ child \$!; cat $mnt/jobs/batch/42/tasks; kill \$!'"
say "# release: with notify_on_release set (new groups inherit it), the last task"
say "# leaving a group makes the kernel run the agent with the group's path; this"
say "# agent logs it and removes the group, which empties its parent in turn:"
run "echo 1 > $mnt/notify_on_release"
run "mkdir -p $mnt/web/frontend && cat $mnt/web/frontend/notify_on_release"
run "sh -c 'echo 0 > $mnt/web/frontend/tasks; exit 0'"
run "for i in \$(seq 100); do [ -d $mnt/web ] || break; sleep 0.1; done; cat /run/tcgroup-agent.log; [ ! -d $mnt/web ]"
run "find $mnt -type d"
run "rmdir $mnt/jobs/batch/42 $mnt/jobs/batch $mnt/jobs"
say "# the module is pinned while a hierarchy exists:"
fails "rmmod tcgroup"
run "umount $mnt"
run "rmmod tcgroup && echo rmmod ok"
fails "grep tcgroup /proc/filesystems"

# The tcgroup command (Documentation/tcgroup-tool.rst), from an unloaded
# module, with the command as the agent (/usr/sbin/tcgroup-agent, a link to
# it), which logs to the kernel log here (the guest has no syslog).
if [ -x /usr/bin/tcgroup ]; then
	part tool
	say "=== the tcgroup command ==="
	say "# depmod indexes the installed module, which tcgroup mount loads:"
	run "depmod && mkdir -p /etc/tcgroup && echo prune=1 > /etc/tcgroup/agent.conf"
	run "tcgroup mount --name jobs --agent /usr/sbin/tcgroup-agent"
	run "grep tcgroup /proc/mounts"
	run "tcgroup create -p --notify /batch/42"
	say "# watch prints the hierarchy's release stream, every release in order"
	say "# (here: the first one, in the background until it comes):"
	run "tcgroup watch -n 1 >/run/watch.out 2>&1 & for i in \$(seq 100); do ls -l /proc/\$!/fd | grep -q release.stream && break; sleep 0.1; done"
	say "# exec runs a command in a group; which shows a task's groups:"
	run "tcgroup exec /batch/42 -- tcgroup which"
	say "# /batch/42 emptied as that command exited: the agent logs the release"
	say "# and, with prune=1, removes the group:"
	run "for i in \$(seq 100); do [ -d $mnt/batch/42 ] || break; sleep 0.1; done; dmesg | grep -o 'tcgroup-agent.*'; [ ! -d $mnt/batch/42 ]"
	say "# and watch has printed its sequence number and path:"
	run "for i in \$(seq 100); do [ -s /run/watch.out ] && break; sleep 0.1; done; cat /run/watch.out"
	run "tcgroup create /web && tcgroup exec /web -- sh -c 'sleep 600 & sleep 600 & wait' >/dev/null 2>&1 &"
	run "for i in \$(seq 100); do [ \$(wc -l < $mnt/web/cgroup.procs) -ge 3 ] && break; sleep 0.1; done; tcgroup tree"
	say "# kill ends every process of a group and its descendants (cgroup.kill):"
	run "tcgroup kill /web"
	run "for i in \$(seq 100); do [ -s $mnt/web/cgroup.procs ] || break; sleep 0.1; done; tcgroup ls"
	run "tcgroup delete -r /web /batch && umount $mnt"
fi
say "=== end of demo: $steps steps, $failed failed ==="
[ $failed -eq 0 ]
