#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Entry lifetimes seen from user space: an RST ends a connection's entries
# at once; a FIN close goes through TIME_WAIT and expires; the GC empties
# the table on time; every lifetime sysctl is range-checked.  A SYN flood
# against early drop, on and off, is make demo's story: 50-demo.sh.
. "$(dirname "$0")/lib.sh"


no_entry() { ! ct_lines "$1" "sport=$2 " >/dev/null; }

# With rst_evict on, an RST ends its connection's entries at once; turned
# off (live), the next reset connection's entry goes to CLOSE instead.
# Nothing here races the clock: the waits end as soon as what they wait
# for holds, and a CLOSE entry lives long enough to be read on a guest
# many times slower than ours.
rst_ends_the_connection_entry_unless_rst_evict_off() {
	ctlite_load
	netns_pair
	peer_b tcp-server 10.99.0.2 8080 &
	wait_listen ct-b tcp 8080
	peer_a tcp-rst 10.99.0.2 8080 40100
	# ct-a saw its RST leave; ct-b sees it come in through the veth
	no_entry ct-a 40100 || die "ct-a still has: $(ct_lines ct-a 'sport=40100 ')"
	wait_for "no_entry ct-b 40100" 20 >/dev/null ||
		die "ct-b still has: $(ct_lines ct-b 'sport=40100 ')"
	expect_eq "$(ct_stat ct-a rst_evict)" 1 "ct-a rst_evict"
	expect_eq "$(ct_stat ct-b rst_evict)" 1 "ct-b rst_evict"

	ct_sysctl_pair rst_evict 0
	ct_sysctl_pair timeout_tcp_close 100
	peer_a tcp-rst 10.99.0.2 8080 40101
	expect_entry ct-a "^ipv4 +2 tcp +6 ([0-9]|[1-9][0-9]|100) CLOSE src=10.99.0.1 dst=10.99.0.2 sport=40101 dport=8080 \[ASSURED\] *$"
	expect_eq "$(ct_stat ct-a rst_evict)" 1 "ct-a rst_evict after rst_evict=0"
}

# A FIN close goes through TIME_WAIT (seen under a TIME_WAIT timeout long
# enough to catch it on any guest), and a TIME_WAIT entry expires on time
# (a second connection under a 2 s timeout, followed through counters,
# which no expiry can race)
fin_close_goes_through_time_wait_and_expires() {
	ctlite_load
	netns_pair
	ct_sysctl_pair timeout_tcp_time_wait 100
	peer_b tcp-server 10.99.0.2 8080 &
	wait_listen ct-b tcp 8080
	peer_a tcp-connect 10.99.0.2 8080 40102
	# the server closes its side on its next turn (within a second)
	local line
	wait_for "ct_lines ct-a 'TIME_WAIT .*sport=40102 ' >/dev/null" 30 >/dev/null ||
		die "no TIME_WAIT entry in ct-a: $(ct_lines ct-a 'sport=40102 ')"
	line=$(ct_lines ct-a 'TIME_WAIT .*sport=40102 ')
	grep -Eq "^ipv4 +2 tcp +6 ([0-9]|[1-9][0-9]|100) TIME_WAIT src=10.99.0.1 dst=10.99.0.2 sport=40102 dport=8080 \[ASSURED\] *$" <<<"$line" ||
		die "TIME_WAIT entry: $line"
	expect_entry ct-b "TIME_WAIT src=10.99.0.1 dst=10.99.0.2 sport=40102 "

	# the same close under a 2 s TIME_WAIT: made once in each namespace,
	# gone without an RST, and the GC (which counts in the initial
	# namespace) expired both
	ct_sysctl_pair timeout_tcp_time_wait 2
	local new_a new_b expired rst closed
	new_a=$(ct_stat ct-a new) new_b=$(ct_stat ct-b new)
	expired=$(ct_stat '' expired)
	rst=$(( $(ct_stat ct-a rst_evict) + $(ct_stat ct-b rst_evict) ))
	peer_a tcp-connect 10.99.0.2 8080 40103
	closed=$SECONDS
	expect_eq "$(ct_stat ct-a new)" $((new_a + 1)) "entries made in ct-a"
	expect_eq "$(ct_stat ct-b new)" $((new_b + 1)) "entries made in ct-b"
	# 2 s of TIME_WAIT once the server closed, then the GC's pass that the
	# TIME_WAIT deadline brought forward
	wait_for "no_entry ct-a 40103 && no_entry ct-b 40103" 30 >/dev/null ||
		die "still there after 30 s: $(ct_lines ct-a 'sport=40103 ') / $(ct_lines ct-b 'sport=40103 ')"
	[ "$(ct_stat '' expired)" -ge $((expired + 2)) ] ||
		die "GC expired counter: $(ct_stat '' expired), $expired before"
	expect_eq "$(( $(ct_stat ct-a rst_evict) + $(ct_stat ct-b rst_evict) ))" "$rst" "RST evictions"
	# the first connection is still there, under its own 100 s
	expect_entry ct-a "TIME_WAIT src=10.99.0.1 dst=10.99.0.2 sport=40102 "
	echo "# TIME_WAIT entries of a 2 s TIME_WAIT gone $((SECONDS - closed))s after the client's close"
}

gc_empties_table_after_lowered_timeouts() {
	ctlite_load
	netns_pair
	ct_sysctl_pair timeout_udp 4
	local runs0 made sent empty
	runs0=$(ct_stat '' gc_runs)
	# nothing listens: 200 unanswered flows, each an entry in ct-a and ct-b
	# (counted by the new counters, which an early expiry cannot race)
	peer_a udp-send 10.99.0.2 9999 200 45000
	sent=$(now_us)
	made=$(( $(ct_stat ct-a new) + $(ct_stat ct-b new) ))
	[ "$made" -ge 300 ] || die "only $made entries made"
	# 4 s of life, then the pass the first deadline brought forward (an
	# idle GC waits 60 s: 40 s fails if nothing brought it forward);
	# the GC counts what it frees in the initial namespace (one cat a poll)
	wait_for '[ "$(ct_stat "" expired)" -ge "$made" ]' 40 >/dev/null ||
		die "GC freed $(ct_stat '' expired) of $made entries in 40 s"
	empty=$(now_us)
	expect_eq "$(ct_count_pair)" 0 "entries left in ct-a + ct-b"
	echo "# $made entries with a 4 s timeout: all freed by the GC $(( (empty - sent) / 1000 - 4000 )) ms after the last deadline at most (polled every ~0.3 s); GC runs meanwhile: $(( $(ct_stat '' gc_runs) - runs0 ))"
}

# Bad writes are refused with EINVAL and change nothing; good ones land
sysctl_refuses() {
	local name=$1 keep=$2 bad cur
	shift 2
	for bad in "$@"; do
		! echo "$bad" >"/proc/sys/net/ctlite/$name" 2>/dev/null || die "$name=$bad accepted"
		read -r cur <"/proc/sys/net/ctlite/$name"
		expect_eq "$cur" "$keep" "$name after writing '$bad'"
	done
}

lifetime_sysctls_have_defaults_and_ranges() {
	ctlite_load_shared
	local name want cur
	for name in netns_share=50 early_drop=1 rst_evict=1 adaptive_start=60 adaptive_end=120 \
		    timeout_tcp_syn_sent=120 timeout_tcp_syn_recv=60 \
		    timeout_tcp_established=432000 timeout_tcp_fin_wait=120 \
		    timeout_tcp_close_wait=60 timeout_tcp_last_ack=30 \
		    timeout_tcp_time_wait=120 timeout_tcp_close=10 timeout_udp=30 \
		    timeout_udp_stream=120 timeout_icmp=30 timeout_generic=600; do
		want=${name#*=}
		name=${name%=*}
		read -r cur <"/proc/sys/net/ctlite/$name"
		expect_eq "$cur" "$want" "default $name"
		case $name in
		timeout_*)
			sysctl_refuses "$name" "$want" 0 -1 2000001 4294967296 abc ''
			echo 2000000 >"/proc/sys/net/ctlite/$name"
			echo "$want" >"/proc/sys/net/ctlite/$name" ;;
		netns_share)
			sysctl_refuses "$name" "$want" 0 101 -1 abc ''
			echo 100 >"/proc/sys/net/ctlite/$name"
			echo "$want" >"/proc/sys/net/ctlite/$name" ;;
		early_drop|rst_evict)
			sysctl_refuses "$name" "$want" 2 -1 abc ''
			echo 0 >"/proc/sys/net/ctlite/$name"
			echo "$want" >"/proc/sys/net/ctlite/$name" ;;
		*)
			sysctl_refuses "$name" "$want" 1001 -1 abc '' ;;
		esac
	done
	# start must stay below end while both are on
	sysctl_refuses adaptive_start 60 120 500
	sysctl_refuses adaptive_end 120 60 10
	echo 0 >/proc/sys/net/ctlite/adaptive_start
	echo 10 >/proc/sys/net/ctlite/adaptive_end
	sysctl_refuses adaptive_start 0 10 50
	echo 5 >/proc/sys/net/ctlite/adaptive_start
	# per namespace: a new one starts from the host's timeouts, its writes
	# stay there, and it may not go above the host's
	echo 7 >/proc/sys/net/ctlite/timeout_udp
	netns_pair
	expect_eq "$(ns_sysctl ct-a net.ctlite.timeout_udp)" 7 "ct-a's timeout_udp"
	ns_sysctl ct-a net.ctlite.timeout_udp=5
	expect_eq "$(sysctl -n net.ctlite.timeout_udp)" 7 "init's timeout_udp after ct-a's write"
	expect_eq "$(ns_sysctl ct-b net.ctlite.timeout_udp)" 7 "ct-b's timeout_udp after ct-a's write"
	! ns_sysctl ct-a net.ctlite.timeout_udp=9 2>/dev/null || die "ct-a went above the host's timeout"
	expect_eq "$(ns_sysctl ct-a net.ctlite.timeout_udp)" 5 "ct-a's timeout_udp after a refused write"
	! ns_sysctl ct-a net.ctlite.netns_share=100 2>/dev/null || die "netns_share writable in ct-a"
	expect_eq "$(ns_sysctl ct-a net.ctlite.netns_limit)" $(( $(sysctl -n net.ctlite.max) / 2 )) "ct-a's limit"
}

run_tests \
	rst_ends_the_connection_entry_unless_rst_evict_off \
	fin_close_goes_through_time_wait_and_expires \
	gc_empties_table_after_lowered_timeouts \
	lifetime_sysctls_have_defaults_and_ranges
