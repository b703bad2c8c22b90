#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What ctlite does when things go wrong underneath it: entry allocations
# that fail (failslab, limited to ctlite's caches by the guest's
# slub_debug=A,ctlite_entry4,ctlite_entry6).
. "$(dirname "$0")/lib.sh"

FAILSLAB=/sys/kernel/debug/failslab

failslab_on() {
	echo Y >"$FAILSLAB/cache-filter"	# only caches created with failslab: ours
	echo Y >"$FAILSLAB/ignore-gfp-wait"	# only GFP_ATOMIC: the packet path
	echo 0 >"$FAILSLAB/verbose"		# no stack dump per failure
	echo 1 >"$FAILSLAB/interval"
	echo -1 >"$FAILSLAB/times"
	echo 100 >"$FAILSLAB/probability"
}
failslab_off() { echo 0 >"$FAILSLAB/probability"; }

# Every new flow's entry allocation fails: its packet is dropped, counted
# and logged; known flows go on; once allocations work again new flows are
# tracked; unload frees everything and leaves the caches empty.
failed_allocations_drop_new_flows_and_leak_nothing() {
	ctlite_load
	expect_eq "$(</sys/kernel/slab/ctlite_entry4/failslab)" 1 \
		"ctlite_entry4 made with failslab (slub_debug=A on the guest's command line)"
	netns_pair
	trap 'failslab_off; netns_cleanup' EXIT
	ct_sysctl_pair timeout_udp 600
	peer_a udp-send 10.99.0.2 9999 5 43000		# 5 flows, in ct-a and ct-b
	expect_eq "$(ct_count_pair)" 10 "entries before the failures"
	local found
	found=$(ct_stat ct-a found)

	kmsg_mark
	failslab_on
	peer_a udp-send 10.99.0.2 9999 20 44000		# 20 new flows: no entry
	peer_a udp-send 10.99.0.2 9999 5 43000		# the 5 known ones again
	failslab_off
	expect_eq "$(ct_count_pair)" 10 "entries after the failures"
	expect_eq "$(ct_stat ct-a alloc_failed)" 20 "ct-a alloc_failed"
	expect_eq "$(ct_stat ct-a new)" 5 "ct-a new"
	# dropped at ct-a's LOCAL_OUT: ct-b never saw them
	expect_eq "$(ct_stat ct-b alloc_failed)" 0 "ct-b alloc_failed"
	expect_eq "$(ct_stat ct-b new)" 5 "ct-b new"
	expect_eq "$(($(ct_stat ct-a found) - found))" 5 "known flows found during the failures"
	ctlite_log | grep -qx 'ctlite: no memory for a new entry, dropping packet' ||
		die "no allocation-failure line; ctlite logged: $(ctlite_log)"

	# allocations work again: new flows are tracked
	peer_a udp-send 10.99.0.2 9999 3 45000
	expect_eq "$(ct_count_pair)" 16 "entries once allocations work"
	kmsg_mark
	rmmod ctlite
	ctlite_log | grep -qx 'ctlite: unloaded, 16 entries freed' ||
		die "unload line; ctlite logged: $(ctlite_log)"
	[ ! -e /sys/kernel/slab/ctlite_entry4 ] || die "ctlite_entry4 outlived the module"
	echo "# 20 of 20 new flows dropped for want of memory, 5 known flows passed meanwhile"
}

run_tests failed_allocations_drop_new_flows_and_leak_nothing
