#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The module's KUnit suites (the `#[kunit_tests]` modules at the end of
# rust/*.rs: mount options, names, pid and number parsing, paths, strip):
# KUnit runs them when tcgroup.ko is loaded and keeps their KTAP results in
# debugfs, /sys/kernel/debug/kunit/tcgroup_*/results. Each case is reported
# here as one result, SUITE.CASE, with KUnit's diagnostics before it; a suite
# whose plan and results disagree, or that failed without a failed case, is
# one more failed result. The module is loaded (tcgroup_lib.sh's
# load_module: insmod $TCGROUP_KO, or modprobe when installed) if it is not,
# and unloaded again at the end.
#
# Where the module has no suites (a kernel without CONFIG_KUNIT, or without
# `#[kunit_tests]`, before Linux 6.15: 6.12) the test skips, unless
# TCGROUP_KUNIT=required (the harness sets it on kernels that have them)
# makes their absence a failure. Busybox sh.

DIR="$(dirname "$(readlink -f "$0")")"
# shellcheck source=tcgroup_lib.sh
. "$DIR/tcgroup_lib.sh"

KUNIT=/sys/kernel/debug/kunit

ktap_print_header

if [ "$(id -u)" -ne 0 ]; then
	ktap_skip_all "must be run as root"
	exit "$KSFT_SKIP"
fi

loaded_here=0
out=
restore() {
	[ -n "$out" ] && rm -f "$out"
	if [ "$loaded_here" -eq 1 ]; then
		rmmod_poll 120 || ktap_print_msg "could not unload tcgroup as it was at the start"
	fi
}
trap restore EXIT
trap 'exit "$KSFT_FAIL"' HUP INT TERM

if [ ! -d "$KUNIT" ] && ! grep -q '^[^ ]* /sys/kernel/debug debugfs ' /proc/mounts; then
	mount -t debugfs none /sys/kernel/debug 2>/dev/null
fi
if ! mod_loaded; then
	if ! why=$(module_available); then
		ktap_skip_all "tcgroup is not loaded: $why"
		exit "$KSFT_SKIP"
	fi
	# The suites run during the load, before insmod or modprobe returns.
	r=$(load_module 2>&1) || ktap_exit_fail_msg "$(load_how): $r"
	loaded_here=1
fi

suites=$(ls -d "$KUNIT"/tcgroup_* 2>/dev/null)
if [ -z "$suites" ]; then
	if [ "${TCGROUP_KUNIT:-}" = required ]; then
		ktap_set_plan 1
		if [ -d "$KUNIT" ]; then
			ktap_print_msg "no tcgroup_* suite in $KUNIT: $(ls "$KUNIT" | tr '\n' ' ')"
		else
			ktap_print_msg "no $KUNIT (CONFIG_KUNIT_DEBUGFS, debugfs)"
		fi
		ktap_test_fail "tcgroup's KUnit suites ran at load"
		ktap_finished
	fi
	ktap_skip_all "tcgroup.ko has no KUnit suites on this kernel" \
		"(they need CONFIG_KUNIT=y and Rust's #[kunit_tests], Linux 6.15 or later)"
	exit "$KSFT_SKIP"
fi

# Each suite's results, one KTAP document of one subtest (lib/kunit/debugfs.c):
#
#	KTAP version 1
#	1..1
#	    KTAP version 1
#	    # Subtest: SUITE
#	    1..N
#	    # CASE: ASSERTION FAILED at ...     (diagnostics, indented)
#	    not ok 1 CASE
#	    ok 2 CASE # SKIP reason
#	ok 1 SUITE
#
# become the results `ok SUITE.CASE [# directive]` (unnumbered) and `# `
# diagnostic lines in $out.
out=$(mktemp /tmp/tcgroup_kunit.XXXXXX) || ktap_exit_fail_msg "mktemp failed"
for s in $suites; do
	awk -v suite="${s##*/}" '
	function result(status, name, directive) {
		print status " " name (directive != "" ? " # " directive : "")
	}
	/^    1\.\.[0-9]+$/ && plan == "" { plan = substr($1, 4) + 0; next }
	/^    (not ok|ok) [0-9]+ / {
		line = substr($0, 5)
		status = "ok"
		if (line ~ /^not ok /) {
			status = "not ok"
			line = substr(line, 8)
		} else {
			line = substr(line, 4)
		}
		sub(/^[0-9]+ /, "", line)
		directive = ""
		i = index(line, " # ")
		if (i > 0) {
			directive = substr(line, i + 3)
			line = substr(line, 1, i - 1)
		}
		if (status != "ok" && directive !~ /^SKIP/)
			failed++
		n++
		result(status, suite "." line, directive)
		next
	}
	/^not ok 1 / { suite_failed = 1; next }
	/^ok 1 / { suite_ok = 1; next }
	/^    / {
		line = substr($0, 5)
		# Not the headers, nor the attributes (`# CASE.speed: normal`).
		if (line ~ /^KTAP version / || line ~ /^# Subtest: / ||
		    line ~ /^# ([A-Za-z0-9_]+\.)?(speed|module|is_init): /)
			next
		print "# " (line ~ /^# / ? substr(line, 3) : line)
	}
	END {
		if (plan == "" || n != plan)
			result("not ok", suite,
			       "plan of " (plan == "" ? "none" : plan) " but " n " case results")
		else if (suite_failed && !failed)
			result("not ok", suite, "the suite failed, no case did")
		else if (!suite_failed && !suite_ok)
			result("not ok", suite, "no suite result")
	}' "$s/results" >>"$out"
done

ktap_set_plan "$(grep -c -E '^(not )?ok ' "$out")"
while IFS= read -r line; do
	case "$line" in
	"# "*)
		echo "$line"
		;;
	"not ok "*)
		# A failed result is reported with its reason as a diagnostic.
		name=${line#not ok }
		case "$name" in
		*" # "*) ktap_print_msg "${name#* # }" ;;
		esac
		ktap_test_fail "${name%% # *}"
		;;
	"ok "*" # SKIP"*)
		name=${line#ok }
		__ktap_test ok "${name%% # *}" "${name#* # }"
		KTAP_CNT_SKIP=$((KTAP_CNT_SKIP + 1))
		;;
	"ok "*)
		name=${line#ok }
		ktap_test_pass "${name%% # *}"
		;;
	esac
done <"$out"
ktap_finished
