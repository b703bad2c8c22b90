#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What the operator hears before and when the table fills: one warning per
# crossing of 80% and 95% of max, re-armed once the table empties again,
# and, after "table full", a line naming who filled it; what they can
# change live: max, and the bucket array (resized under a flood).
. "$(dirname "$0")/lib.sh"

# Lines of the kernel log since the mark that match the ERE, counted
log_count() { ctlite_log | grep -cE "$1" || true; }

fill_warnings_come_once_per_crossing() {
	# every unanswered UDP flow between the namespaces costs 2 entries
	ctlite_load hashsize=64 max=100
	netns_pair
	# lives short enough for the GC to empty the table at the end, long
	# enough to fill it in a slow guest, and not shortened as it fills
	ct_sysctl_pair adaptive_start 0
	ct_sysctl_pair timeout_udp 10
	kmsg_mark
	# 96 entries, from one process so that the fill takes a fraction of
	# the lifetime on any guest; each line names the count it fired at,
	# so one look at the log afterwards shows when each came
	peer_a udp-send 10.99.0.2 9999 48 46000
	expect_eq "$(ct_count_pair)" 96 "entries after filling"
	expect_eq "$(log_count 'table [0-9]+% full')" 2 "fill warnings"
	expect_eq "$(log_count '^ctlite: table 80% full \(80 of 100 entries\)$')" 1 "80% warnings at 80 entries"
	expect_eq "$(log_count '^ctlite: table 95% full \((95|96) of 100 entries\)$')" 1 "95% warnings at 95 or 96 entries"
	# the GC empties the table: both re-arm, and the next crossing warns again
	wait_for '[ "$(ct_count_pair)" = 0 ]' 60 >/dev/null ||
		die "$(ct_count_pair) entries left after 60 s"
	peer_a udp-send 10.99.0.2 9999 40 46400
	expect_eq "$(log_count 'table 80% full')" 2 "80% warnings after refilling"
}

table_full_line_names_who_filled_it() {
	ctlite_load hashsize=64 max=20
	netns_pair
	ct_sysctl_pair early_drop 0
	kmsg_mark
	peer_a udp-send 10.99.0.2 9999 15 47000
	ctlite_log | grep -qx 'ctlite: table full, dropping packet' ||
		die "no table-full line; ctlite logged: $(ctlite_log)"
	# all 20 entries were opened by ct-a's address, in ct-a and in ct-b
	ctlite_log | grep -qxE 'ctlite: table full: 20 entries sampled near the new flow, from 1 source; most: 10\.99\.0\.1 \(20\)' ||
		die "no top-sources line; ctlite logged: $(ctlite_log)"
}

max_raise_and_lower_take_effect_at_once() {
	ctlite_load hashsize=64 max=20
	netns_pair
	# nothing ages out or is early-dropped meanwhile
	ct_sysctl_pair adaptive_start 0
	ct_sysctl_pair timeout_udp 300
	ct_sysctl_pair early_drop 0
	peer_a udp-send 10.99.0.2 9999 10 48000		# 20 entries: full
	peer_a udp-send 10.99.0.2 9999 1 48100
	expect_eq "$(ct_count_pair)" 20 "entries in the full table"
	# raised: the next new flow gets in at once
	sysctl -qw net.ctlite.max=40
	peer_a udp-send 10.99.0.2 9999 1 48200
	expect_eq "$(ct_count_pair)" 22 "entries after raising max to 40"
	# lowered below count: nothing is evicted, nothing new admitted,
	# not even with early drop on
	sysctl -qw net.ctlite.max=10
	expect_eq "$(ct_count_pair)" 22 "entries after lowering max to 10"
	ct_sysctl_pair early_drop 1
	peer_a udp-send 10.99.0.2 9999 1 48300
	expect_eq "$(ct_count_pair)" 22 "entries after a new flow under max=10"
	expect_eq "$(ct_stat ct-a early_drop)" 0 "ct-a early drops under a lowered max"
	# known flows still pass and are still found
	local found
	found=$(ct_stat ct-a found)
	peer_a udp-send 10.99.0.2 9999 1 48000
	[ "$(ct_stat ct-a found)" -gt "$found" ] || die "a known flow was not found"
	# the limit cannot exceed what half of RAM holds (1 GiB guest)
	! echo 1073741824 >/proc/sys/net/ctlite/max 2>/dev/null || die "max beyond RAM accepted"
	expect_eq "$(sysctl -n net.ctlite.max)" 10 "max after a write beyond RAM"
}

# The UDP flows to port 9999 that netns NS tracks, without the timeout
flows_to_9999() { ct_lines "$1" 'dport=9999 ' | awk '{ $5 = ""; print }' | sort; }

resize_under_flood_keeps_every_entry() {
	ctlite_load hashsize=64 max=50000
	netns_pair
	ct_sysctl_pair adaptive_start 0
	ct_sysctl_pair timeout_udp 600
	peer_a udp-send 10.99.0.2 9999 300 50000	# tracked in ct-a and ct-b
	local before_a before_b
	before_a=$(flows_to_9999 ct-a)
	before_b=$(flows_to_9999 ct-b)
	expect_eq "$(wc -l <<<"$before_a")" 300 "flows in ct-a"
	# SYNs to a closed port: each flow is made, answered by an RST and
	# evicted, in both namespaces, while the table is resized.  The flood
	# (500 a second) goes on until at least 6 resizes and 2000 of its flows
	# have happened, however fast or slow the guest, then stops.
	kmsg_mark
	# (the peer itself, not peer_a: its subshell would be what $! names,
	# and killing that would leave the flood running)
	"$PEER" -n ct-a syn-flood 10.99.0.2 8080 100000 7 500 &
	local flood=$! sizes=(16 4096 1000 65536 128 2048) i=0 size v made
	while [ "$i" -lt 6 ] || [ $(($(ct_stat ct-b new) - 300)) -lt 2000 ]; do
		kill -0 "$flood" 2>/dev/null ||
			die "the flood ended after $i resizes and $(($(ct_stat ct-b new) - 300)) flows"
		size=${sizes[$((i % 6))]}
		# through the sysctl and through the parameter in turn
		if ((i % 2)); then
			echo "$size" >/sys/module/ctlite/parameters/hashsize
		else
			echo "$size" >/proc/sys/net/ctlite/buckets
		fi
		read -r v </proc/sys/net/ctlite/buckets
		expect_eq "$v" "$size" "buckets after resize $i"
		read -r v </sys/module/ctlite/parameters/hashsize
		expect_eq "$v" "$size" "hashsize after resize $i"
		i=$((i + 1))
	done
	kill "$flood" 2>/dev/null || true
	wait "$flood" || true
	made=$(($(ct_stat ct-b new) - 300))
	# every flow kept its entry, state and flags ...
	[ "$(flows_to_9999 ct-a)" = "$before_a" ] || die "ct-a's flows changed: $(diff <(echo "$before_a") <(flows_to_9999 ct-a))"
	[ "$(flows_to_9999 ct-b)" = "$before_b" ] || die "ct-b's flows changed: $(diff <(echo "$before_b") <(flows_to_9999 ct-b))"
	# ... and a lookup still finds each: their next packets start nothing new
	local new found
	new=$(ct_stat ct-a new)
	found=$(ct_stat ct-a found)
	peer_a udp-send 10.99.0.2 9999 300 50000
	expect_eq "$(ct_stat ct-a new)" "$new" "new flows in ct-a after the resends"
	expect_eq "$(($(ct_stat ct-a found) - found))" 300 "resends found in ct-a"
	# one line per resize, with the pause it caused
	local pauses
	pauses=$(ctlite_log | sed -nE 's/^ctlite: resized from [0-9]+ to [0-9]+ buckets: [0-9]+ entries moved, new flows waited ([0-9]+) us$/\1/p')
	expect_eq "$(wc -l <<<"$pauses")" "$i" "resize lines"
	echo "# $i resizes during a SYN flood ($made flows made and reset in ct-b); pauses in us: $(echo $pauses)"
}

TUNE=$CTLITE_TOP/scripts/ctlite-tune

# --apply (its figures and refusals are packaging.sh's, on the host): with
# --fixed it resizes the live table, then sets max; without, only max,
# and the table keeps the buckets it has
ctlite_tune_applies() {
	local rc=0
	"$TUNE" --entries 20000 --fixed --apply >/dev/null 2>&1 || rc=$?
	expect_eq "$rc" 1 "--apply without ctlite loaded"
	ctlite_load
	"$TUNE" --entries 20000 --fixed --apply >/dev/null
	expect_eq "$(sysctl -n net.ctlite.buckets)" 20000 "buckets after --apply --fixed"
	expect_eq "$(sysctl -n net.ctlite.max)" 20000 "max after --apply --fixed"
	"$TUNE" --entries 30000 --apply >/dev/null
	expect_eq "$(sysctl -n net.ctlite.max)" 30000 "max after --apply"
	expect_eq "$(sysctl -n net.ctlite.buckets)" 20000 "buckets after --apply without --fixed"
}

run_tests \
	fill_warnings_come_once_per_crossing \
	table_full_line_names_who_filled_it \
	max_raise_and_lower_take_effect_at_once \
	resize_under_flood_keeps_every_entry \
	ctlite_tune_applies
