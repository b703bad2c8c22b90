#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs inside the test guest (started by init.sh): loads ctlite and its
# KUnit suite and collects their KTAP, runs every tests/scripts/*.sh (TAP),
# then looks for leaks (kmemleak) and kernel reports (dmesg).  With
# ctlite_guest=demo (make demo) it tells scripts/demo.sh's story instead of
# running the tests, then looks for leaks and reports the same way.  Every result
# is one TAP line on stdout and in results/tap.log; results/done marks a
# run that got to its end.
set -uo pipefail

top=$ctlite_top
export CTLITE_TOP=$top CTLITE_MODS=$ctlite_mods
results=/run/results
tap=$results/tap.log
only=${ctlite_only:-*}
# CTLITE_ONLY on the host: comma-separated globs of what runs, "kunit" or
# a tests/scripts name, or SCRIPT:SCENARIO for some scenarios of a script.
# selected NAME: whether NAME (kunit or a script) runs at all
selected() {
	local g globs
	IFS=, read -r -a globs <<<"$only"
	for g in "${globs[@]}"; do
		# shellcheck disable=SC2053
		[[ $1 == ${g%%:*} ]] && return 0
	done
	return 1
}
# scenarios SCRIPT: the scenario globs of SCRIPT, comma-separated, for
# run_tests (tests/scripts/lib.sh); "*" when a glob names the whole script
scenarios() {
	local g globs list=
	IFS=, read -r -a globs <<<"$only"
	for g in "${globs[@]}"; do
		# shellcheck disable=SC2053
		[[ $1 == ${g%%:*} ]] || continue
		[[ $g == *:* ]] || { echo '*'; return; }
		list+=${list:+,}${g#*:}
	done
	echo "$list"
}
script_timeout=${ctlite_script_timeout:-600}
n=0
: >"$tap"

# No tee: a process costs ~0.2 s in a TCG guest, and this runs per line
emit() { printf '%s\n' "$*"; printf '%s\n' "$*" >>"$tap"; }
pass() { n=$((n + 1)); emit "ok $n - $1"; }
fail() {
	n=$((n + 1)); emit "not ok $n - $1"; shift
	local line
	for line in "$@"; do emit "#   $line"; done
}
# Diagnostics from stdin, indented under the last result
diag() { sed 's/^/#   /' | tee -a "$tap"; }
check() { local name=$1; shift; if "$@"; then pass "$name"; else fail "$name"; fi; }

unload_all() {
	local m mods
	mods=$'\n'$(</proc/modules)
	for m in ctlite_test ctlite; do
		[[ $mods != *$'\n'"$m "* ]] || rmmod "$m"
	done
	return 0
}

sanity() {
	check "guest sees ${ctlite_cpus:-2} CPUs (nproc=$(nproc))" test "$(nproc)" -ge "${ctlite_cpus:-2}"
	check "coreutils timeout works" timeout 30 timeout 1 true
	# what ctlite.ko links against (modprobe would load them for it;
	# the tests insmod the build's module)
	check "ctlite's dependencies load (x_tables, nf_defrag_ipv6)" \
		modprobe -a x_tables nf_defrag_ipv6
}

# KUnit runs a suite when its module loads; read the KTAP each suite left
# in debugfs before the module (and its debugfs files) goes away.
kunit() {
	local out suite line name
	if ! out=$(insmod "$CTLITE_MODS/ctlite.ko" 2>&1); then
		fail "kunit: insmod ctlite.ko" "$out"; return
	fi
	if ! out=$(insmod "$CTLITE_MODS/ctlite_test.ko" 2>&1); then
		fail "kunit: insmod ctlite_test.ko" "$out"; unload_all; return
	fi
	local found=0 notes plan seen failed verdict
	for suite in /sys/kernel/debug/kunit/ctlite_*; do
		[ -r "$suite/results" ] || continue
		found=1
		cp "$suite/results" "$results/kunit-${suite##*/}.ktap"
		# Test cases are the KTAP lines one level (4 spaces) in; the
		# diagnostics of a failed case are the comments before it.
		notes=() plan=0 seen=0 failed=0 verdict=
		while IFS= read -r line; do
			case "$line" in
			"    ok "*"# SKIP"*)
				# a skipped case proved nothing: it fails the run
				name=${line#    ok }; name=${name#* }; name=${name#- }
				fail "kunit: ${suite##*/}.${name%% # SKIP*} (skipped:${name#* # SKIP})" \
					"${notes[@]}"; notes=()
				seen=$((seen + 1)) failed=1 ;;
			"    ok "*)
				name=${line#    ok }; name=${name#* }; name=${name#- }
				pass "kunit: ${suite##*/}.$name"; notes=()
				seen=$((seen + 1)) ;;
			"    not ok "*)
				name=${line#    not ok }; name=${name#* }; name=${name#- }
				fail "kunit: ${suite##*/}.$name" "${notes[@]}"; notes=()
				seen=$((seen + 1)) failed=1 ;;
			"    1.."*) plan=${line#    1..} ;;
			"    KTAP"* | "    # Subtest"*) ;;
			"    "*) notes+=("${line#    }") ;;
			"ok "* | "not ok "*) verdict=${line%% [0-9]*} ;;
			esac
		done <"$suite/results"
		# 6.1 keeps 512 bytes of log per test case: a long failure report
		# can push its own "not ok" line out.  Trust the plan and the
		# suite's verdict, never a missing line.
		if [ "$seen" != "$plan" ]; then
			fail "kunit: ${suite##*/}: $seen of $plan case results readable" \
			     "the console log has the whole KTAP" "${notes[@]}"
		elif [ "$verdict" = "not ok" ] && [ "$failed" = 0 ]; then
			fail "kunit: ${suite##*/}: the suite reports a failure" "${notes[@]}"
		fi
	done
	[ "$found" = 1 ] || fail "kunit: ctlite suites found in debugfs"
	check "kunit: rmmod ctlite_test ctlite" rmmod ctlite_test ctlite
}

# Each script prints "ok - name" / "not ok - name" lines (tests/scripts/lib.sh)
scripts() {
	local script name line before
	for script in "$top"/tests/scripts/[0-9]*.sh; do
		name=$(basename "$script" .sh)
		selected "$name" || continue
		emit "# $name"
		echo "ctlite-test: begin $name" >/dev/kmsg
		before=$n
		while IFS= read -r line; do
			case "$line" in
			"ok - "*) pass "$name: ${line#ok - }" ;;
			"not ok - "*) fail "$name: ${line#not ok - }" ;;
			"exit 0") ;;
			"exit "*) fail "$name: script ended with status ${line#exit }" \
				"124 means it ran over ${script_timeout}s" ;;
			*) emit "#   $line" ;;
			esac
		done < <(CTLITE_SCENARIOS=$(scenarios "$name") \
		CTLITE_STRESS=${CTLITE_STRESS:-short} \
		CTLITE_STRESS_TABLE=${CTLITE_STRESS_TABLE:-} \
		timeout -k 10 "$script_timeout" bash "$script" 2>&1; echo "exit $?")
		echo "ctlite-test: end $name" >/dev/kmsg
		[ "$n" != "$before" ] || fail "$name: ran and reported results"
		unload_all
	done
}

# make stress: the long form of the reliability run (tests/scripts/
# 60-reliability.sh with CTLITE_STRESS=long), its figures in
# results/stress-table.md
stress() {
	CTLITE_STRESS=long CTLITE_STRESS_TABLE=$results/stress-table.md \
		only=60-reliability script_timeout=${ctlite_script_timeout:-4800} scripts
}

# make bench: tests/bench/bench.sh on the non-debug kernel; its figures go
# to results/bench.tsv for tests/bench/report.py, its checks (every
# scenario produced figures for every tracker) are counted here
bench() {
	local line rc=1
	while IFS= read -r line; do
		case "$line" in
		"ok - "*) pass "${line#ok - }" ;;
		"not ok - "*) fail "${line#not ok - }" ;;
		"exit "*) rc=${line#exit } ;;
		*) emit "$line" ;;
		esac
	done < <(BENCH_MODE=${ctlite_bench:-full} BENCH_OUT=$results/bench.tsv \
		timeout -k 10 "${ctlite_script_timeout:-3300}" bash "$top/tests/bench/bench.sh" 2>&1
		echo "exit $?")
	check "bench: the run ended well" test "$rc" = 0
}

# make demo: the story, every line as it comes, and whether it all held
demo() {
	local line rc=1
	while IFS= read -r line; do
		case "$line" in
		"exit "*) rc=${line#exit } ;;
		*) emit "$line" ;;
		esac
	done < <(timeout -k 10 "$script_timeout" bash "$top/scripts/demo.sh" 2>&1; echo "exit $?")
	emit ""
	check "demo: every step behaved as told" test "$rc" = 0
}

# kmemleak only reports objects unreferenced for 5 s, and only after a scan.
# There is no scan at boot (it costs ~10 s under TCG): this kernel reports
# no leaks of its own, so whatever the one scan finds is a failure.
kmemleak_end() {
	local f=/sys/kernel/debug/kmemleak
	[ -w "$f" ] || { fail "kmemleak available"; return; }
	sleep 6
	echo scan >"$f"
	local leaks
	leaks=$(cat "$f")
	cp "$f" "$results/kmemleak.txt"
	if [ -z "$leaks" ]; then
		pass "kmemleak reports no leaks"
	else
		fail "kmemleak reports no leaks"
		head -n 40 <<<"$leaks" | diag
	fi
}

splats() {
	dmesg >"$results/dmesg.txt"
	local found
	found=$(grep -E -f "$top/tests/vm/splat-patterns" "$results/dmesg.txt" | head -n 20)
	if [ -z "$found" ]; then
		pass "dmesg free of kernel reports"
	else
		fail "dmesg free of kernel reports"
		diag <<<"$found"
	fi
}

emit "# ctlite guest: $(uname -r), $(nproc) CPUs"
if [ "${ctlite_guest:-check}" = demo ]; then
	demo
elif [ "$ctlite_guest" = stress ]; then
	sanity
	stress
elif [ "$ctlite_guest" = bench ]; then
	# the bench kernel has no kmemleak; reports are still looked for
	sanity
	bench
	unload_all
	splats
	emit "# guest done"
	echo "$n" >"$results/done"
	exit 0
else
	sanity
	if selected kunit; then
		kunit
	fi
	scripts
fi
unload_all
kmemleak_end
splats
emit "# guest done"
echo "$n" >"$results/done"
