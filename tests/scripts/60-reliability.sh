#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What ctlite does when things go wrong underneath it: entry allocations
# that fail (failslab, limited to ctlite's caches by the guest's
# slub_debug=A,ctlite_entry4,ctlite_entry6), malformed and hostile packets
# (tests/fuzz/ctlite-fuzz.c), and everything an operator and the network
# can do at once (the concurrent stress run).
#
# CTLITE_STRESS=short (make check, the default) or long (make stress: at
# least 1,000,000 fuzzed packets, then 10 minutes of concurrent stress).
# CTLITE_STRESS_TABLE: a file to write the stress run's figures to.
. "$(dirname "$0")/lib.sh"

FUZZ=$CTLITE_MODS/ctlite-fuzz
case "${CTLITE_STRESS:-short}" in
# chunks: packets per fuzzer run and connections per client run in the
# stress workers; small ones let a short run stop soon after its time
short) FUZZ_COUNT=6000 STRESS_SECS=15 CHUNK=1500 CLIENTS=4 ;;
long) FUZZ_COUNT=1000000 STRESS_SECS=600 CHUNK=4000 CLIENTS=10 ;;
*) die "CTLITE_STRESS must be short or long" ;;
esac
# Seeds name runs: a failure's output gives the seed that reproduces it
FUZZ_SEED=${CTLITE_FUZZ_SEED:-$((EPOCHSECONDS % 100000))}

FAILSLAB=/sys/kernel/debug/failslab

# failslab_on [PERCENT [TIMES]]: fail PERCENT (default all) of ctlite's
# atomic entry allocations, at most TIMES times (default: no limit)
failslab_on() {
	echo Y >"$FAILSLAB/cache-filter"	# only caches created with failslab: ours
	echo Y >"$FAILSLAB/ignore-gfp-wait"	# only GFP_ATOMIC: the packet path
	echo 0 >"$FAILSLAB/verbose"		# no stack dump per failure
	echo 1 >"$FAILSLAB/interval"
	echo "${2:--1}" >"$FAILSLAB/times"
	echo "${1:-100}" >"$FAILSLAB/probability"
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

# Arguments for ctlite-fuzz in ct-a, aimed at ct-b across the veth pair
fuzz_args() {
	local link
	link=$(ip -n ct-b -o link show veth-b)
	[[ $link =~ link/ether\ ([0-9a-f:]{17}) ]] || die "no MAC for veth-b: $link"
	FUZZ_ARGS=(--ifname veth-a --dmac "${BASH_REMATCH[1]}"
		   --src4 10.99.0.1 --dst4 10.99.0.2 --src6 fd99::1 --dst6 fd99::2)
}

# Packets ctlite-fuzz's output says it sent
fuzz_sent() {
	[[ $1 =~ mix\ [a-z]+:\ ([0-9]+)\ packets ]] || die "ctlite-fuzz said: $1"
	echo "${BASH_REMATCH[1]}"
}

# Netns NS lists as many entries as it counts.  With the traffic stopped
# entries only go (expiring while the list is read), so the listing must
# fall between the count before and the count after it.
table_consistent() {
	local ns=$1 dir c1 c2 lines
	dir=$(ns_proc_net "$ns")
	c1=$(ct_entries "$ns")
	# one large read: a read loop would restart the listing per line
	lines=$(wc -l <"$dir/ctlite")
	c2=$(ct_entries "$ns")
	[ "$c1" -ge "$lines" ] && [ "$lines" -ge "$c2" ] ||
		die "${ns:-init netns}: counts $c1 then $c2 entries but lists $lines"
}

# Unload; the unload line is logged and the entry caches are destroyed
# (a cache destroyed with objects left in it is a kernel report)
unload_leaves_nothing() {
	kmsg_mark
	rmmod ctlite
	ctlite_log | grep -Eqx 'ctlite: unloaded, [0-9]+ entries freed' ||
		die "no unload line; ctlite logged: $(ctlite_log)"
	[ ! -e /sys/kernel/slab/ctlite_entry4 ] || die "ctlite_entry4 outlived the module"
	[ ! -e /sys/kernel/slab/ctlite_entry6 ] || die "ctlite_entry6 outlived the module"
}

# Kernel reports (tests/vm/splat-patterns) logged since the mark
reports_since_mark() {
	kmsg_since | grep -Ec -f "$CTLITE_TOP/tests/vm/splat-patterns" || true
}

# Every kind of malformed and hostile packet, from a seed: the hooks sort
# them (malformed: invalid; fragments and ICMP errors: ignored; the rest
# tracked), the table stays consistent, real traffic still works, and
# unload frees every entry.
fuzzed_packets_leave_ctlite_consistent() {
	ctlite_load hashsize=1024 max=100000
	netns_pair
	fuzz_args
	kmsg_mark
	local out sent
	out=$(in_a "$FUZZ" "${FUZZ_ARGS[@]}" --seed "$FUZZ_SEED" --count "$FUZZ_COUNT")
	sent=$(fuzz_sent "$out")
	expect_eq "$sent" "$FUZZ_COUNT" "packets sent"
	sed 's/^ctlite-fuzz: /# /' <<<"$out"
	local col ns v
	for ns in ct-a ct-b; do
		for col in invalid ignore new found; do
			v=$(ct_stat "$ns" "$col")
			echo "# $ns: $col $v"
			[ "$v" -gt 0 ] || die "$ns: no packet counted $col"
		done
	done
	table_consistent ct-a
	table_consistent ct-b
	# a real connection is still tracked, in both namespaces
	peer_b tcp-server 10.99.0.2 7000 30 &
	wait_listen ct-b tcp 7000
	peer_a tcp-connect 10.99.0.2 7000 41000
	expect_entry ct-a 'ESTABLISHED|TIME_WAIT|FIN_WAIT|CLOSE.*sport=41000 dport=7000'
	expect_entry ct-b 'ESTABLISHED|TIME_WAIT|FIN_WAIT|CLOSE.*sport=41000 dport=7000'
	unload_leaves_nothing
	expect_eq "$(reports_since_mark)" 0 "kernel reports"
	echo "# reproduce: CTLITE_FUZZ_SEED=$FUZZ_SEED with $FUZZ_COUNT packets"
}

# --- the concurrent stress run ---------------------------------------------
# Workers run side by side until $SD/stop appears; each counts what it did
# in its own files under $SD (no two write one file).
SD=$TMPDIR/stress

bump() { local v=0; [ ! -e "$SD/$1" ] || v=$(<"$SD/$1"); echo $((v + ${2:-1})) >"$SD/$1"; }
counted() { if [ -e "$SD/$1" ]; then cat "$SD/$1"; else echo 0; fi; }
stopping() { [ -e "$SD/stop" ]; }

# Malformed packets, a seed per chunk
w_fuzz() {
	local i=0 out
	while ! stopping; do
		i=$((i + 1))
		out=$(in_a "$FUZZ" "${FUZZ_ARGS[@]}" --seed $((FUZZ_SEED + i)) --count "$CHUNK") ||
			die "ctlite-fuzz failed: $out"
		bump fuzzed "$(fuzz_sent "$out")"
	done
}

# New flows from spoofed sources (well-formed SYNs and datagrams)
w_flood() {
	local i=0 out
	while ! stopping; do
		i=$((i + 1))
		out=$(in_a "$FUZZ" "${FUZZ_ARGS[@]}" --mix flood --rate 300 \
			--seed $((FUZZ_SEED + 5000 + i)) --count $((CHUNK / 3))) ||
			die "ctlite-fuzz failed: $out"
		bump flooded "$(fuzz_sent "$out")"
	done
}

# Connections through the table, one after another
w_connections() {
	local out
	while ! stopping; do
		out=$(peer_a tcp-clients 10.99.0.2 7000 "$CLIENTS") || true
		[[ $out =~ ^([0-9]+) ]] && bump connections "${BASH_REMATCH[1]}"
	done
}

# Resizes through the sysctl and the parameter in turn; refused while the
# module is away
w_resize() {
	local sizes=(16 4096 257 65536 1024 16384 64) i=0 f
	while ! stopping; do
		f=/proc/sys/net/ctlite/buckets
		[ $((i % 2)) = 0 ] || f=/sys/module/ctlite/parameters/hashsize
		if echo "${sizes[i % ${#sizes[@]}]}" 2>/dev/null >"$f"; then
			bump resizes
		fi
		i=$((i + 1))
		nap 0.3
	done
}

# Lifetime and policy sysctls of the netns it runs in, in a loop of
# builtins (bash -c in the netns: /proc/sys is the opener's netns); with
# the init netns's max among them.  Runs through `declare -f`: no helpers.
w_sysctl_loop() {
	local sd=$1 name=$2 i=0 kv
	local writes=("early_drop 0" "timeout_udp 1" "rst_evict 0" "timeout_icmp 1"
		"timeout_tcp_syn_sent 1" "timeout_tcp_established 2" "early_drop 1"
		"adaptive_start 0" "timeout_tcp_close 1" "rst_evict 1" "timeout_udp 30"
		"timeout_icmp 30" "timeout_tcp_syn_sent 120" "adaptive_start 60"
		"timeout_tcp_established 432000" "timeout_tcp_close 10")
	[ "$name" != init ] || writes+=("max 50" "max 100000" "max 3000")
	exec 3<>"$sd/nap-$name"
	while [ ! -e "$sd/stop" ]; do
		kv=${writes[i % ${#writes[@]}]}
		# shellcheck disable=SC2086
		set -- $kv
		if echo "$2" 2>/dev/null >"/proc/sys/net/ctlite/$1"; then
			echo $((i + 1)) >"$sd/sysctl-$name"
		fi
		i=$((i + 1))
		read -r -t 0.1 -u 3 || true
	done
}

# Namespaces made, given live entries (an ICMP flow at LOCAL_OUT) and
# destroyed, while everything else goes on
w_netns() {
	local i=0 ns
	while ! stopping; do
		i=$((i + 1)) ns=ct-s$i
		ip netns add "$ns"
		ip -n "$ns" link set lo up
		in_ns "$ns" ping -q -c 3 -i 0.01 127.0.0.1 >/dev/null 2>&1 || true
		ip netns del "$ns"
		bump netns
	done
}

# Counters of the namespaces that live through the run, added up before
# each unload resets them
stats_add() {
	local col ns v
	for col in new early_drop rst_evict expired drop alloc_failed; do
		v=0
		for ns in "" ct-a ct-b; do v=$((v + $(ct_stat "$ns" "$col"))); done
		bump "stat-$col" "$v"
	done
}

# Unload and load again, while traffic flows; every cycle must work
w_module() {
	local sizes=(1024 64 8192 300) i=0 out
	while ! stopping; do
		nap "$MODULE_NAP"
		i=$((i + 1))
		stats_add
		if ! out=$(rmmod ctlite 2>&1); then
			echo "rmmod failed: $out" >>"$SD/module-errors"
			continue
		fi
		if ! out=$(insmod "$CTLITE_KO" hashsize="${sizes[i % ${#sizes[@]}]}" 2>&1); then
			echo "insmod failed: $out" >>"$SD/module-errors"
			ctlite_load
		fi
		bump modules
	done
}

FAILSLAB_TIMES=100000000

concurrent_stress_finds_nothing() {
	local secs=$STRESS_SECS
	MODULE_NAP=$((secs < 100 ? 3 : 10))
	rm -rf "$SD"
	mkdir -p "$SD"
	local n
	mkfifo "$SD/nap-init" "$SD/nap-ct-a" "$SD/nap-ct-b"
	ctlite_load hashsize=1024 max=3000
	netns_pair
	trap 'failslab_off; echo 1 >"$FAILSLAB/times"; netns_cleanup' EXIT
	fuzz_args
	kmsg_mark
	local run_mark=$KMSG_MARK start=$SECONDS
	# everything the kernel logs, kept whole (the ring buffer may wrap)
	cat /dev/kmsg >"$SD/kmsg" &
	local kmsg_pid=$!
	# 1 in 100 of the packet path's entry allocations fails
	failslab_on 1 "$FAILSLAB_TIMES"

	peer_b tcp-server 10.99.0.2 7000 $((secs + 120)) &
	wait_listen ct-b tcp 7000
	local pings=()
	# (not in_a: $! must be ping's pid, not a subshell's)
	"$PEER" -n ct-a exec ping -q -i 0.05 10.99.0.2 >/dev/null 2>&1 &
	pings+=($!)
	"$PEER" -n ct-a exec ping -q -6 -i 0.05 fd99::2 >/dev/null 2>&1 &
	pings+=($!)
	local workers=()
	w_fuzz & workers+=($!)
	w_flood & workers+=($!)
	w_connections & workers+=($!)
	w_resize & workers+=($!)
	w_netns & workers+=($!)
	w_module & workers+=($!)
	w_sysctl_loop "$SD" init & workers+=($!)
	in_a bash -c "$(declare -f w_sysctl_loop); w_sysctl_loop $SD ct-a" & workers+=($!)
	in_b bash -c "$(declare -f w_sysctl_loop); w_sysctl_loop $SD ct-b" & workers+=($!)

	nap "$secs"
	touch "$SD/stop"
	local w
	for w in "${workers[@]}"; do wait "$w" || die "a stress worker failed (pid $w)"; done
	kill "${pings[@]}" 2>/dev/null || true
	local injected=$((FAILSLAB_TIMES - $(<"$FAILSLAB/times")))
	failslab_off
	local took=$((SECONDS - start))

	[ ! -e "$SD/module-errors" ] || die "module cycles failed: $(<"$SD/module-errors")"
	ctlite_loaded || die "ctlite not loaded after the run"
	stats_add
	table_consistent ""
	table_consistent ct-a
	table_consistent ct-b
	unload_leaves_nothing
	nap 0.5
	kill "$kmsg_pid"
	local reports
	reports=$(sed -n "/$run_mark/,\$p" "$SD/kmsg" |
		grep -Ec -f "$CTLITE_TOP/tests/vm/splat-patterns" || true)

	local -a rows=(
		"run length (s)|$took"
		"vCPUs|$(nproc)"
		"fuzzed packets sent|$(counted fuzzed)"
		"flood packets (new flows, spoofed)|$(counted flooded)"
		"TCP connections served|$(counted connections)"
		"flows created (new)|$(counted stat-new)"
		"early drops|$(counted stat-early_drop)"
		"RST evictions|$(counted stat-rst_evict)"
		"expired (GC and lookups)|$(counted stat-expired)"
		"new flows dropped, table full|$(counted stat-drop)"
		"resizes|$(counted resizes)"
		"sysctl writes|$(( $(counted sysctl-init) + $(counted sysctl-ct-a) + $(counted sysctl-ct-b) ))"
		"netns cycles|$(counted netns)"
		"module cycles (rmmod + insmod)|$(counted modules)"
		"allocation failures injected|$injected"
		"new flows dropped, no memory|$(counted stat-alloc_failed)"
		"kernel reports found|$reports"
	)
	local row
	for row in "${rows[@]}"; do echo "# ${row%%|*}: ${row#*|}"; done
	if [ -n "${CTLITE_STRESS_TABLE:-}" ]; then
		{
			echo "| what | count |"
			echo "|---|---:|"
			for row in "${rows[@]}"; do echo "| ${row%%|*} | ${row#*|} |"; done
		} >"$CTLITE_STRESS_TABLE"
	fi
	expect_eq "$reports" 0 "kernel reports"
	# every kind of work happened, or the run proves nothing
	for n in fuzzed flooded resizes netns modules sysctl-ct-b stat-new; do
		[ "$(counted "$n")" -gt 0 ] || die "the stress run did no $n"
	done
	[ "$injected" -gt 0 ] || die "no allocation failure was injected"
}

run_tests \
	failed_allocations_drop_new_flows_and_leak_nothing \
	fuzzed_packets_leave_ctlite_consistent \
	concurrent_stress_finds_nothing
