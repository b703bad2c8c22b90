#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The incident ctlite was made for, and its fix, told step by step with the
# figures as they happen: a web server in one network namespace answers
# clients from another; a flood of half-open connections whose RSTs never
# come fills a small table and locks the clients out; then the operator's
# live fixes (early_drop, max, buckets) let them in again, and an RST frees
# its entry at once.
#
# Run by `make demo` as root in the test guest, where $CTLITE_MODS holds
# ctlite.ko; it only touches two network namespaces of its own.  Exits 0
# only if every step behaved as told.
# shellcheck disable=SC2016 # verify() evals its condition: single quotes
. "$(dirname "$0")/../tests/scripts/lib.sh"
set +e

SERVER=10.99.0.2
# clients per look (make check asks for fewer: each locked-out one waits 2 s)
CLIENTS=${CTLITE_DEMO_CLIENTS:-5}
steps=() verdicts=()

say() { printf '%s\n' "$*"; }
title() { printf '\n== %s\n' "$*"; }
show() { printf '   %s\n' "$@"; }
# verify DESCRIPTION CONDITION: record whether the step behaved as told
verify() {
	local what=$1
	if eval "$2"; then
		verdicts+=(ok)
		say "   [ok] $what"
	else
		verdicts+=(FAILED)
		say "   [FAILED] $what"
	fi
	steps+=("$what")
}

# Run the demo's clients from ct-a; print how many were served.  Each
# waits up to TIMEOUT seconds (default 10: a slow guest under a flood
# still connects in time) for its connection; a locked-out look passes 2,
# since a client whose SYN the table drops waits all of it.
# (These helpers use the shell's own words where they can: in the debug
# guest of make check every process costs a few tenths of a second.)
clients() {
	local out
	out=$(peer_a tcp-clients "$SERVER" 80 "$CLIENTS" "${1:-10}")
	echo "${out%% *}"
}
count() { ct_count_pair; }
max() { echo "$(</proc/sys/net/ctlite/max)"; }
stat_pair() { echo $(( $(ct_stat ct-a "$1") + $(ct_stat ct-b "$1") )); }
# The kernel log lines ctlite wrote since the mark, matching the ERE
logged() { ctlite_log | grep -E "$1"; }
fill() { echo "$(count) of $(max) entries ($(( $(count) * 100 / $(max) ))%)"; }

title "Setting up: a web server in namespace ct-b, clients in ct-a"
netns_pair
# its shell's "Terminated" when the server is stopped at the end: not news
peer_b tcp-server "$SERVER" 80 900 2>/dev/null &
wait_listen ct-b tcp 80
ctlite_load hashsize=64 max=300 || { say "insmod ctlite.ko failed"; exit 1; }
show "$(dmesg | grep 'ctlite: .* buckets, .* max' | tail -n 1 | sed 's/^\[[ 0-9.]*\] //')"
# As the seed's site had it: a full table drops new flows.  Entries whose
# RST never comes live long (here longer than the demo) and are not
# shortened as the table fills.
ct_sysctl_pair early_drop 0
ct_sysctl_pair adaptive_start 0
ct_sysctl_pair timeout_tcp_syn_sent 900
ct_sysctl_pair timeout_tcp_syn_recv 900
say "ctlite tracks both namespaces; early_drop=0 and adaptive_start=0, and half-open"
say "entries live 900 s: a plain table, as the site had it."

title "Before the incident"
served=$(clients)
show "clients served: $served of $CLIENTS" "table: $(fill)"
verify "$served of $CLIENTS clients served before the flood" '[ "$served" = "$CLIENTS" ]'

title "The incident: 600 half-open connections from spoofed sources"
say "SYNs from addresses no host has: the SYN-ACKs go nowhere, no RST comes."
kmsg_mark
peer_a syn-flood "$SERVER" 80 600 1
show "table: $(fill)" "what fills it, one line of /proc/net/ctlite in each namespace:" \
	"ct-a: $(ct_lines ct-a ' SYN_SENT ' | head -n 1)" \
	"ct-b: $(ct_lines ct-b ' SYN_RECV ' | head -n 1)"
verify "the flood's entries are half-open: SYN_SENT [UNREPLIED] in ct-a, SYN_RECV in ct-b" \
	'ct_lines ct-a "^ipv4 +2 tcp +6 [0-9]+ SYN_SENT src=10\.99\.0\.[0-9]+ dst=10\.99\.0\.2 sport=[0-9]+ dport=80 \[UNREPLIED\] *\$" >/dev/null &&
	 ct_lines ct-b "^ipv4 +2 tcp +6 [0-9]+ SYN_RECV src=10\.99\.0\.[0-9]+ dst=10\.99\.0\.2 sport=[0-9]+ dport=80 *\$" >/dev/null'
say "The kernel log says (the table-full pair is rate-limited):"
ctlite_log | awk '
	/table full/ { if (++full > 2) next }
	{ print "      " $0 }
	END { if (full > 2) printf "      ... and %d more table-full lines\n", full - 2 }'
verify "the 80% and 95% warnings came once each" \
	'[ "$(logged "^ctlite: table (80|95)% full" | wc -l)" = 2 ]'
verify "the log says 'table full, dropping packet', and who filled it" \
	'logged "^ctlite: table full, dropping packet\$" >/dev/null &&
	 logged "^ctlite: table full: [0-9]+ entries sampled near the new flow, from [0-9]+ " >/dev/null'
drops=$(stat_pair drop)
served=$(clients 2)
show "clients served: $served of $CLIENTS" \
	"packets dropped for want of room: $(( $(stat_pair drop) - drops )) more"
verify "the clients are locked out: $served of $CLIENTS served" '[ "$served" = 0 ]'

title "Fix 1, live: sysctl -w net.ctlite.early_drop=1"
say "A full table now evicts a half-open entry to admit a new flow."
say "The flood goes on meanwhile: 600 more SYNs while the clients connect."
ct_sysctl_pair early_drop 1
early=$(stat_pair early_drop)
drops=$(stat_pair drop)
peer_a syn-flood "$SERVER" 80 600 3 200 &
flooder=$!
served=$(clients)
wait "$flooder"
show "clients served: $served of $CLIENTS" \
	"half-open entries evicted for the clients and the flood: $(( $(stat_pair early_drop) - early ))" \
	"packets dropped meanwhile: $(( $(stat_pair drop) - drops ))" \
	"table: $(fill)"
verify "early_drop=1 lets the clients in during the flood: $served of $CLIENTS served, nothing dropped" \
	'[ "$served" = "$CLIENTS" ] && [ "$(stat_pair early_drop)" -gt "$early" ] &&
	 [ "$(stat_pair drop)" = "$drops" ]'

title "Fix 2, live: sysctl -w net.ctlite.max=3000"
say "Room for the next flood, without dropping anything."
sysctl -qw net.ctlite.max=3000
show "table: $(fill)"
kmsg_mark
early=$(stat_pair early_drop)
drops=$(stat_pair drop)
peer_a syn-flood "$SERVER" 80 600 2
served=$(clients)
show "after another 600 SYNs: table $(fill)" \
	"clients served: $served of $CLIENTS" \
	"evicted: $(( $(stat_pair early_drop) - early )), dropped: $(( $(stat_pair drop) - drops ))"
verify "a raised max absorbs a second flood: $served of $CLIENTS served, nothing evicted or dropped" \
	'[ "$served" = "$CLIENTS" ] && [ "$(stat_pair early_drop)" = "$early" ] &&
	 [ "$(stat_pair drop)" = "$drops" ]'

title "Fix 3, live: sysctl -w net.ctlite.buckets=2048"
entries=$(count)
say "$entries entries in 64 buckets: chains of $(( entries / 64 )) on average, walked by every new flow."
# Run the clients: $served, and the entries compared per tracked packet
# meanwhile, in tenths, in $compared
run_and_compare() {
	local searched packets
	searched=$(stat_pair searched)
	packets=$(( $(stat_pair found) + $(stat_pair new) ))
	served=$(clients)
	packets=$(( $(stat_pair found) + $(stat_pair new) - packets ))
	compared=$(( ($(stat_pair searched) - searched) * 10 / (packets ? packets : 1) ))
}
tenths() { echo "$(($1 / 10)).$(($1 % 10))"; }
run_and_compare
before=$compared
kmsg_mark
sysctl -qw net.ctlite.buckets=2048
show "$(ctlite_log | grep '^ctlite: resized')"
run_and_compare
after=$compared
show "entries compared per packet: $(tenths "$before") before, $(tenths "$after") after" \
	"clients served: $served of $CLIENTS" "table: $(fill)"
verify "the resize kept all $entries entries and shortened the walks; $served of $CLIENTS served" \
	'[ "$(sysctl -n net.ctlite.buckets)" = 2048 ] && [ "$(count)" -ge "$entries" ] &&
	 [ "$after" -lt "$before" ] && [ "$served" = "$CLIENTS" ]'

title "RST eviction: a connection reset is forgotten at once"
# source ports below the ephemeral range, which the clients above used
peer_a tcp-connect "$SERVER" 80 30001
peer_a tcp-rst "$SERVER" 80 30002
# the TCP state of the entry of source port $2 in namespace $1
state() {
	local line s=
	line=$(ct_lines "$1" "sport=$2 ") && read -r _ _ _ _ _ s _ <<<"$line"
	echo "${s:-no entry}"
}
show "closed with FIN: $(state ct-a 30001)" "closed with RST: $(state ct-a 30002)" \
	"entries freed by RSTs so far: $(stat_pair rst_evict)"
verify "the reset connection's entry is gone in both namespaces; the closed one is closing" \
	'[ "$(state ct-a 30002)" = "no entry" ] && [ "$(state ct-b 30002)" = "no entry" ] &&
	 [[ $(state ct-a 30001) =~ ^(FIN_WAIT|CLOSE_WAIT|LAST_ACK|TIME_WAIT)$ ]]'

netns_cleanup >/dev/null 2>&1
trap - EXIT

title "Summary"
failed=0
for i in "${!steps[@]}"; do
	say "   [${verdicts[$i]}] ${steps[$i]}"
	[ "${verdicts[$i]}" = ok ] || failed=$((failed + 1))
done
say "$(( ${#steps[@]} - failed )) of ${#steps[@]} steps behaved as told"
[ "$failed" = 0 ]
