# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Helpers shared by the tcgroup shell tests. A test sets DIR to its own
# directory and sources this file, which sources the kselftest KTAP helpers
# (or exits with the kselftest skip code where they are missing) and defines
# the module and mount helpers below. Busybox sh.

KTAP_HELPERS="$DIR/../kselftest/ktap_helpers.sh"
if [ ! -r "$KTAP_HELPERS" ]; then
	echo "$KTAP_HELPERS not found [SKIP]"
	exit 4
fi
# shellcheck source=/dev/null # the kernel tree's, not this one's
. "$KTAP_HELPERS"

# Whether tcgroup was loaded when the test began (unload_first() records it).
was_loaded=0

# Kills the given background jobs and reaps them. SIGKILL, not SIGTERM:
# busybox sh loses a SIGTERM that reaches a job between its fork and its exec
# when the shell traps TERM (as the tests do, for their clean-up), and the
# job then runs its whole course (measured: `sleep 100 &` killed at once
# lived 100 s).
kill_wait() {
	kill -KILL "$@" 2>/dev/null
	wait "$@" 2>/dev/null
}

# Whether tcgroup.ko is loaded.
mod_loaded() {
	grep -q '^tcgroup ' /proc/modules
}

# Whether tcgroup.ko is installed for the running kernel: depmod has indexed
# it in modules.dep (kmod and busybox write the same format).
mod_installed() {
	grep -Eq '(^|/)tcgroup\.ko(\.[a-z]+)?:' "/lib/modules/$(uname -r)/modules.dep" 2>/dev/null
}

# How the tests load the module: insmod $TCGROUP_KO when it is set, else
# `modprobe tcgroup` when the module is installed, else insmod
# /lib/modules/tcgroup.ko. TCGROUP_KO stays empty for modprobe.
if [ -z "${TCGROUP_KO:-}" ] && ! mod_installed; then
	TCGROUP_KO=/lib/modules/tcgroup.ko
fi
TCGROUP_KO=${TCGROUP_KO:-}

# The command load_module runs, for messages.
load_how() {
	if [ -n "$TCGROUP_KO" ]; then
		echo "insmod $TCGROUP_KO"
	else
		echo "modprobe tcgroup"
	fi
}

# Loads tcgroup as load_how says.
load_module() {
	if [ -n "$TCGROUP_KO" ]; then
		insmod "$TCGROUP_KO"
	else
		modprobe tcgroup
	fi
}

# Whether there is a module to load; prints why not.
module_available() {
	if [ -n "$TCGROUP_KO" ] && [ ! -f "$TCGROUP_KO" ]; then
		echo "no module at $TCGROUP_KO and none installed" \
			"(set TCGROUP_KO or install tcgroup.ko)"
		return 1
	fi
	return 0
}

# is_mounted DIR: whether a tcgroup is mounted at DIR.
is_mounted() {
	awk -v dir="$1" '$2 == dir && $3 == "tcgroup" { found = 1 } END { exit !found }' \
		/proc/mounts
}

# The module's reference count and tcgroup mount points, for a failure message.
module_state() {
	echo "module references: $(cat /sys/module/tcgroup/refcnt 2>/dev/null);" \
		"mounted: $(awk '$3 == "tcgroup" { printf "%s ", $2 }' /proc/mounts)"
}

# rmmod_poll SECONDS: polls rmmod tcgroup in 10 ms steps for at most SECONDS
# while the module is in use (EWOULDBLOCK, or EBUSY while it is still going):
# release work of an earlier test or case may hold it for a moment. Counts
# the refusals in $refused; returns 1 with a message on any other error or
# at the bound.
rmmod_poll() {
	_tries=$(($1 * 100))
	_n=0
	while [ $_n -lt $_tries ]; do
		out=$(rmmod tcgroup 2>&1) && return 0
		case "$out" in
		*"temporarily unavailable"* | *"in use"* | *[Bb]usy*) ;;
		*)
			ktap_print_msg "rmmod: $out"
			return 1
			;;
		esac
		refused=$((refused + 1))
		_n=$((_n + 1))
		sleep 0.01
	done
	ktap_print_msg "rmmod still refused after $1 s: $out; $(module_state)"
	return 1
}

# Records in $was_loaded whether tcgroup is loaded, then unloads it for the
# test to start from nothing (polling up to 120 s: a loaded debug guest may
# still run the previous test's release work). Exits failing if it can't.
unload_first() {
	was_loaded=0
	mod_loaded || return 0
	was_loaded=1
	rmmod_poll 120 || ktap_exit_fail_msg "tcgroup is loaded and cannot be unloaded first"
}

# Loads or unloads tcgroup to what $was_loaded recorded; for the EXIT trap.
restore_module() {
	if [ "$was_loaded" -eq 1 ]; then
		mod_loaded || load_module ||
			ktap_print_msg "could not reload tcgroup as it was at the start"
	else
		! mod_loaded || rmmod tcgroup ||
			ktap_print_msg "could not unload tcgroup as it was at the start"
	fi
}

# The scratch mount point of a test, made by scratch_mount.
mnt=

# Puts things back as they were: nothing mounted at $mnt, no $mnt, and
# tcgroup loaded exactly if it was at the start. scratch_mount runs it on
# every exit; a test may call it itself to check the module's state after.
restore() {
	if [ -n "$mnt" ]; then
		_n=0
		while is_mounted "$mnt" && [ $_n -lt 8 ]; do
			umount "$mnt" || umount -l "$mnt"
			_n=$((_n + 1))
		done
		rmdir "$mnt" || ktap_print_msg "could not remove $mnt"
		mnt=
	fi
	restore_module
}

# scratch_mount: unloads tcgroup for the test to start from nothing
# (unload_first), sets restore() to run on every exit and makes the empty
# directory $mnt to mount on.
scratch_mount() {
	trap restore EXIT
	trap 'exit "$KSFT_FAIL"' HUP INT TERM
	unload_first
	mnt=$(mktemp -d /tmp/tcgroup.XXXXXX) || ktap_exit_fail_msg "mktemp -d failed"
}
