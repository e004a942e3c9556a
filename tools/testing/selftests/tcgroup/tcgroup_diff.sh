#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Differential test of tcgroup against cgroup v1, its reference: each
# scenario of tcgroup_scenario runs once on a named cgroup v1 hierarchy and
# once on a tcgroup hierarchy, both fresh, mounted side by side with a release
# agent of their own, and the two normalized transcripts must be the same once
# the lines tcgroup_diff.allow lists (the documented differences, each with
# its reason) are dropped. One KTAP result per scenario; a mismatch prints
# the diff.
#
# TCGROUP_DIFF_SCENARIOS (space separated) runs only those scenarios.
# TCGROUP_DIFF_VERBOSE=1 prints both transcripts of every scenario.
# Runs under busybox sh, as root, with tcgroup.ko loaded.

DIR="$(dirname "$(readlink -f "$0")")"
# shellcheck source=tcgroup_lib.sh
. "$DIR/tcgroup_lib.sh"

RUNNER="$DIR/tcgroup_scenario"
ALLOW="$DIR/tcgroup_diff.allow"
SIDES="ref tcg"

ktap_print_header
if [ "$(id -u)" -ne 0 ]; then
	ktap_skip_all "must be run as root"
	exit "$KSFT_SKIP"
fi
for fs in cgroup tcgroup; do
	if ! grep -qw "$fs" /proc/filesystems; then
		ktap_skip_all "filesystem type $fs not available"
		exit "$KSFT_SKIP"
	fi
done
if [ ! -x "$RUNNER" ] || [ ! -r "$ALLOW" ]; then
	ktap_skip_all "$RUNNER or $ALLOW missing"
	exit "$KSFT_SKIP"
fi

scenarios=${TCGROUP_DIFF_SCENARIOS:-$("$RUNNER" --list)}
ktap_set_plan "$(echo $scenarios | wc -w)"

work=$(mktemp -d /tmp/tcgdiff.XXXXXX)
mkdir -p "$work/ref" "$work/tcg"

cleanup() {
	for side in $SIDES; do
		umount "$work/$side/mnt2" 2>/dev/null
		umount "$work/$side/mnt" 2>/dev/null
	done
	rm -rf "$work"
}
trap cleanup EXIT

# The rules: the regular expression of each "[FSTYPE: ]REGEX # REASON" line,
# into the rules of the side FSTYPE names ("cgroup" or "tcgroup"), or of both.
# A rule without a reason is an error of the allowlist.
lineno=0
for side in $SIDES; do
	# An empty pattern file matches nothing with GNU grep and everything
	# with others: a rule no line can match keeps it the same.
	echo '^$^' >"$work/rules.$side"
done
while IFS= read -r line; do
	lineno=$((lineno + 1))
	case "$line" in
	'' | '#'*) continue ;;
	*' # '?*) ;;
	*) ktap_exit_fail_msg "$ALLOW:$lineno: a rule without a reason" ;;
	esac
	case "$line" in
	'cgroup: '*) sides=ref line=${line#cgroup: } ;;
	'tcgroup: '*) sides=tcg line=${line#tcgroup: } ;;
	*) sides=$SIDES ;;
	esac
	for side in $sides; do
		echo "${line%% # *}" >>"$work/rules.$side"
	done
done <"$ALLOW"
for side in $SIDES; do
	echo x | grep -E -f "$work/rules.$side" >/dev/null
	[ $? -le 1 ] || ktap_exit_fail_msg "$ALLOW: a regular expression does not compile"
done

# Each side: a directory with the agent, its log and the mount point. The
# kernel runs the agent with only HOME=/ and PATH set: it names its log by
# absolute path.
for side in $SIDES; do
	mkdir -p "$work/$side/mnt"
	printf '#!/bin/sh\necho "$1" >>%s\n' "$work/$side/agent.log" >"$work/$side/agent"
	chmod 0755 "$work/$side/agent"
done

# mount_side SIDE NAME: a fresh hierarchy of the side's filesystem type.
mount_side() {
	fs=cgroup
	[ "$1" = tcg ] && fs=tcgroup
	mount -t "$fs" -o "none,name=$2,release_agent=$work/$1/agent" none "$work/$1/mnt"
}

# teardown_side SIDE: no agent any more, every group removed (deepest first),
# unmounted. A hierarchy left with groups outlives its mount; its name is
# never used again.
teardown_side() {
	m=$work/$1/mnt
	grep -q " $m " /proc/self/mounts || return 0
	echo >"$m/release_agent"
	find "$m" -mindepth 1 -depth -type d -exec rmdir {} \; 2>/dev/null
	umount "$m" || ktap_print_msg "$1: umount failed"
}

# ktap_print_msg word-splits and globs its arguments: a line as it is.
print_line() {
	printf '# %s\n' "$1"
}

n=0
for sc in $scenarios; do
	n=$((n + 1))
	ok=1
	for side in $SIDES; do
		d=$work/$side
		: >"$d/agent.log"
		rm -f "$d/agent2"
		if ! mount_side "$side" "${side}_$$_$n"; then
			ktap_print_msg "$side: mount failed"
			ok=0
			echo "mount failed" >"$d/out"
			continue
		fi
		"$RUNNER" "$d/mnt" "$sc" "$d/agent.log" >"$d/out" 2>"$d/err"
		rc=$?
		if [ $rc -ne 0 ]; then
			ok=0
			ktap_print_msg "$side: tcgroup_scenario exited with $rc"
			while IFS= read -r line; do
				print_line "$side: $line"
			done <"$d/err"
		fi
		teardown_side "$side"
		grep -v -E -f "$work/rules.$side" "$d/out" >"$d/filtered"
	done
	if ! diff -u "$work/ref/filtered" "$work/tcg/filtered" >"$work/diff"; then
		ok=0
		ktap_print_msg "$sc: transcripts differ (- cgroup v1, + tcgroup):"
		while IFS= read -r line; do
			print_line "$line"
		done <"$work/diff"
	fi
	if [ "${TCGROUP_DIFF_VERBOSE:-0}" = 1 ]; then
		for side in $SIDES; do
			while IFS= read -r line; do
				print_line "$side| $line"
			done <"$work/$side/out"
		done
	fi
	if [ $ok -eq 1 ]; then
		ktap_test_pass "$sc"
	else
		ktap_test_fail "$sc"
	fi
done

ktap_finished
