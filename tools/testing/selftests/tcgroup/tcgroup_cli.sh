#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The tcgroup command (tools/tcgroup, Documentation/tcgroup-tool.rst) on
# tcgroup and on a named cgroup v1 hierarchy in the same boot: every
# subcommand is run and its effect checked through the hierarchy's files,
# /proc/PID/cgroup and membership.lookup. The tool is $TCGROUP_BIN, else
# `tcgroup` on PATH (the harness puts a static build at /usr/bin/tcgroup,
# and /usr/sbin/tcgroup-agent linked to it); without it the test skips.
# Runs under busybox sh, as root.

DIR="$(dirname "$(readlink -f "$0")")"
# shellcheck source=tcgroup_lib.sh
. "$DIR/tcgroup_lib.sh"

FSTYPES="tcgroup cgroup"
CASES=16
POLL_TRIES=100	# 100 x 0.05 s
TOOL=${TCGROUP_BIN:-$(command -v tcgroup)}
CONF=/etc/tcgroup/agent.conf

ktap_print_header
if [ "$(id -u)" -ne 0 ]; then
	ktap_skip_all "must be run as root"
	exit "$KSFT_SKIP"
fi
if [ -z "$TOOL" ] || [ ! -x "$TOOL" ]; then
	ktap_skip_all "no tcgroup command (set TCGROUP_BIN or put tcgroup on PATH)"
	exit "$KSFT_SKIP"
fi
if ! module_available; then
	ktap_skip_all "$(module_available)"
	exit "$KSFT_SKIP"
fi
ktap_set_plan $((CASES * 2))

work=$(mktemp -d /tmp/tcgcli.XXXXXX)
# Open to nobody, whose moves must be refused by the group's files alone.
chmod 0755 "$work"
pids=
conf_saved=

# Removes every group (deepest first) under the mount point $1 and unmounts it.
teardown() {
	[ -d "$1" ] || return 0
	find "$1" -mindepth 1 -depth -type d -exec rmdir {} \; 2>/dev/null
	umount "$1" 2>/dev/null
}

cleanup() {
	[ -z "$pids" ] || kill_wait $pids
	for m in "$work"/mnt-*; do
		teardown "$m"
	done
	if [ -n "$conf_saved" ]; then
		mv "$conf_saved" "$CONF"
	else
		rm -f "$CONF"
	fi
	rm -rf "$work"
	restore_module
}
trap cleanup EXIT
trap 'exit "$KSFT_FAIL"' HUP INT TERM

if [ -f "$CONF" ]; then
	conf_saved=$work/agent.conf.saved
	cp "$CONF" "$conf_saved"
fi
mkdir -p /etc/tcgroup

# The module starts unloaded, for `tcgroup mount` to load it (modprobe); when
# it is not installed (insmod from a path), the test loads it itself.
unload_first
if [ -n "$TCGROUP_KO" ]; then
	load_module || ktap_exit_fail_msg "$(load_how) failed"
fi

# check DESC COMMAND...: one test case, passing if COMMAND succeeds.
check() {
	_desc=$1
	shift
	if "$@"; then
		ktap_test_pass "$_desc"
	else
		ktap_test_fail "$_desc"
	fi
}

# fails STATUS MESSAGE COMMAND...: COMMAND exits with STATUS and its error
# output holds MESSAGE.
fails() {
	_want=$1 _msg=$2
	shift 2
	_err=$("$@" 2>&1 >/dev/null)
	_rc=$?
	if [ "$_rc" -ne "$_want" ]; then
		ktap_print_msg "$*: exit $_rc, not $_want ($_err)"
		return 1
	fi
	case "$_err" in
	*"$_msg"*) return 0 ;;
	esac
	ktap_print_msg "$*: '$_err' lacks '$_msg'"
	return 1
}

# poll COMMAND...: retries COMMAND until it succeeds, for at most 5 s.
poll() {
	_i=0
	while [ $_i -lt $POLL_TRIES ]; do
		"$@" && return 0
		sleep 0.05
		_i=$((_i + 1))
	done
	ktap_print_msg "still not true after 5 s: $*"
	return 1
}

# has_line FILE LINE: FILE has the exact line LINE.
has_line() {
	grep -qxF "$2" "$1"
}

# out_has TEXT COMMAND...: the output of COMMAND has a line matching the
# extended regular expression TEXT.
out_has() {
	_re=$1
	shift
	_out=$("$@") || { ktap_print_msg "$* failed"; return 1; }
	printf '%s\n' "$_out" | grep -qE "$_re" && return 0
	ktap_print_msg "$*: no line matching '$_re' in: $(printf '%s' "$_out" | tr '\n' '|')"
	return 1
}

# The mount: the options /proc/mounts shows for $mnt hold the name and agent.
mounted_as() {
	awk -v d="$mnt" -v t="$fs" '$2 == d && $3 == t { print $4 }' /proc/mounts |
		tr , '\n' >"$work/opts"
	has_line "$work/opts" "name=$name" && has_line "$work/opts" "release_agent=$agent"
}

# create: /a/b with notify_on_release, /a without; a second create of /a
# fails (EEXIST), /x/y without -p fails (ENOENT, status 3), and a group
# named by its directory (no -H) is created.
create_ok() {
	"$TOOL" -H "$name" create -p --notify /a/b &&
		[ -d "$mnt/a/b" ] && has_line "$mnt/a/b/notify_on_release" 1 &&
		has_line "$mnt/a/notify_on_release" 0 &&
		fails 1 "cannot create /a: file exists" "$TOOL" -H "$name" create /a &&
		fails 3 "cannot create /x/y: no such file or directory" \
			"$TOOL" -H "$name" create /x/y &&
		"$TOOL" create "$mnt/bydir" && [ -d "$mnt/bydir" ] &&
		"$TOOL" -H "$name" create -p /a/b && [ -d "$mnt/a/b" ]
}

# exec: the command runs in the group (sh's $$ is the tool's pid, moved
# before exec); a missing command gives 127.
exec_ok() {
	"$TOOL" -H "$name" exec /a -- sh -c "grep -qx \$\$ '$mnt/a/cgroup.procs'" &&
		fails 127 "cannot run /nonexistent" "$TOOL" -H "$name" exec /a -- /nonexistent
}

denied="(cgroup.procs is owned by uid 0)"

# classify: a process into /a/b (cgroup.procs), a thread into /a (tasks);
# a task that does not exist and a move the caller may not make are refused
# with the messages of the manual.
classify_ok() {
	"$TOOL" -H "$name" classify /a/b "$p1" && has_line "$mnt/a/b/cgroup.procs" "$p1" &&
		"$TOOL" -H "$name" classify --thread /a "$p2" && has_line "$mnt/a/tasks" "$p2" &&
		fails 3 "cannot move 999999 into /a: no such process" \
			"$TOOL" -H "$name" classify /a 999999 &&
		fails 1 "cannot move $p2 into /a/b: permission denied $denied" \
			su -s /bin/sh nobody -c "$TOOL -H $name classify /a/b $p2"
}

# kill: on tcgroup every process of /k and /k/sub gets SIGKILL and both
# groups empty (a bounded poll: the processes exit after the command
# returns); cgroup v1 has no cgroup.kill, and the command says so.
kill_ok() {
	mkdir -p "$mnt/k/sub" || return 1
	sleep 100 &
	_k1=$!
	sleep 100 &
	_k2=$!
	echo "$_k1" >"$mnt/k/cgroup.procs" && echo "$_k2" >"$mnt/k/sub/cgroup.procs" || return 1
	if [ "$fs" = cgroup ]; then
		fails 1 "a cgroup v1 hierarchy has no cgroup.kill" "$TOOL" -H "$name" kill /k
		_rc=$?
		kill_wait "$_k1" "$_k2"
		rmdir "$mnt/k/sub" "$mnt/k" && return $_rc
		return 1
	fi
	"$TOOL" -H "$name" kill /k || return 1
	_i=0
	while [ -n "$(cat "$mnt/k/cgroup.procs" "$mnt/k/sub/cgroup.procs")" ]; do
		_i=$((_i + 1))
		[ $_i -le 1000 ] || return 1
		sleep 0.01
	done
	wait "$_k1" "$_k2" 2>/dev/null
	fails 2 "cannot kill the root group" "$TOOL" -H "$name" kill / &&
		rmdir "$mnt/k/sub" "$mnt/k"
}

# lines FILE: the number of lines of FILE (0 if it is missing).
lines() {
	[ -f "$1" ] || { echo 0; return; }
	wc -l <"$1"
}

# watch: on tcgroup two watchers, text and JSON, each print the stream's
# first two records for them: releases of "/w x", made (by a shell moving
# itself in and exiting) until both have theirs, the path escaped as the
# kernel writes it and unescaped in JSON, the sequence numbers consecutive.
# The agent is emptied first (the stream's cheap way; the pruning agent of
# the earlier cases would remove the group). cgroup v1 has no release
# stream, and the command says so.
watch_ok() {
	if [ "$fs" = cgroup ]; then
		fails 1 "a cgroup v1 hierarchy has no release stream" "$TOOL" -H "$name" watch -n 1
		return
	fi
	echo >"$mnt/release_agent" && [ -z "$(cat "$mnt/release_agent")" ] || return 1
	mkdir "$mnt/w x" && echo 1 >"$mnt/w x/notify_on_release" || return 1
	"$TOOL" -H "$name" watch -n 2 >"$work/watch.txt" &
	_t=$!
	"$TOOL" -H "$name" watch --json -n 2 >"$work/watch.json" &
	_j=$!
	_i=0
	while [ "$(lines "$work/watch.txt")" -lt 2 ] || [ "$(lines "$work/watch.json")" -lt 2 ]; do
		_i=$((_i + 1))
		if [ $_i -gt 500 ]; then
			ktap_print_msg "watch: no two records after 500 releases"
			kill_wait "$_t" "$_j"
			return 1
		fi
		sh -c "echo 0 >'$mnt/w x/tasks'"
		sleep 0.01
	done
	wait "$_t" && wait "$_j" || return 1
	rmdir "$mnt/w x" || return 1
	if [ "$(grep -cE '^[0-9]+ /w\\040x$' "$work/watch.txt")" -eq 2 ] &&
		[ "$(grep -cE '^\{"seq":[0-9]+,"path":"/w x"\}$' "$work/watch.json")" -eq 2 ] &&
		awk 'NR == 1 { s = $1 } NR == 2 && $1 != s + 1 { exit 1 }' "$work/watch.txt"; then
		return 0
	fi
	ktap_print_msg "watch printed: $(tr '\n' '|' <"$work/watch.txt")" \
		"$(tr '\n' '|' <"$work/watch.json")"
	return 1
}

# ls: the task counts and flags of each group, as the files show them (the
# exec's task left /a, which tcgroup may show as releasable).
ls_ok() {
	out_has "^$name +/a/b +1 +1 +notify$" "$TOOL" -H "$name" ls &&
		out_has "^$name +/a +1 +1 +[-a-z,]+$" "$TOOL" ls "$mnt/a" &&
		out_has "^$name +/ +[0-9]+ +[0-9]+ +[-a-z,]+$" "$TOOL" -H "$name" ls / &&
		out_has '"path": "/a/b",' "$TOOL" -H "$name" ls --json &&
		out_has '"notify_on_release": true' "$TOOL" -H "$name" ls --json /a/b
}

# tree: the nesting and the same counts.
tree_ok() {
	out_has "^$name \\($fs\\)$" "$TOOL" -H "$name" tree &&
		out_has '^\|-- a  tasks=1 procs=1 \[[-a-z,]+\]$' "$TOOL" -H "$name" tree &&
		out_has '^\|   `-- b  tasks=1 procs=1 \[notify\]$' "$TOOL" -H "$name" tree &&
		out_has '"children": \[' "$TOOL" -H "$name" tree --json
}

# which: the line for this hierarchy is the one membership.lookup (tcgroup)
# or /proc/PID/cgroup (v1) gives, and shows /a/b.
which_ok() {
	"$TOOL" which "$p1" >"$work/which" || return 1
	if [ "$fs" = tcgroup ]; then
		exec 3<>"$mnt/membership.lookup"
		echo "$p1" >&3
		cat <&3 >"$work/expected"
		exec 3>&-
	else
		cp "/proc/$p1/cgroup" "$work/expected"
	fi
	_line=$(grep -E "^[0-9]+:([a-z_]+,)*name=$name:" "$work/expected")
	[ "${_line##*:}" = /a/b ] && has_line "$work/which" "$_line" && return 0
	ktap_print_msg "which $p1: $(tr '\n' '|' <"$work/which"), expected '$_line'"
	return 1
}

# The kernel log has a line of the agent's with TEXT.
logged() {
	dmesg | grep "tcgroup-agent\\[[0-9]*\\]: " | grep -qF "$1"
}

# agent, not pruning: the kernel runs it when /a/b empties; it logs the call
# and leaves the group.
agent_logs() {
	rm -f "$CONF"
	kill_wait "$p1"
	pids=$p2
	poll logged "$name:/a/b released" && [ -d "$mnt/a/b" ]
}

# agent, pruning: a released group that is still empty is removed.
agent_prunes() {
	echo "prune=1" >"$CONF" &&
		"$TOOL" -H "$name" create --notify /c &&
		"$TOOL" -H "$name" exec /c -- true &&
		poll logged "$name:/c released, removed" && ! [ -d "$mnt/c" ]
}

# agent, pruning a group in use again (run by hand: a task is in /a): rmdir's
# EBUSY is no error and the group stays.
agent_keeps() {
	"$TOOL" -H "$name" agent /a && [ -d "$mnt/a" ] &&
		logged "$name:/a released, kept: in use again"
}

# delete: a group with a child is refused without -r; -r removes the tree
# once its tasks are gone.
delete_ok() {
	fails 1 "cannot delete /a: device or resource busy" "$TOOL" -H "$name" delete /a ||
		return 1
	kill_wait "$p2"
	pids=
	"$TOOL" -H "$name" delete -r /a && ! [ -d "$mnt/a" ] &&
		"$TOOL" delete "$mnt/bydir" && ! [ -d "$mnt/bydir" ]
}

n=0
for fs in $FSTYPES; do
	n=$((n + 1))
	name="tcli_$$_$n"
	mnt=$work/mnt-$fs
	# Each hierarchy has an agent path of its own: the agent is given the
	# group's path only and finds its hierarchy by release_agent=. tcgroup's
	# is a link named tcgroup-agent, v1's the tool itself.
	if [ "$fs" = tcgroup ]; then
		agent=$work/tcgroup-agent
		ln -s "$TOOL" "$agent"
	else
		agent=$TOOL
	fi
	if [ "$fs" = cgroup ] && ! grep -qw cgroup /proc/filesystems; then
		for _c in $(seq $CASES); do
			ktap_test_skip "$fs: not available"
		done
		continue
	fi

	if [ "$fs" = tcgroup ]; then
		check "$fs: mount loads the module and mounts" sh -c "'$TOOL' mount \
			--name '$name' --agent '$agent' '$mnt' && grep -q '^tcgroup ' /proc/modules"
	else
		check "$fs: mount" "$TOOL" mount -t cgroup --name "$name" --agent "$agent" "$mnt"
	fi
	check "$fs: mount options in /proc/mounts" mounted_as
	check "$fs: create" create_ok
	check "$fs: exec" exec_ok
	sleep 100 &
	p1=$!
	sleep 100 &
	p2=$!
	pids="$p1 $p2"
	check "$fs: classify" classify_ok
	check "$fs: ls" ls_ok
	check "$fs: tree" tree_ok
	check "$fs: which" which_ok
	check "$fs: which PID of no task" fails 3 "no task 999999" "$TOOL" which 999999
	check "$fs: agent logs a release" agent_logs
	check "$fs: agent prunes an empty group" agent_prunes
	check "$fs: agent keeps a group in use" agent_keeps
	check "$fs: delete" delete_ok
	check "$fs: kill" kill_ok
	check "$fs: watch" watch_ok
	check "$fs: ambiguous or unknown hierarchy" fails 3 "no hierarchy named nope_$$" \
		"$TOOL" -H "nope_$$" ls
	teardown "$mnt"
done

ktap_finished
