#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ctlite as the state source of a stateful firewall (`-m ctlite`), with the
# real iptables and ip6tables, against nf_conntrack's `-m conntrack` on the
# same traffic.  ct-b is a server whose INPUT policy is DROP; ct-a is a
# client and the peer of ct-b's own connections.  The same ruleset runs
# once per tracker, and the outcomes and the rule counters must agree.
. "$(dirname "$0")/lib.sh"

XTLIBDIR=$(pkg-config --variable=xtlibdir xtables)
# the build's extension first, then the system's
export XTABLES_LIBDIR=$CTLITE_MODS/xtables:$XTLIBDIR
CPORT=41000

# ipt ARGS...: iptables of backend $B (nft or legacy) and family $F, in
# ct-b; ipt_restore and ipt_save likewise
ipt() {
	in_b "$(ipt_cmd)" "$@"
}
ipt_cmd() { if [ "$F" = 4 ]; then echo "iptables-$B${1:-}"; else echo "ip6tables-$B${1:-}"; fi; }
ipt_restore() { in_b "$(ipt_cmd -restore)"; }
ipt_save() { in_b "$(ipt_cmd -save)" -t filter; }

# Until the last rule that used the match is gone (a namespace's rules go
# with it, a little after it is deleted)
module_released() {
	wait_for '[ "$(</sys/module/ctlite/refcnt)" = 0 ]' 30 >/dev/null ||
		die "ctlite is still held: refcnt $(</sys/module/ctlite/refcnt)"
}

# The usual server ruleset, with match $M (conntrack or ctlite).  The
# RELATED ICMP rule comes first so its counter tells the errors apart.
# Before it, three rules with no target count the UDP answers ct-b gets
# (two: a short one and a fragmented one) by --ctdir and --ctstatus,
# which the stateful rules below do not ask.
ruleset() {
	local icmp=icmp type=--icmp-type nd=
	if [ "$F" = 6 ]; then
		# neighbour discovery is UNTRACKED in both trackers
		icmp=ipv6-icmp type=--icmpv6-type
		nd="-A INPUT -p $icmp -m $M --ctstate UNTRACKED -j ACCEPT"
	fi
	cat <<-EOF
	*filter
	:INPUT DROP [0:0]
	:FORWARD ACCEPT [0:0]
	:OUTPUT ACCEPT [0:0]
	-A INPUT -p udp -m $M --ctdir REPLY --ctstatus SEEN_REPLY
	-A INPUT -p udp -m $M --ctdir ORIGINAL
	-A INPUT -p udp -m $M --ctdir REPLY ! --ctstatus ASSURED
	-A INPUT -i lo -j ACCEPT
	-A INPUT -p $icmp -m $M --ctstate RELATED -j ACCEPT
	-A INPUT -m $M --ctstate RELATED,ESTABLISHED -j ACCEPT
	-A INPUT -m $M --ctstate INVALID -j DROP
	-A INPUT -p tcp -m tcp --dport 80 -m $M --ctstate NEW -j ACCEPT
	-A INPUT -p $icmp -m $icmp $type echo-request -j ACCEPT
	$nd
	COMMIT
	EOF
}

# The packet counters of INPUT: the policy's, then each rule's in order
counters() {
	ipt -t filter -S INPUT -v 2>/dev/null | awk '
		/^-P INPUT/ { for (i = 1; i <= NF; i++) if ($i == "-c") p = $(i + 1) }
		/^-A INPUT/ { for (i = 1; i <= NF; i++) if ($i == "-c") r = r " " $(i + 1) }
		END { print p r }'
}

# A run of the traffic against the ruleset with $M: prints the counters
server_run() {
	local a=10.99.0.1 b=10.99.0.2
	[ "$F" = 4 ] || a=fd99::1 b=fd99::2
	netns_pair
	ruleset | ipt_restore
	peer_b tcp-server "$b" 80 60 >/dev/null &
	peer_a tcp-server "$a" 80 60 >/dev/null &
	peer_a udp-server "$a" 53 60 >/dev/null &
	wait_listen ct-b tcp 80
	wait_listen ct-a tcp 80
	wait_listen ct-a udp 53

	# clients reach :80; the server's own TCP and UDP get their answers,
	# a fragmented UDP answer included; pings both ways
	peer_a tcp-connect "$b" 80 || die "$M: a client could not reach :80"
	peer_b tcp-connect "$a" 80 || die "$M: ct-b's own connection got no answer"
	peer_b udp-ask "$a" 53 || die "$M: ct-b's own UDP got no answer"
	peer_b udp-ask "$a" 53 3000 || die "$M: a fragmented UDP answer did not pass"
	in_a ping -c 1 -W 5 "$b" >/dev/null || die "$M: ping in failed"
	in_b ping -c 1 -W 5 "$a" >/dev/null || die "$M: ping out failed"
	# a datagram to a closed port: its ICMP port unreachable is RELATED
	peer_b udp-send "$a" 9 1
	if [ "$F" = 4 ]; then
		# unsolicited SYNs to a filtered port: dropped, and no entry left
		peer_a syn-flood "$b" 81 50 7
		# an out-of-window RST on a live connection: INVALID, and the
		# connection lives on
		coproc SESSION { peer_a tcp-session "$b" 80 "$CPORT"; }
		read -r -t 20 line <&"${SESSION[0]}" || line=
		[ "$line" = connected ] || die "$M: no session"
		peer_a forge "$b" 80 "$a" "$CPORT" R r 0 20
		echo still-here >&"${SESSION[1]}"
		read -r -t 20 line <&"${SESSION[0]}" || line=
		[ "$line" = still-here ] || die "$M: the session died of a forged RST"
	fi
	nap 0.5
	if [ "$M" = ctlite ] && [ "$F" = 4 ]; then
		# what only ctlite shows: the flood left no entry, and was
		# counted unconfirmed
		! ct_lines ct-b 'dport=81 ' >/dev/null ||
			die "a filtered SYN left an entry: $(ct_lines ct-b 'dport=81 ')"
		[ "$(ct_stat ct-b unconfirmed)" -ge 50 ] ||
			die "unconfirmed $(ct_stat ct-b unconfirmed), not the 50 filtered SYNs"
		expect_entry ct-b "^ipv4 +2 tcp +6 [0-9]+ ESTABLISHED src=10.99.0.1 dst=10.99.0.2 sport=$CPORT dport=80 .*\[ASSURED\]"
	fi
	counters
}

# IPv4 and IPv6, on iptables-nft (Debian's default): the ruleset on
# nf_conntrack and on ctlite give the same counters.  iptables-legacy
# calls the same match: its rules and a packet through them are checked
# by the round trip below.
server_ruleset_agrees_with_conntrack() {
	local run_ct run_cl ct cl i line
	ctlite_load
	modprobe -a nf_conntrack xt_conntrack
	B=nft
	for F in 4 6; do
		run_ct=$(M=conntrack server_run)
		read -r -a ct <<<"$run_ct"
		run_cl=$(M=ctlite server_run)
		echo "# IPv$F counters (policy, then rules) conntrack: $run_ct; ctlite: $run_cl"
		read -r -a cl <<<"$run_cl"
		[ "${#ct[@]}" = "${#cl[@]}" ] || die "IPv$F: counters of different rules"
		[ "${#cl[@]}" -ge 10 ] || die "IPv$F: too few counters"
		# exact, but for ESTABLISHED (6: delayed ACKs may vary) and
		# neighbour discovery (10)
		for i in 0 1 2 3 4 5 7 8 9; do
			[ "${ct[$i]}" = "${cl[$i]}" ] ||
				die "IPv$F: counter $i differs: conntrack ${ct[$i]}, ctlite ${cl[$i]}"
		done
		[ "${cl[1]} ${cl[2]} ${cl[3]}" = "2 0 2" ] ||
			die "IPv$F: the UDP answers by --ctdir/--ctstatus: ${cl[1]} ${cl[2]} ${cl[3]}, not 2 0 2"
		[ "${cl[6]}" -gt 0 ] || die "IPv$F: nothing ESTABLISHED under ctlite"
		[ "${cl[5]}" = 1 ] || die "IPv$F: the port unreachable was not RELATED"
	done
	module_released
}

# ct-b as a router: ct-c (10.98.0.3, the server side) behind its second
# link, routed both ways, forwarding on
router_side() {
	ip -batch - <<-EOF
	netns add ct-c
	link add veth-c netns ct-c type veth peer name veth-bc netns ct-b
	EOF
	ip -n ct-c -batch - <<-EOF
	addr add 10.98.0.3/24 dev veth-c
	link set lo up
	link set veth-c up
	route add 10.99.0.0/24 via 10.98.0.2
	EOF
	ip -n ct-b -batch - <<-EOF
	addr add 10.98.0.2/24 dev veth-bc
	link set veth-bc up
	EOF
	ip -n ct-a route add 10.98.0.0/24 via 10.99.0.2
	ns_sysctl ct-b net.ipv4.ip_forward=1
	trap 'netns_cleanup; netns_kill ct-c; ip netns del ct-c 2>/dev/null' EXIT
	netns_holder ct-c
}

# A router's FORWARD ruleset on ctlite, with nf_conntrack doing NAT beside
# it (Docker's set-up): port forwarding (DNAT) and masquerade each keep one
# entry per connection, which becomes ASSURED, and the match says
# ESTABLISHED; connections from outside are dropped; a router's
# fragmentation-needed is RELATED at the client; a raw-table exemption
# makes no entry and is UNTRACKED; a full table with early_drop=0 drops
# the new flow, logs it, and known flows go on
router_nat_keeps_one_assured_entry() {
	local fw c a n s line
	ctlite_load
	netns_pair
	router_side
	B=nft F=4
	ipt_restore <<-EOF
	*nat
	:PREROUTING ACCEPT [0:0]
	:POSTROUTING ACCEPT [0:0]
	-A PREROUTING -i veth-b -p tcp -d 10.99.0.2 --dport 8080 -j DNAT --to-destination 10.98.0.3:80
	-A POSTROUTING -o veth-bc -p tcp --dport 81 -j MASQUERADE
	COMMIT
	*filter
	:FORWARD DROP [0:0]
	-A FORWARD -m ctlite --ctstate RELATED,ESTABLISHED -j ACCEPT
	-A FORWARD -m ctlite --ctstate INVALID -j DROP
	-A FORWARD -i veth-b -m ctlite --ctstate NEW -j ACCEPT
	COMMIT
	EOF
	# the client's own firewall: only what belongs to its connections
	in_a iptables-nft-restore <<-EOF
	*filter
	:INPUT DROP [0:0]
	-A INPUT -p icmp -m ctlite --ctstate RELATED -j ACCEPT
	-A INPUT -m ctlite --ctstate RELATED,ESTABLISHED -j ACCEPT
	COMMIT
	EOF
	"$PEER" -n ct-c tcp-server 10.98.0.3 80 600 >/dev/null &
	"$PEER" -n ct-c tcp-server 10.98.0.3 81 600 >/dev/null &
	peer_a tcp-server 10.99.0.1 80 600 >/dev/null &
	wait_listen ct-c tcp 80
	wait_listen ct-c tcp 81
	wait_listen ct-a tcp 80

	# port forwarding: one entry, client to the real server, ASSURED
	peer_a tcp-connect 10.99.0.2 8080 42000 || die "DNAT: no connection"
	c=$(ct_lines ct-b 'sport=42000 ') || die "DNAT: no entry in the router"
	echo "# DNAT, the router's entry: $c"
	expect_eq "$(wc -l <<<"$c")" 1 "DNAT entries"
	[[ $c == *"src=10.99.0.1 dst=10.98.0.3 sport=42000 dport=80 "*"[ASSURED]"* ]] ||
		die "DNAT: not one ASSURED entry inside the translation: $c"
	# masquerade: one entry, inside host to the server, ASSURED
	peer_a tcp-connect 10.98.0.3 81 42001 || die "masquerade: no connection"
	c=$(ct_lines ct-b 'sport=42001 |dport=42001 ') || die "masquerade: no entry"
	echo "# masquerade, the router's entry: $c"
	expect_eq "$(wc -l <<<"$c")" 1 "masquerade entries"
	[[ $c == *"src=10.99.0.1 dst=10.98.0.3 sport=42001 dport=81 "*"[ASSURED]"* ]] ||
		die "masquerade: not one ASSURED entry inside the translation: $c"
	# from the outside, nothing NEW passes
	! "$PEER" -n ct-c tcp-connect 10.99.0.1 80 2>/dev/null ||
		die "a connection from outside passed the FORWARD policy"

	# fragmentation needed from the router, for the client's own flow
	ip -n ct-b link set veth-bc mtu 1280
	in_a ping -c 1 -W 2 -M "do" -s 1400 10.98.0.3 >/dev/null 2>&1 || true
	read -r -a a < <(in_a iptables-nft -S INPUT -v |
		awk '/^-A INPUT -p icmp/ { for (i = 1; i <= NF; i++) if ($i == "-c") print $(i + 1) }')
	echo "# the client's RELATED ICMP rule counted ${a[0]} fragmentation-needed"
	[ "${a[0]}" -ge 1 ] ||
		die "the router's fragmentation-needed was not RELATED: ct-a related $(ct_stat ct-a related), ignore $(ct_stat ct-a ignore), invalid $(ct_stat ct-a invalid); ct-b related $(ct_stat ct-b related), ignore $(ct_stat ct-b ignore); ct-a: $(in_a iptables-nft -S INPUT -v) $(ct_lines ct-a icmp)"

	# exempted in the raw table: no entry, and UNTRACKED to the rules
	in_a iptables-nft-restore --noflush <<-EOF
	*raw
	-A OUTPUT -p udp --dport 5353 -j CT --notrack
	COMMIT
	*filter
	-A OUTPUT -p udp --dport 5353 -m ctlite --ctstate UNTRACKED
	COMMIT
	EOF
	peer_a udp-send 10.99.0.2 5353 1
	! ct_lines ct-a 'dport=5353 ' >/dev/null ||
		die "an exempted datagram made an entry: $(ct_lines ct-a 'dport=5353 ')"
	n=$(in_a iptables-nft -S OUTPUT -v |
		awk '/5353/ { for (i = 1; i <= NF; i++) if ($i == "-c") print $(i + 1) }')
	expect_eq "$n" 1 "exempted datagrams matched UNTRACKED"

	# a full table, early drop off: the new flow is dropped and logged,
	# a known one goes on
	coproc SESSION { peer_a tcp-session 10.99.0.2 8080 42002; }
	read -r -t 20 line <&"${SESSION[0]}" || line=
	[ "$line" = connected ] || die "no session through the DNAT"
	ct_sysctl_pair early_drop 0
	ns_sysctl ct-c net.ctlite.early_drop=0
	echo 0 >/proc/sys/net/ctlite/early_drop
	read -r s </proc/sys/net/ctlite/count
	kmsg_mark
	# every namespace's entries count against max: the table is full now
	s=$(( $(ct_entries ct-a) + $(ct_entries ct-b) + $(ct_entries ct-c) + s ))
	echo "$s" >/proc/sys/net/ctlite/max
	peer_a tcp-connect 10.99.0.2 8080 42003 2>/dev/null && die "a new flow passed a full table"
	echo still-here >&"${SESSION[1]}"
	read -r -t 20 line <&"${SESSION[0]}" || line=
	[ "$line" = still-here ] || die "the known flow died in the full table"
	ctlite_log | grep -q '^ctlite: table full, dropping packet$' ||
		die "no 'table full' line; ctlite logged: $(ctlite_log)"
	fw=$(ipt -S FORWARD -v | awk '/ESTABLISHED/ { for (i = 1; i <= NF; i++) if ($i == "-c") print $(i + 1) }')
	echo "# FORWARD ESTABLISHED,RELATED counted $fw packets"
	[ "$fw" -gt 0 ] || die "nothing ESTABLISHED in FORWARD"
	ipt_restore <<<$'*filter\nCOMMIT\n*nat\nCOMMIT'
	in_a iptables-nft-restore <<<$'*filter\nCOMMIT\n*raw\nCOMMIT'
}

# The rules of the round trip: every option, negated and not
round_trip_rules() {
	cat <<-EOF
	*filter
	-A INPUT -m ctlite --ctstate RELATED,ESTABLISHED -j ACCEPT
	-A INPUT -m ctlite ! --ctstate NEW --ctdir REPLY -j ACCEPT
	-A INPUT -m ctlite ! --ctstatus SEEN_REPLY,ASSURED -j DROP
	-A INPUT -m ctlite --ctstate INVALID,UNTRACKED --ctstatus NONE -j DROP
	COMMIT
	EOF
}

# iptables-save | iptables-restore keeps the rules as they were, for both
# backends and families; iptables-legacy's rule matches a packet; bad
# options get iptables' clear errors; without ctlite loaded the rule is
# refused; a rule holds the module
rules_round_trip_and_errors() {
	local B F first second err bad n
	netns_pair
	err=$(in_b iptables-legacy -A INPUT -m ctlite --ctstate NEW -j ACCEPT 2>&1) &&
		die "a ctlite rule loaded without ctlite"
	echo "# without ctlite: ${err//$'\n'/ }"
	ctlite_load
	for B in nft legacy; do
		for F in 4 6; do
			round_trip_rules | ipt_restore
			# the rules, without the counters and dates around them
			first=$(ipt_save | grep -e '^-A')
			grep -qxF -- '-A INPUT -m ctlite ! --ctstate NEW --ctdir REPLY -j ACCEPT' <<<"$first" ||
				die "$B IPv$F: iptables-save shows: $first"
			printf '*filter\n%s\nCOMMIT\n' "$first" | ipt_restore
			second=$(ipt_save | grep -e '^-A')
			expect_eq "$second" "$first" "$B IPv$F rules after save and restore"
		done
	done
	# the answer to ct-b's ping is ESTABLISHED to legacy's first rule
	B=legacy F=4
	in_b ping -c 1 -W 5 10.99.0.1 >/dev/null || die "legacy: ct-b's ping got no answer"
	n=$(ipt -S INPUT -v | awk '/--ctstate ESTABLISHED,RELATED / {
		for (i = 1; i <= NF; i++) if ($i == "-c") print $(i + 1) }')
	expect_eq "$n" 1 "legacy: the echo reply's ESTABLISHED"
	B=nft F=4
	for bad in "--ctstate FOO" "--ctstatus EXPECTED" ""; do
		# shellcheck disable=SC2086
		err=$(ipt -A INPUT -m ctlite $bad -j ACCEPT 2>&1) && die "'$bad' was accepted"
		[[ $err == *ctlite* ]] || die "'$bad': the error does not name ctlite: $err"
		echo "# -m ctlite $bad: ${err%%$'\n'*}"
	done
	# rules hold the module; the last one gone, it is free
	rmmod ctlite 2>/dev/null && die "ctlite unloaded under a rule"
	for B in nft legacy; do
		for F in 4 6; do
			ipt_restore <<<$'*filter\nCOMMIT'
		done
	done
	module_released
}

run_tests \
	server_ruleset_agrees_with_conntrack \
	router_nat_keeps_one_assured_entry \
	rules_round_trip_and_errors
