#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ctlite benchmarks, run inside the bench guest (tests/vm/guest.sh, mode
# bench): the same traffic with no tracking, with nf_conntrack and with
# ctlite, one tracker after the other in one boot.  Every figure is a line
# of $BENCH_OUT (tab separated: scenario, tracker, size, repetition, value,
# unit); tests/bench/report.py turns them into medians, ratios and
# docs/benchmarks.md.  Progress goes to stdout as "# " lines, and a failed
# step as "not ok - ..." (the guest counts those).
#
# Topology: netns bgen sends with pktgen through a veth pair to netns
# bdut, which forwards every packet to a dummy device that frees it.  So
# each packet crosses bdut's PRE_ROUTING (where both trackers look it up
# or create its entry) and POST_ROUTING (where nf_conntrack confirms a new
# entry), and pktgen's rate is the rate bdut forwards at: veth hands the
# packet to the receive path on pktgen's own CPU, in its softirq.
#
# bdut always has the same nft prerouting chain with one rule, so the
# trackers are compared with nft's own cost in every column: the rule is
# "ct state new,established" (which turns nf_conntrack on) for nf_conntrack
# and "meta l4proto udp" otherwise.  The firewall scenarios add a stateful
# FORWARD ruleset (iptables, -m conntrack or -m ctlite) on top.
#
# Environment: BENCH_MODE full (default), icount (the per-packet
# scenarios only, in a guest whose clock counts instructions: figures that
# the host's slow spells cannot move) or quick (small sizes, one
# repetition: for CI, so the code cannot rot), BENCH_OUT (figures file),
# CTLITE_MODS (ctlite.ko's directory).
set -uo pipefail

mode=${BENCH_MODE:-full}
out=${BENCH_OUT:-/run/results/bench.tsv}
ko=$CTLITE_MODS/ctlite.ko
# libxt_ctlite.so for the firewall scenario, beside the system's extensions
XTABLES_LIBDIR=$CTLITE_MODS/xtables:$(pkg-config --variable=xtlibdir xtables)
export XTABLES_LIBDIR

case "$mode" in
full)
	REPS=7
	ONE_FLOW_PKTS=200000	# one established flow, per repetition
	LOOKUP_PKTS=200000	# random among N flows, per repetition
	NEW_PKTS=100000		# new flows, per repetition
	SMALL_IPS="1 10"	# x PORTS flows: ~1k, 10k, trackers in turn
	LARGE_IPS="100 1001"	# ~100k, 1M, one tracker after the other
	GC_IPS=1001		# x PORTS expiring flows for the GC figures
	GC_TIMEOUT=60		# longer than filling them takes
	;;
icount)
	# under QEMU's -icount (CTLITE_ICOUNT=1) the guest's clock counts
	# instructions.  What still moves a figure is background work that
	# runs by the clock (a GC pass of an idle 65,536-bucket table is
	# about 3M instructions, once a second): a run of 2 s or more takes
	# its share of it, not the luck of a pass or none
	REPS=3
	ONE_FLOW_PKTS=300000
	LOOKUP_PKTS=300000
	NEW_PKTS=150000
	SMALL_IPS="1 10"
	LARGE_IPS="100 1001"
	;;
quick)
	REPS=1
	ONE_FLOW_PKTS=20000
	LOOKUP_PKTS=10000
	NEW_PKTS=5000
	SMALL_IPS="1"
	LARGE_IPS="10"
	GC_IPS=10
	GC_TIMEOUT=5
	;;
*) echo "not ok - BENCH_MODE is full, icount or quick, not '$mode'"; exit 1 ;;
esac
# by hand, a shorter run of a mode: kernel parameters bench_reps= (its
# repetitions) and bench_large_ips= (one size of the large table, in
# source addresses of PORTS flows each: 1 is 999 flows)
REPS=${bench_reps:-$REPS}
LARGE_IPS=${bench_large_ips:-$LARGE_IPS}
TRACKERS="none nf_conntrack ctlite"
# by hand: bench_trackers=none,ctlite (a kernel parameter) runs only those
[ -z "${bench_trackers:-}" ] || TRACKERS=${bench_trackers//,/ }
# transactions of the two-way TCP flow, per repetition (two packets each)
case "$mode" in
full) RR_N=20000 ;;
icount) RR_N=50000 ;;
*) RR_N=2000 ;;
esac
RR_N=${bench_rr_n:-$RR_N}
PEER=$CTLITE_MODS/ctlite-peer
# the profile's packets and perf's sampling rate: under -icount, a sample
# every 50,000 instructions; for a closer look by hand, kernel parameters
# bench_profile_pkts= and bench_profile_hz= set them
PROFILE_PKTS=$ONE_FLOW_PKTS PROFILE_HZ=10000
[ "$mode" != icount ] || PROFILE_PKTS=300000 PROFILE_HZ=20000
PROFILE_PKTS=${bench_profile_pkts:-$PROFILE_PKTS}
PROFILE_HZ=${bench_profile_hz:-$PROFILE_HZ}
# Flows are (source address, source port) pairs: PORTS ports times N
# addresses.  999 = 27 x 37 shares no factor with 1, 10, 100 or 1001, so
# pktgen's sequential mode (address and port both step each packet) visits
# every pair once in N x PORTS packets: the table is filled exactly.
PORTS=999
PORT_MIN=1000
# No flow may expire while it is measured
UDP_TIMEOUT=3600
# Both trackers may hold every flow of the run (none is dropped as full)
TABLE_MAX=2500000

SINK=10.200.0.1		# routed out of bdut's dummy0
GEN_IP=10.0.0.1
DUT_IP=10.0.0.2
DUT_IP2=10.201.0.1	# bdut's side towards bsrv
SRV_IP=10.201.0.2	# the TCP server
RR_PORT=7

failures=0
say() { echo "# $*"; }
bad() { echo "not ok - $*"; failures=$((failures + 1)); }
good() { echo "ok - $*"; }
figure() { printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$out"; }

ns() { ip netns exec "$@"; }

# ip_at B I: the I-th address of block B: 10.1/16 holds the lookup sets,
# 10.3/16 the one flow, 10.4/16 and up the flows that must be new (1001
# addresses x PORTS ports: every packet of a sequential run is a new flow)
ip_at() { echo "10.$1.$(($2 / 256)).$(($2 % 256))"; }

# --- topology -------------------------------------------------------------

topology_down() {
	[ -z "${RR_PID:-}" ] || { kill "$RR_PID"; wait "$RR_PID"; } 2>/dev/null
	RR_PID=
	ip netns del bgen 2>/dev/null
	ip netns del bsrv 2>/dev/null
	ip netns del bdut 2>/dev/null
	# netns teardown is asynchronous: wait for the trackers to let go
	for _ in $(seq 1 600); do
		[ ! -e /run/netns/bdut ] && break
		sleep 0.1
	done
	return 0
}

# topology_up TRACKER UDP_TIMEOUT [tcp]: with "tcp", also bsrv and its
# server for the two-way TCP flow (a namespace more costs seconds in TCG)
topology_up() {
	local tracker=$1 timeout=$2 tcp=${3:-} rule n ends=bdut
	topology_down
	ip netns add bgen && ip netns add bdut &&
	# no IPv6: dummy0's own router solicitations and MLD reports would
	# count as forwarded packets
	ns bdut sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
		net.ipv6.conf.default.disable_ipv6=1 &&
	ip link add g0 netns bgen type veth peer name d0 netns bdut &&
	ns bgen ip addr add $GEN_IP/24 dev g0 &&
	ns bgen ip link set g0 up &&
	ns bdut ip addr add $DUT_IP/24 dev d0 &&
	ns bdut ip link set d0 up &&
	ns bdut ip link add dummy0 type dummy &&
	ns bdut ip link set dummy0 up &&
	ns bdut ip route add 10.200.0.0/16 dev dummy0 &&
	ns bdut sysctl -qw net.ipv4.ip_forward=1 || return 1
	# bsrv: the server of the two-way TCP flow, behind bdut's d1
	if [ "$tcp" = tcp ]; then
		ends="bdut bgen bsrv"
		ip netns add bsrv &&
		ip link add d1 netns bdut type veth peer name s0 netns bsrv &&
		ns bdut ip addr add $DUT_IP2/24 dev d1 &&
		ns bdut ip link set d1 up &&
		ns bsrv ip addr add $SRV_IP/24 dev s0 &&
		ns bsrv ip link set s0 up &&
		ns bsrv ip link set lo up &&
		ns bsrv ip route add default via $DUT_IP2 &&
		ns bgen ip route add ${SRV_IP%.*}.0/24 via $DUT_IP || return 1
		# its echo server, on the last CPU (the client runs on CPU 0)
		taskset -c $(($(nproc) - 1)) "$PEER" -n bsrv tcp-server $SRV_IP $RR_PORT 100000 &
		RR_PID=$!
	fi
	DUT_MAC=$(ns bdut cat /sys/class/net/d0/address) || return 1
	if [ "$tracker" = nf_conntrack ]; then
		rule='ct state new,established'
	else
		rule='meta l4proto udp'
	fi
	# bdut's one rule (see the top), and the same in bgen and bsrv, the
	# TCP flow's ends: hosts track their own connections too (ctlite in
	# every namespace, nf_conntrack where a rule asks), so each tracker
	# tracks that flow three times, and nft costs every column the same
	for n in $ends; do
		ns $n nft -f - <<-EOF || return 1
			table ip bench {
				chain pre {
					type filter hook prerouting priority 0;
					$rule
				}
			}
		EOF
	done
	case "$tracker" in
	nf_conntrack)
		sysctl -qw net.netfilter.nf_conntrack_max=$TABLE_MAX &&
		ns bdut sysctl -qw net.netfilter.nf_conntrack_udp_timeout="$timeout" ;;
	ctlite)
		# bdut stands for a host: the whole table is its, and a
		# namespace's timeout may not exceed the host's
		sysctl -qw net.ctlite.max=$TABLE_MAX &&
		sysctl -qw net.ctlite.netns_share=100 &&
		sysctl -qw net.ctlite.timeout_udp="$timeout" &&
		ns bdut sysctl -qw net.ctlite.timeout_udp="$timeout" ;;
	esac
}

# settle: wait until a deleted namespace's entries are freed (the kernel
# does it in the background: a million of them take seconds, and a fill
# running meanwhile would be measured against it), seen as Slab no longer
# shrinking
settle() {
	local k v prev=0 slab
	for _ in $(seq 1 120); do
		slab=0
		while read -r k v _; do
			[ "$k" = Slab: ] && slab=$v
		done </proc/meminfo
		[ "$prev" -gt 0 ] && [ $((prev - slab)) -lt 1024 ] && return 0
		prev=$slab
		sleep 1
	done
}

# Entries bdut holds
tracked() {
	case "$1" in
	nf_conntrack) ns bdut cat /proc/sys/net/netfilter/nf_conntrack_count ;;
	ctlite) ns bdut cat /proc/sys/net/ctlite/count ;;
	*) echo 0 ;;
	esac
}

# --- pktgen ---------------------------------------------------------------

# pktgen_run COUNT SRC_MIN SRC_MAX PORT_MIN PORT_MAX RANDOM: send COUNT
# 64-byte UDP packets from g0 and print the rate in packets per second.
# With RANDOM=1 each packet draws its address in [SRC_MIN, SRC_MAX) and
# its port in [PORT_MIN, PORT_MAX); otherwise both step by one per packet,
# the address over [SRC_MIN, SRC_MAX] inclusive (pktgen's own rules).
# DST and DPORT (default the sink and port 9) send to another address,
# e.g. a flow's answer.  One process sets it all up: a process costs tens
# of ms in a TCG guest.
pktgen_run() {
	local count=$1 smin=$2 smax=$3 pmin=$4 pmax=$5 rnd=$6 dst=${7:-$SINK}
	local dport=${8:-9} mac=$DUT_MAC res pps flag=!
	[ "$rnd" = 1 ] && flag=
	res=$(ns bgen bash -c '
		pg() { echo "$2" >/proc/net/pktgen/$1 || exit 1; }
		pg kpktgend_0 rem_device_all
		pg kpktgend_0 "add_device g0"
		pg g0 "count '"$count"'"
		pg g0 "pkt_size 60"
		pg g0 "delay 0"
		pg g0 "clone_skb 0"
		pg g0 "dst_mac '"$mac"'"
		pg g0 "dst_min '"$dst"'"
		pg g0 "dst_max '"$dst"'"
		pg g0 "src_min '"$smin"'"
		pg g0 "src_max '"$smax"'"
		pg g0 "udp_dst_min '"$dport"'"
		pg g0 "udp_dst_max '"$dport"'"
		pg g0 "udp_src_min '"$pmin"'"
		pg g0 "udp_src_max '"$pmax"'"
		pg g0 "flag '"$flag"'IPSRC_RND"
		pg g0 "flag '"$flag"'UDPSRC_RND"
		pg pgctrl start
		cat /proc/net/pktgen/g0') || true
	pps=$(sed -n 's/^ *\([0-9][0-9]*\)pps .*/\1/p' <<<"$res")
	if [ -z "$pps" ] || [[ $res != *"Result: OK"* ]]; then
		echo "pktgen: $res" >&2
		return 1
	fi
	echo "$pps"
}

# pktgen's source addresses and ports (see pktgen_run) of the one flow
# (10.3.0.0:5000) and of the new flows (10.4/16 on, each packet a flow)
ONE_FLOW=("$(ip_at 3 0)" "$(ip_at 3 0)" 5000 5000)
NEW_FLOWS=("$(ip_at 4 0)" "$(ip_at 4 1000)" "$PORT_MIN" "$((PORT_MIN + PORTS))")
# one_flow COUNT, new_flows COUNT: COUNT such packets, at their rate
one_flow() { pktgen_run "$1" "${ONE_FLOW[@]}" 0; }
new_flows() { pktgen_run "$1" "${NEW_FLOWS[@]}" 0; }

# forwarded: packets bdut sent to its sink so far
forwarded() { ns bdut cat /sys/class/net/dummy0/statistics/tx_packets; }

# measure SCENARIO TRACKER SIZE COUNT SRC_MIN SRC_MAX PORT_MIN PORT_MAX
#         RANDOM: one repetition; records its rate and checks every packet
#         went through
measure() {
	local sc=$1 tr=$2 size=$3 rep=$4 count=$5 before after pps lost
	before=$(forwarded)
	pps=$(pktgen_run "$count" "$6" "$7" "$8" "$9" "${10}") ||
		{ bad "$sc $tr $size: pktgen ran"; return 1; }
	after=$(forwarded)
	lost=$((count - (after - before)))
	# Lost packets are a tracker falling behind (its softirq deferred, the
	# receive backlog overflowing): a figure.  Losing half means the
	# set-up is broken, not slow.
	if [ $((lost * 2)) -gt "$count" ]; then
		bad "$sc $tr $size: $count packets forwarded (got $((after - before)))"
		return 1
	fi
	figure "$sc" "$tr" "$size" "$rep" "$pps" pps
	if [ "$lost" -gt 0 ]; then
		figure "$sc" "$tr" "$size" "$rep" "$lost" lost_packets
		say "$sc $tr size=$size rep=$rep: $pps pps, $lost lost"
	else
		say "$sc $tr size=$size rep=$rep: $pps pps"
	fi
}

# Slab and used memory, kB
meminfo() {
	local k v slab=0 total=0 free=0 buffers=0 cached=0
	while read -r k v _; do
		case "$k" in
		Slab:) slab=$v ;;
		MemTotal:) total=$v ;;
		MemFree:) free=$v ;;
		Buffers:) buffers=$v ;;
		Cached:) cached=$v ;;
		esac
	done </proc/meminfo
	echo "$slab $((total - free - buffers - cached))"
}

# --- scenarios ---------------------------------------------------------------

# tracker_on TRACKER: only that tracker may run (ctlite is loaded for
# ctlite alone; nf_conntrack stays loaded but only works where a ct rule
# asks, which topology_up writes for nf_conntrack alone)
tracker_on() {
	case "$1" in
	ctlite)
		[[ $'\n'$(</proc/modules) == *$'\nctlite '* ]] || insmod "$ko" ;;
	*)
		# -m ctlite rules hold the module until their namespace is gone
		topology_down
		for _ in $(seq 1 100); do
			[[ $'\n'$(</proc/modules) == *$'\nctlite '* ]] || return 0
			rmmod ctlite 2>/dev/null && return 0
			sleep 0.1
		done
		rmmod ctlite ;;
	esac
}

# fill N_IPS TRACKER: create N_IPS x PORTS flows 10.1.0.0.. x PORT_MIN..
# once each, and check the tracker holds them all.  More passes make any
# flow whose packet was lost (a receive backlog that overflowed: 2 of
# 999,999 were still missing from nf_conntrack after a third pass once);
# after the fifth, a shortfall of one in 10,000 is said and let be (the
# memory figures divide by the entries made).
fill() {
	local n=$1 tr=$2 pps want=$(($1 * PORTS)) pass got
	for pass in 1 2 3 4 5; do
		pps=$(pktgen_run $want "$(ip_at 1 0)" "$(ip_at 1 $((n - 1)))" \
			$PORT_MIN $((PORT_MIN + PORTS)) 0) ||
			{ bad "$tr: fill $want flows: pktgen ran"; return 1; }
		[ "$tr" != none ] || break
		got=$(tracked "$tr")
		[ "$got" -lt "$want" ] || break
		say "fill: $got of $want flows tracked after pass $pass"
	done
	if [ "$tr" != none ] && [ $((got * 10000)) -lt $((want * 9999)) ]; then
		bad "$tr: $want flows tracked (got $got)"
		return 1
	fi
	say "filled $want flows at $pps pps"
}

# lookups N_IPS TRACKER REP: packets random among N_IPS x PORTS flows
lookups() {
	measure lookup "$2" $(($1 * PORTS)) "$3" $LOOKUP_PKTS \
		"$(ip_at 1 0)" "$(ip_at 1 "$1")" \
		$PORT_MIN $((PORT_MIN + PORTS)) 1
}

# rx_packets of bdut's interface $1
rx() { ns bdut cat "/sys/class/net/$1/statistics/rx_packets"; }

# tcp_rr SCENARIO TRACKER SIZE REP: the two-way TCP flow, what a server
# sees: a client in bgen on CPU 0 and the server in bsrv on CPU 1 exchange
# RR_N 64-byte requests and answers through bdut on one connection.  veth
# runs the receive path on the sender's CPU, so bdut handles the requests
# on CPU 0 and the answers on CPU 1 (the icount guest has one CPU: both
# there).  The rate is the flow's packets (two
# per transaction) per second; every one must have crossed bdut.
tcp_rr() {
	local sc=$1 tr=$2 size=$3 rep=$4 a0 b0 a1 b1 res n secs pps
	a0=$(rx d0) b0=$(rx d1)
	for _ in 1 2 3 4 5; do
		res=$(taskset -c 0 "$PEER" -n bgen tcp-rr $SRV_IP $RR_PORT $RR_N 2>&1) && break
		# the server may not listen yet
		sleep 0.2
	done
	a1=$(rx d0) b1=$(rx d1)
	read -r n secs <<<"$res"
	if [ "$n" != "$RR_N" ]; then
		bad "$sc $tr $size: tcp-rr ran ($res)"
		return 1
	fi
	if [ $((a1 - a0)) -lt "$RR_N" ] || [ $((b1 - b0)) -lt "$RR_N" ]; then
		bad "$sc $tr $size: $RR_N requests and answers crossed bdut (got $((a1 - a0)) and $((b1 - b0)))"
		return 1
	fi
	pps=$(awk -v n="$n" -v s="$secs" 'BEGIN { printf "%.0f", 2 * n / s }')
	figure "$sc" "$tr" "$size" "$rep" "$pps" pps
	say "$sc $tr size=$size rep=$rep: $pps pps ($n transactions in $secs s)"
}

# One round of the small scenarios for one tracker: 1 (one established
# flow), 2/7 at the small sizes (lookups random among N flows) and 3 (every
# packet a new flow, into an empty table).  Rounds alternate the trackers,
# so a slow spell of the TCG host slows all three alike.
small_round() {
	local tr=$1 r=$2 n
	topology_up "$tr" $UDP_TIMEOUT tcp || { bad "$tr: set-up"; return; }
	one_flow 100 >/dev/null
	measure one_flow "$tr" 1 "$r" $ONE_FLOW_PKTS "${ONE_FLOW[@]}" 0 || return
	tcp_rr tcp_flow "$tr" 1 "$r" || return
	for n in $SMALL_IPS; do
		fill "$n" "$tr" && lookups "$n" "$tr" "$r" &&
			tcp_rr tcp_flow "$tr" $((n * PORTS)) "$r" || return
	done
	topology_up "$tr" $UDP_TIMEOUT || { bad "$tr: set-up"; return; }
	measure new_flows "$tr" 0 "$r" $NEW_PKTS "${NEW_FLOWS[@]}" 0
}

# The stateful ruleset of docs/firewall.md in bdut's FORWARD chain (policy
# DROP; ESTABLISHED,RELATED accepted; INVALID dropped; NEW udp to port 9
# accepted), written with -m conntrack for nf_conntrack and -m ctlite for
# ctlite.  With no tracking a stateless rule accepts udp to port 9, so a
# tracker's added cost is its tracking and its match together.  bdut routes
# the one flow's answer back to bgen, so that the flow is established.
# BACKEND: nft (iptables-nft, Debian's iptables: both matches run through
# nft_compat's xtables glue) or legacy (iptables-legacy: both are plain
# xtables matches).
firewall_up() {
	local tr=$1 backend=$2 m=
	topology_up "$tr" $UDP_TIMEOUT || return 1
	ns bdut sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.d0.rp_filter=0 &&
	ns bdut ip route add 10.3.0.0/16 via $GEN_IP dev d0 || return 1
	case "$tr" in
	nf_conntrack) m=conntrack ;;
	ctlite) m=ctlite ;;
	esac
	if [ -z "$m" ]; then
		ns bdut "iptables-$backend-restore" <<-EOF
			*filter
			:FORWARD DROP [0:0]
			-A FORWARD -p udp --dport 9 -j ACCEPT
			COMMIT
		EOF
		return
	fi
	ns bdut "iptables-$backend-restore" <<-EOF
		*filter
		:FORWARD DROP [0:0]
		-A FORWARD -m $m --ctstate ESTABLISHED,RELATED -j ACCEPT
		-A FORWARD -m $m --ctstate INVALID -j DROP
		-A FORWARD -p udp --dport 9 -m $m --ctstate NEW -j ACCEPT
		COMMIT
	EOF
}

# rule_packets BACKEND N: the packets FORWARD's rule N has counted
rule_packets() {
	ns bdut "iptables-$1" -L FORWARD -v -x -n | awk -v n=$(($2 + 2)) 'NR == n { print $1 }'
}

# fw_measure BACKEND SCENARIO TRACKER SIZE REP RULE COUNT SRC_MIN SRC_MAX
#            PORT_MIN PORT_MAX: measure, and check that RULE (the
#            stateless rule with no tracking) accepted every packet that
#            went through: the state match saw what the scenario says
fw_measure() {
	local b=$1 sc=$2 tr=$3 size=$4 rep=$5 rule=$6 r0 r1 f0 f1
	shift 6
	[ "$tr" = none ] && rule=1
	r0=$(rule_packets "$b" "$rule") f0=$(forwarded)
	measure "$sc" "$tr" "$size" "$rep" "$@" 0 || return 1
	r1=$(rule_packets "$b" "$rule") f1=$(forwarded)
	if [ $((r1 - r0)) != $((f1 - f0)) ]; then
		bad "$sc $tr: FORWARD rule $rule accepted $((r1 - r0)) of the $((f1 - f0)) packets forwarded"
		return 1
	fi
}

# flow_answered: the one flow's first packets, then one answer from the
# sink, so the flow is established both ways
flow_answered() {
	one_flow 100 >/dev/null &&
		pktgen_run 1 $SINK $SINK 9 9 0 "${ONE_FLOW[0]}" "${ONE_FLOW[2]}" >/dev/null
}

# firewall_round TRACKER REP BACKEND: one established flow (its answer
# seen) and new flows (every packet a flow's first: the match, then the
# confirm step); scenarios fw_* under iptables-nft, fwl_* under legacy
firewall_round() {
	local tr=$1 r=$2 b=$3 p=fw
	[ "$b" = nft ] || p=fwl
	firewall_up "$tr" "$b" || { bad "firewall $tr $b: set-up"; return; }
	flow_answered || { bad "firewall $tr $b: the flow and its answer"; return; }
	fw_measure "$b" ${p}_one_flow "$tr" 1 "$r" 1 $ONE_FLOW_PKTS "${ONE_FLOW[@]}" || return
	firewall_up "$tr" "$b" || { bad "firewall $tr $b: set-up"; return; }
	fw_measure "$b" ${p}_new_flows "$tr" 0 "$r" 3 $NEW_PKTS "${NEW_FLOWS[@]}"
}

# nic_like: bdut receives as from a busy NIC's driver: d0 polls its
# packets in NAPI (GRO on, which veth does only for a sender without TSO),
# in a thread of its own at nice 19, so that pktgen's packets queue
# between two polls (no more than veth's ring holds: none is lost) and
# reach the stack in full lists (netif_receive_skb_list, gro_normal_batch
# long: each list through PRE_ROUTING, then each packet on)
nic_like() {
	local p
	ns bgen ethtool -K g0 tso off >/dev/null &&
		ns bdut ethtool -K d0 gro on >/dev/null &&
		ns bdut sh -c 'echo 1 >/sys/class/net/d0/threaded' || return
	p=$(pgrep '^napi/d0') && renice -n 19 -p $p >/dev/null
}

# The tracker's own share of the work, from a profile: perf samples CPU 0
# (pktgen and the whole receive path of every packet run there) while one
# flow's packets go through, and the tracker's modules plus its keyed hash
# (siphash, hsiphash: kernel functions the trackers call) are counted
# against every sample that was not idle.
# Times the per-packet cost of that run, this is the tracker's own cost
# per packet, a figure a slow spell of the host cannot skew: it slows the
# whole run alike.  KIND (bench_profile=, a kernel parameter, for a look by
# hand): udp (that one flow, the default), new (every packet a new flow)
# or tcp (the two-way TCP flow, all CPUs sampled: both its ends run; per
# packet it is exact under -icount, whose guest has one CPU).
# traffic_up TRACKER KIND: the topology for a profiled traffic (tcp: with
# the server's namespace; fw: the stateful ruleset under iptables-nft, the
# flow answered; nic: bdut receives in lists), the flow already established
traffic_up() {
	if [ "$2" = tcp ]; then
		topology_up "$1" $UDP_TIMEOUT tcp || return
		taskset -c 0 "$PEER" -n bgen tcp-rr $SRV_IP $RR_PORT 100 >/dev/null 2>&1
	elif [ "$2" = fw ]; then
		firewall_up "$1" nft && flow_answered || return
	elif [ "$2" = nic ]; then
		topology_up "$1" $UDP_TIMEOUT && nic_like || return
		one_flow 100 >/dev/null
	else
		topology_up "$1" $UDP_TIMEOUT || return
		one_flow 100 >/dev/null
	fi
	return 0
}

profile() {
	local tr=$1 kind=${2:-udp} data=$TMPDIR/perf.$1 pid pps idle mine busy
	local cpus=(-C 0) res n secs
	command -v perf >/dev/null || { say "profile: no perf"; return 0; }
	[ "$kind" != tcp ] || cpus=(-a)
	traffic_up "$tr" "$kind" || { bad "profile $tr: set-up"; return; }
	perf record -q "${cpus[@]}" -e cpu-clock -F $PROFILE_HZ -o "$data" >/dev/null 2>&1 &
	pid=$!
	sleep 2
	case "$kind" in
	new)
		pps=$(new_flows $PROFILE_PKTS) ;;
	tcp)
		res=$(taskset -c 0 "$PEER" -n bgen tcp-rr $SRV_IP $RR_PORT $RR_N 2>&1)
		read -r n secs <<<"$res"
		[ "$n" = "$RR_N" ] &&
			pps=$(awk -v n="$n" -v s="$secs" 'BEGIN { printf "%.0f", 2 * n / s }') ;;
	*)
		pps=$(one_flow $PROFILE_PKTS) ;;
	esac
	kill -INT $pid
	wait $pid
	[ -n "$pps" ] || { bad "profile $tr: traffic ran"; return; }
	# idle: the halt loop (its samples resolve to the end of the
	# scheduler's text under -Os; to the idle routine the CPU model
	# chose, amd_e400_idle under TCG, at -O2); the tracker: its modules,
	# and the keyed hash: nf_conntrack's siphash, ctlite's hsiphash_4u32
	# (siphash for IPv6), all kernel functions that they call
	local halt='__sched_text_end|default_idle|native_safe_halt|cpuidle|amd_e400_idle|mwait_idle'
	idle=$(perf report -i "$data" --stdio --sort sym 2>/dev/null |
		awk -v h="$halt" '$0 ~ h { s += $1 } END { print s + 0 }')
	case "$tr" in
	ctlite) mods='ctlite' ;;
	nf_conntrack) mods='nf_conntrack|nf_defrag_ipv4|nft_ct' ;;
	*) mods='^$' ;;
	esac
	mine=$(perf report -i "$data" --stdio --sort dso,sym 2>/dev/null |
		awk -v m="\\[($mods)\\]" '$2 ~ m || /siphash/ { s += $1 } END { print s + 0 }')
	busy=$(awk -v i="$idle" 'BEGIN { print 100 - i }')
	# where it goes, per packet: under -icount, in instructions
	perf report -i "$data" --stdio --sort dso,sym 2>/dev/null |
		awk -v b="$busy" -v p="$pps" -v tr="$tr" -v h="$halt" '
			/^ +[0-9.]+%/ && $0 !~ h &&
			$1 / b >= 0.003 && n++ < 60 {
				printf "# profile %s: %6.0f ns/pkt %s %s\n", tr, $1 / b * 1e9 / p, $2, $NF
			}' 
	figure profile "$tr" 1 1 "$(awk -v m="$mine" -v b="$busy" -v p="$pps" \
		'BEGIN { printf "%.0f", m / b * 1e9 / p }')" own_ns_per_packet
	figure profile "$tr" 1 1 "$(awk -v m="$mine" -v b="$busy" 'BEGIN { printf "%.2f", 100 * m / b }')" \
		own_percent
	say "profile $tr: $mine% of samples in the tracker, $busy% busy, $pps pps under perf"
	# by hand (bench_profile_only=1): every sample's address, for
	# tests/bench/annotate.py to place in the module's code on the host
	[ "${bench_profile_only:-0}" != 1 ] ||
		perf script -i "$data" -F ip,sym,symoff,dso 2>/dev/null |
		gzip >"${BENCH_OUT%/*}/samples.$tr.gz"
	rm -f "$data"
}

# tbprof TRACKER KIND: one traffic (udp: one established flow; tcp: the
# two-way flow; new: every packet a new flow, into an empty table; by
# hand, fw: the one flow through the stateful ruleset, and nic: the one
# flow received in lists, as from a NIC's driver) between
# two calls of sync(2), whose kernel function the QEMU plugin
# tests/bench/tbcount.c watches for (make bench-tbprof): each call dumps
# how often every translated block ran since the last.  The index says
# which dump is which traffic, and how many packets it had; the modules'
# symbols go beside it, for tests/bench/tbprof.py
TBPROF_MARKS=0
tbmark() { sync; TBPROF_MARKS=$((TBPROF_MARKS + 1)); }
tbprof() {
	local tr=$1 kind=$2 dir=${BENCH_OUT%/*} res n secs pkts f0
	traffic_up "$tr" "$kind" || { bad "tbprof $tr: set-up"; return; }
	f0=$(forwarded)
	tbmark
	case "$kind" in
	tcp)
		res=$(taskset -c 0 "$PEER" -n bgen tcp-rr $SRV_IP $RR_PORT $RR_N 2>&1)
		read -r n secs <<<"$res"
		pkts=$((2 * n)) ;;
	new)
		# as many as the rate's row: the table's growth is in both alike
		new_flows $NEW_PKTS >/dev/null
		pkts=$NEW_PKTS ;;
	*)
		one_flow $PROFILE_PKTS >/dev/null
		pkts=$PROFILE_PKTS ;;
	esac
	tbmark
	say "tbprof $tr $kind: $(($(forwarded) - f0)) of $pkts packets forwarded"
	echo "$((TBPROF_MARKS - 1)) $tr $kind $pkts" >>"$dir/tbprof.idx"
	grep '\[' /proc/kallsyms >"$dir/kallsyms.$((TBPROF_MARKS - 1))"
	good "tbprof $tr $kind: $pkts packets"
}

# The large table, one tracker: 2/7 at the large sizes, then 5 (memory over
# the fill from empty to the largest) and 4 (new flows into it)
# listing: the time of a full read of /proc/net/ctlite, which resumes
# where each read stopped, and of `ctlite list` (a netlink dump that
# resumes likewise): both linear in the entries
listing() {
	local t0 t1 lines
	t0=$(date +%s%N)
	lines=$(ns bdut cat /proc/net/ctlite | wc -l)
	t1=$(date +%s%N)
	figure listing ctlite "$lines" 1 $(( (t1 - t0) / 1000000 )) ms
	say "listing: $lines entries of /proc/net/ctlite in $(( (t1 - t0) / 1000000 )) ms"
	t0=$(date +%s%N)
	lines=$(ns bdut "$CTLITE_MODS/ctlite" list 2>/dev/null | wc -l)
	t1=$(date +%s%N)
	figure listing_netlink ctlite "$lines" 1 $(( (t1 - t0) / 1000000 )) ms
	say "listing: $lines entries of ctlite list in $(( (t1 - t0) / 1000000 )) ms"
}

large_table() {
	local tr=$1 n r count0 count1 mem0 mem1 slab0 used0 slab1 used1 d last=0
	topology_up "$tr" $UDP_TIMEOUT tcp || { bad "$tr: set-up"; return; }
	count0=$(tracked "$tr")
	mem0=$(meminfo)
	for n in $LARGE_IPS; do
		fill "$n" "$tr" || return
		[ "$tr" != ctlite ] || [ "$mode" = icount ] || listing
		for r in $(seq 1 $REPS); do
			lookups "$n" "$tr" "$r" &&
				tcp_rr tcp_flow "$tr" $((n * PORTS)) "$r" || return
		done
		last=$((n * PORTS))
	done
	if [ "$tr" != none ]; then
		count1=$(tracked "$tr")
		mem1=$(meminfo)
		read -r slab0 used0 <<<"$mem0"
		read -r slab1 used1 <<<"$mem1"
		d=$((count1 - count0))
		figure memory "$tr" "$d" 1 $(( (slab1 - slab0) * 1024 / d )) slab_bytes_per_entry
		figure memory "$tr" "$d" 1 $(( (used1 - used0) * 1024 / d )) used_bytes_per_entry
		say "memory $tr: $d entries, slab +$((slab1 - slab0)) kB, used +$((used1 - used0)) kB"
	fi
	for r in $(seq 1 $REPS); do
		measure new_flows_large "$tr" "$last" "$r" $NEW_PKTS \
			"$(ip_at $((4 + r)) 0)" "$(ip_at $((4 + r)) 1000)" \
			$PORT_MIN $((PORT_MIN + PORTS)) 0 || return
	done
}

# 6: how long the GC takes to free a full table of expired flows, and its
# longest single run (workqueue tracepoints, per CPU: a work item runs on
# one CPU from start to end)
gc_run() {
	local tr=$1 n=$GC_IPS start t now c peak=0 trace=/sys/kernel/tracing
	local fn
	case "$tr" in
	nf_conntrack) fn='gc_worker [nf_conntrack]' ;;
	ctlite) fn='gc_worker [ctlite]' ;;
	*) return ;;
	esac
	topology_up "$tr" $GC_TIMEOUT || { bad "gc $tr: set-up"; return; }
	echo 0 >$trace/tracing_on
	echo >$trace/trace
	echo 16384 >$trace/buffer_size_kb
	echo 1 >$trace/events/workqueue/workqueue_execute_start/enable
	echo 1 >$trace/events/workqueue/workqueue_execute_end/enable
	echo 1 >$trace/tracing_on
	start=$(date +%s.%N)
	fill "$n" "$tr" || return
	peak=$(tracked "$tr")
	# all are expired GC_TIMEOUT after the last was made
	sleep $GC_TIMEOUT
	t=$(date +%s.%N)
	c=$(tracked "$tr")
	while [ "$c" -gt 0 ]; do
		now=$(date +%s.%N)
		if awk -v a="$now" -v b="$t" 'BEGIN { exit !(a - b > 300) }'; then
			bad "gc $tr: table empty within 300 s of the last deadline ($c left)"
			break
		fi
		sleep 0.2
		c=$(tracked "$tr")
	done
	now=$(date +%s.%N)
	echo 0 >$trace/tracing_on
	echo 0 >$trace/events/workqueue/workqueue_execute_start/enable
	echo 0 >$trace/events/workqueue/workqueue_execute_end/enable
	figure gc "$tr" "$peak" 1 "$(awk -v a="$now" -v b="$t" 'BEGIN { printf "%.2f", a - b }')" \
		seconds_after_last_deadline
	figure gc "$tr" "$peak" 1 "$(awk -v a="$now" -v b="$start" -v t=$GC_TIMEOUT \
		'BEGIN { printf "%.2f", a - b - t }')" seconds_after_first_deadline
	# longest run: pair each start of the GC's work item with the next end
	# of the same work struct
	awk -v fn="$fn" '
		function ts(   i) {
			for (i = 1; i <= NF; i++)
				if ($i ~ /^[0-9]+\.[0-9]+:$/) return substr($i, 1, length($i) - 1) + 0
		}
		function work(   i) {
			for (i = 1; i < NF; i++)
				if ($i == "struct") return $(i + 1)
		}
		/workqueue_execute_start/ && index($0, fn) { at[work()] = ts(); n++; next }
		/workqueue_execute_end/ {
			w = work()
			if (w in at) {
				d = ts() - at[w]; delete at[w]
				if (d > max) max = d
				sum += d
			}
		}
		END { printf "%d %.0f %.0f\n", n, max * 1e6, sum * 1e6 }
	' $trace/trace >"$TMPDIR/gc.$$"
	local runs longest total
	read -r runs longest total <"$TMPDIR/gc.$$"
	figure gc "$tr" "$peak" 1 "$runs" runs
	figure gc "$tr" "$peak" 1 "$longest" longest_run_us
	figure gc "$tr" "$peak" 1 "$total" total_run_us
	say "gc $tr: $peak entries; empty $(tail -n 4 "$out" | head -n 1 | cut -f5) s after the first deadline; $runs runs, longest $longest us"
	echo >$trace/trace
}

# Every scenario left its figures (the report needs them all)
figures_from() {
	local want tr
	for want in $1; do
		for tr in $2; do
			if grep -q "^$want	$tr	" "$out"; then
				good "bench: $want figures for $tr"
			else
				bad "bench: $want figures for $tr"
			fi
		done
	done
}

# --- the run --------------------------------------------------------------

# sourced for its functions (a profile or a probe by hand): stop here
[ "${BENCH_SOURCE_ONLY:-}" = 1 ] && return 0

: >"$out"
modprobe pktgen || { bad "modprobe pktgen"; exit 1; }
modprobe dummy 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
say "bench: mode $mode, $(nproc) CPUs, $(awk '/MemTotal/ { print $2 }' /proc/meminfo) kB, $(uname -r)"
say "cpu: $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
figure info all 0 0 "$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)" cpu
figure info all 0 0 "$(uname -r)" kernel
figure info all 0 0 "$mode" mode

modprobe nf_conntrack || bad "modprobe nf_conntrack"
figure info nf_conntrack 0 0 "$(cat /sys/module/nf_conntrack/parameters/hashsize)" default_buckets
insmod "$ko" || bad "insmod ctlite"
# slabtop names ctlite's caches: this kernel merges caches of a size (the
# debug kernel's KASAN merges none), but none into ctlite's, nor them into
# kmalloc-64; a merged cache is a symlink in /sys/kernel/slab
aliases=$(find /sys/kernel/slab -maxdepth 1 -type l | wc -l)
for c in ctlite_entry4 ctlite_entry6; do
	if [ "$aliases" -gt 0 ] && [ -d "/sys/kernel/slab/$c" ] && [ ! -L "/sys/kernel/slab/$c" ] &&
		[ "$(cat "/sys/kernel/slab/$c/aliases")" = 0 ]; then
		good "slab cache $c is its own ($aliases other caches are merged)"
	else
		bad "slab cache $c: merged ($(readlink "/sys/kernel/slab/$c")), or no cache merges ($aliases)"
	fi
done
figure info ctlite 0 0 "$(cat /sys/module/ctlite/parameters/hashsize)" default_buckets
figure info ctlite 0 0 "$(dmesg | sed -n 's/.* \([0-9]*\) bytes per entry.*/\1/p' | tail -n 1)" entry_bytes

# The kernel's random numbers seeded first, as on any host that has run a
# while: until then every refill of a CPU's batch of random bytes
# re-extracts the input pool (crng_make_state()), and nf_conntrack draws
# one per new flow (its chain limit): 10,000 instructions a flow where a
# seeded kernel spends 20.  A read of /dev/random waits for the seed and
# makes the kernel gather it (try_to_generate_entropy()).
timeout 60 dd if=/dev/random of=/dev/null bs=1 count=1 status=none ||
	bad "the kernel's random numbers seeded"

# bench_profile_only=1 (a kernel parameter, CTLITE_CMDLINE=...): the
# profiles alone, no tracking's too, for a look at where the time goes;
# bench_profile=new or tcp profiles that traffic instead of one UDP flow
if [ "${bench_profile_only:-0}" = 1 ]; then
	for tr in $TRACKERS; do
		tracker_on "$tr" && profile "$tr" "${bench_profile:-udp}"
	done
	exit $((failures > 0))
fi
# bench_tbprof_only=1 (make bench-tbprof, and make bench-icount's second
# boot, with the plugin loaded): each tracker's traffic for the count by
# function, and nothing else; bench_tbprof=udp (or tcp, new, fw, nic, or a
# list) only those
if [ "${bench_tbprof_only:-0}" = 1 ]; then
	: >"${BENCH_OUT%/*}/tbprof.idx"
	kinds=${bench_tbprof:-udp,tcp,new}
	for tr in $TRACKERS; do
		tracker_on "$tr" || { bad "$tr: on"; continue; }
		for kind in ${kinds//,/ }; do
			tbprof "$tr" "$kind"
		done
	done
	# the TCP server holds this script's output open
	topology_down
	exit $((failures > 0))
fi
for r in $(seq 1 $REPS); do
	say "== round $r of $REPS: $TRACKERS"
	for tr in $TRACKERS; do
		tracker_on "$tr" || { bad "$tr: on"; continue; }
		small_round "$tr" "$r"
		firewall_round "$tr" "$r" nft
		firewall_round "$tr" "$r" legacy
	done
done
for tr in nf_conntrack ctlite; do
	say "== profile: $tr"
	tracker_on "$tr" || { bad "$tr: on"; continue; }
	profile "$tr"
done
for tr in $TRACKERS; do
	say "== large table: $tr"
	tracker_on "$tr" || { bad "$tr: on"; continue; }
	large_table "$tr"
	topology_down
	settle
	# under -icount the profile counts instructions, but the GC's and
	# growth's figures are times, which mean nothing there
	[ "$mode" != icount ] || continue
	gc_run "$tr"
	topology_down
	settle
done
# the growths of ctlite's table: entries moved and how long new flows
# waited (a time: not under -icount)
[ "$mode" = icount ] ||
dmesg | sed -n 's/.*ctlite: grew from \([0-9]*\) to \([0-9]*\) buckets for \([0-9]*\) entries, new flows waited \([0-9]*\) us/\1 \2 \3 \4/p' |
while read -r from to entries us; do
	figure grow ctlite "$entries" "$to" "$us" pause_us
	say "ctlite grew from $from to $to buckets, $entries entries moved, new flows waited $us us"
done
tracker_on none || bad "rmmod ctlite"

figures_from "one_flow tcp_flow lookup new_flows new_flows_large fw_one_flow fw_new_flows fwl_one_flow fwl_new_flows" "$TRACKERS"
figures_from memory "nf_conntrack ctlite"
[ "$mode" = icount ] || figures_from gc "nf_conntrack ctlite"
exit $((failures > 0))
