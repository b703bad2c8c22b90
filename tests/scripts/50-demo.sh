#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo's story (scripts/demo.sh), run as a test: every step must
# behave as the story tells it.
. "$(dirname "$0")/lib.sh"

demo_steps_all_behave_as_told() {
	local out rc=0
	# 3 clients per look instead of 5: the same story, and a locked-out
	# look waits 2 s per client
	out=$(CTLITE_DEMO_CLIENTS=3 bash "$CTLITE_TOP/scripts/demo.sh" 2>&1) || rc=$?
	echo "$out"
	expect_eq "$rc" 0 "demo's exit status"
	grep -qE '^([0-9]+) of \1 steps behaved as told$' <<<"$out" || die "no summary line"
	# its figures, as this run's notes (the summary repeats the verdicts)
	grep -E '^ +(\[ok\]|ctlite: resized|entries compared|packets dropped)' <<<"$out" |
		awk '!seen[$0]++ { sub(/^ */, "# "); print }'
}

run_tests demo_steps_all_behave_as_told
