#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The tracking table seen from user space: real TCP, UDP, ICMP and IPv6
# flows between two network namespaces show up in /proc/net/ctlite; a full
# table drops new flows, logs it and keeps established ones; sysctls; rmmod
# frees every entry.
. "$(dirname "$0")/lib.sh"

N='[0-9]+'
CLOSING='(FIN_WAIT|CLOSE_WAIT|LAST_ACK|TIME_WAIT)'

# Every kind of flow, in one pair of namespaces (each scenario's set-up
# costs seconds in the debug guest): a TCP connection, a UDP exchange, a
# ping, an IPv6 TCP connection and an unanswered datagram each show up in
# both namespaces as documented, one entry per flow.
flows_of_every_kind_show_up_in_both_namespaces() {
	ctlite_load
	netns_pair
	peer_b tcp-server 10.99.0.2 8080 &
	peer_b tcp-server fd99::2 8080 &
	peer_b udp-server 10.99.0.2 5353 &
	wait_listen ct-b tcp 8080
	wait_listen ct-b udp 5353
	local ns line
	# nothing may expire before the count at the end, however slow the
	# guest: unanswered UDP and ICMP live 30 s by default
	ct_sysctl_pair timeout_udp 600
	ct_sysctl_pair timeout_icmp 600

	# TCP, closed by the client: somewhere between FIN_WAIT and TIME_WAIT
	peer_a tcp-connect 10.99.0.2 8080 40001
	line="^ipv4 +2 tcp +6 $N $CLOSING src=10.99.0.1 dst=10.99.0.2 sport=40001 dport=8080 \[ASSURED\] *$"
	expect_entry ct-a "$line"
	expect_entry ct-b "$line"
	# one entry serves both directions
	expect_eq "$(ct_lines ct-a 'sport=40001|dport=40001' | wc -l)" 1 "entries for the TCP flow in ct-a"

	# one question and its answer: replied, not yet a stream (ASSURED
	# takes traffic 2 s after the first packet, as in nf_conntrack)
	peer_a udp-ask 10.99.0.2 5353
	line="^ipv4 +2 udp +17 $N src=10.99.0.1 dst=10.99.0.2 sport=$N dport=5353 *$"
	expect_entry ct-a "$line"
	expect_entry ct-b "$line"

	# the same exchange, still going 2 s later: a stream, ASSURED
	peer_a udp-send 10.99.0.2 5353 1 41500
	nap 2.1
	peer_a udp-send 10.99.0.2 5353 1 41500
	line="^ipv4 +2 udp +17 $N src=10.99.0.1 dst=10.99.0.2 sport=41500 dport=5353 \[ASSURED\] *$"
	expect_entry ct-a "$line"
	expect_entry ct-b "$line"

	# an answered ping: replied, never ASSURED
	in_a ping -c 1 -W 5 10.99.0.2 >/dev/null
	line="^ipv4 +2 icmp +1 $N src=10.99.0.1 dst=10.99.0.2 type=8 code=0 id=$N *$"
	expect_entry ct-a "$line"
	expect_entry ct-b "$line"

	wait_listen ct-b tcp6 8080
	peer_a tcp-connect fd99::2 8080 40002
	line="^ipv6 +10 tcp +6 $N $CLOSING src=fd99::1 dst=fd99::2 sport=40002 dport=8080 \[ASSURED\] *$"
	expect_entry ct-a "$line"
	expect_entry ct-b "$line"

	# nothing listens on 9999: the datagram gets no answer
	peer_a udp-send 10.99.0.2 9999 1 41000
	expect_entry ct-a "^ipv4 +2 udp +17 $N src=10.99.0.1 dst=10.99.0.2 sport=41000 dport=9999 \[UNREPLIED\] *$"

	# nothing else: exactly these six flows in each namespace
	for ns in ct-a ct-b; do
		expect_eq "$(ct_entries "$ns")" 6 "entries in $ns"
	done
}

full_table_drops_new_flows_and_keeps_established() {
	# every flow between the namespaces costs one entry in each
	ctlite_load hashsize=16 max=10
	netns_pair
	# unanswered flows would be early-dropped to admit new ones
	ct_sysctl_pair early_drop 0
	peer_b tcp-server 10.99.0.2 8080 &
	wait_listen ct-b tcp 8080
	coproc SESSION { peer_a tcp-session 10.99.0.2 8080; }
	local reply
	read -r -t 60 reply <&"${SESSION[0]}" || die "session did not connect"
	expect_eq "$reply" connected "session"

	kmsg_mark
	peer_a udp-send 10.99.0.2 9999 30 42000
	local count_a count_b
	count_a=$(ns_sysctl ct-a net.ctlite.count)
	count_b=$(ns_sysctl ct-b net.ctlite.count)
	expect_eq "$((count_a + count_b))" 10 "entries in ct-a + ct-b"
	[ "$(ct_stat ct-a drop)" -gt 0 ] || die "ct-a drop counter is 0: $(in_a cat /proc/net/stat/ctlite)"
	ctlite_log | grep -qx 'ctlite: table full, dropping packet' ||
		die "no table-full line; ctlite logged: $(ctlite_log)"

	# the established connection still works
	echo still-here >&"${SESSION[1]}"
	read -r -t 60 reply <&"${SESSION[0]}" || die "session got no answer"
	expect_eq "$reply" still-here "echo over the established connection"
}

sysctls_show_and_bound_the_table() {
	ctlite_load hashsize=2048 max=5000
	expect_eq "$(sysctl -n net.ctlite.buckets)" 2048 buckets
	expect_eq "$(sysctl -n net.ctlite.max)" 5000 max
	expect_eq "$(sysctl -n net.ctlite.count)" 0 count
	sysctl -qw net.ctlite.max=6000
	expect_eq "$(sysctl -n net.ctlite.max)" 6000 "max after a write"
	expect_eq "$(ctlite_param max)" 6000 "max parameter follows the sysctl"
	local bad
	for bad in 0 -1 1073741825 abc ''; do
		! echo "$bad" >/proc/sys/net/ctlite/max 2>/dev/null || die "max=$bad accepted"
		expect_eq "$(sysctl -n net.ctlite.max)" 6000 "max after writing '$bad'"
	done
	! echo 10 >/proc/sys/net/ctlite/count 2>/dev/null || die "count is writable"
	# buckets resizes; out of its range it is refused with a log line
	for bad in 0 15 16777217 -1 abc ''; do
		! echo "$bad" >/proc/sys/net/ctlite/buckets 2>/dev/null || die "buckets=$bad accepted"
		expect_eq "$(sysctl -n net.ctlite.buckets)" 2048 "buckets after writing '$bad'"
	done
	kmsg_mark
	! echo 15 >/sys/module/ctlite/parameters/hashsize 2>/dev/null || die "hashsize=15 accepted"
	ctlite_log | grep -qx 'ctlite: hashsize 15 refused: out of range (16\.\.16777216)' ||
		die "no refusal line; ctlite logged: $(ctlite_log)"
	expect_eq "$(ctlite_param hashsize)" 2048 "hashsize after writing 15"
	# the shared table is sized from the initial namespace only
	netns_pair
	expect_eq "$(ns_sysctl ct-a net.ctlite.max)" 6000 "max seen in ct-a"
	! ns_sysctl ct-a net.ctlite.max=7 2>/dev/null || die "max writable in ct-a"
	expect_eq "$(sysctl -n net.ctlite.max)" 6000 "max after a write from ct-a"
	expect_eq "$(ns_sysctl ct-a net.ctlite.buckets)" 2048 "buckets seen in ct-a"
	! ns_sysctl ct-a net.ctlite.buckets=4096 2>/dev/null || die "buckets writable in ct-a"
	! in_a sh -c 'echo 4096 >/sys/module/ctlite/parameters/hashsize' 2>/dev/null ||
		die "hashsize writable from ct-a"
	expect_eq "$(sysctl -n net.ctlite.buckets)" 2048 "buckets after writes from ct-a"
}

proc_files_have_the_documented_shape() {
	ctlite_load
	expect_eq "$(stat -c %a /proc/net/ctlite)" 440 "/proc/net/ctlite mode"
	local header
	header=$(head -n 1 /proc/net/stat/ctlite)
	expect_eq "$header" "entries found new invalid ignore insert_failed drop alloc_failed early_drop rst_evict expired searched gc_runs chaintoolong unconfirmed related events_lost" "stat header"
	expect_eq "$(($(wc -l </proc/net/stat/ctlite) - 1))" "$(nproc)" "one stat row per CPU"
}

rmmod_frees_every_entry() {
	ctlite_load
	netns_pair
	peer_b udp-server 10.99.0.2 5353 &
	wait_listen ct-b udp 5353
	peer_a udp-send 10.99.0.2 5353 20 43000
	in_a ping -c 1 -W 5 fd99::2 >/dev/null
	local total
	total=$(( $(sysctl -n net.ctlite.count) + $(ns_sysctl ct-a net.ctlite.count) +
		  $(ns_sysctl ct-b net.ctlite.count) ))
	[ "$total" -ge 42 ] || die "only $total entries made"
	kmsg_mark
	rmmod ctlite
	ctlite_log | grep -qx "ctlite: unloaded, $total entries freed" ||
		die "want 'unloaded, $total entries freed'; ctlite logged: $(ctlite_log)"
}

netns_exit_frees_its_entries() {
	ctlite_load
	netns_pair
	peer_b udp-server 10.99.0.2 5353 &
	wait_listen ct-b udp 5353
	peer_a udp-send 10.99.0.2 5353 10 44000
	[ "$(ns_sysctl ct-b net.ctlite.count)" -ge 10 ] || die "ct-b has no entries"
	local kept=$(( $(sysctl -n net.ctlite.count) + $(ns_sysctl ct-a net.ctlite.count) ))
	netns_kill ct-b
	ip netns del ct-b
	# ct-b's cleanup removes veth-a too, after ctlite's netns exit ran
	# (pernet exits run in reverse order of registration)
	# (ct-a's device list through its sleeper: no process per look)
	veth_a_gone() { [[ $(<"$(ns_proc_net ct-a)/dev") != *veth-a:* ]]; }
	wait_for veth_a_gone 30 >/dev/null || die "ct-b was not cleaned up"
	kmsg_mark
	rmmod ctlite
	ctlite_log | grep -qx "ctlite: unloaded, $kept entries freed" ||
		die "want 'unloaded, $kept entries freed' (ct-b's gone already); logged: $(ctlite_log)"
}

run_tests \
	flows_of_every_kind_show_up_in_both_namespaces \
	full_table_drops_new_flows_and_keeps_established \
	sysctls_show_and_bound_the_table \
	proc_files_have_the_documented_shape \
	rmmod_frees_every_entry \
	netns_exit_frees_its_entries
