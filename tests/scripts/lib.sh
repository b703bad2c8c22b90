# SPDX-License-Identifier: GPL-2.0
#
# Sourced by the guest test scripts.  A script defines one function per
# scenario and ends with `run_tests name...`; each scenario runs in its own
# subshell under `set -e`, and prints "ok - name" (with the lines it wrote
# starting "# ", the figures it measured) or "not ok - name" with its whole
# output as diagnostics.  Scripts run as root inside the test guest,
# where $CTLITE_MODS holds the built modules.
set -euo pipefail

CTLITE_KO=$CTLITE_MODS/ctlite.ko

# Stop the scenario with a message (set -e turns a false test into a stop
# without one; say what was expected instead).
die() { echo "$*" >&2; exit 1; }
expect_eq() { [ "$1" = "$2" ] || die "${3:-value}: expected '$2', got '$1'"; }

# Keep processes few: each exec costs 0.2-0.5 s in the TCG debug guest
# (measured: /bin/true 0.23 s, grep 0.27 s, `ip netns exec ct-a true`
# 0.7 s), so the helpers below read files with builtins where they can,
# and enter namespaces with in_ns.

# nap SECONDS: sleep without a process (a read that times out on a FIFO
# nobody writes)
NAP_FIFO=${TMPDIR:-/tmp}/ctlite-nap-$$
mkfifo "$NAP_FIFO"
exec {NAP_FD}<>"$NAP_FIFO"
rm -f "$NAP_FIFO"
nap() { read -r -t "$1" -u "$NAP_FD" || true; }

ctlite_loaded() { [[ $'\n'$(</proc/modules) == *$'\nctlite '* ]]; }
# Load ctlite for a test of the one table: the tests' namespaces stand for
# hosts, so each may use all of it (netns_share=100).  The tests of the
# shares (38-tenants) load it as it comes, with ctlite_load_shared.
ctlite_load() { insmod "$CTLITE_KO" "$@" && echo 100 >/proc/sys/net/ctlite/netns_share; }
ctlite_load_shared() { insmod "$CTLITE_KO" "$@"; }
ctlite_unload() { if ctlite_loaded; then rmmod ctlite; fi; }
ctlite_param() { cat "/sys/module/ctlite/parameters/$1"; }

# kmsg_mark, then kmsg_since: the kernel log written after the mark
kmsg_mark() {
	KMSG_MARK="ctlite-test-mark-$$-$RANDOM$RANDOM"
	echo "$KMSG_MARK" >/dev/kmsg
}
kmsg_since() { dmesg | sed -n "/$KMSG_MARK/,\$p" | tail -n +2; }
# Lines of the kernel log since the mark that ctlite wrote, text only
ctlite_log() {
	dmesg | sed -n "/$KMSG_MARK/,\$ s/^\[[ 0-9.]*\] ctlite: /ctlite: /p"
}

# Microseconds since the epoch, without a process
now_us() { echo "${EPOCHREALTIME/./}"; }

# Wait up to $2 seconds until "$1" (a shell condition) holds; print the
# whole seconds it took
wait_for() {
	local cond=$1 limit=$2 start=$SECONDS
	until eval "$cond"; do
		[ $((SECONDS - start)) -lt "$limit" ] || return 1
		nap 0.2
	done
	echo $((SECONDS - start))
}

# in_selection NAME: whether scenario NAME matches one of the globs in
# CTLITE_SCENARIOS (comma-separated; guest.sh sets it from CTLITE_ONLY)
in_selection() {
	local g globs
	IFS=, read -r -a globs <<<"${CTLITE_SCENARIOS:-*}"
	for g in "${globs[@]}"; do
		# shellcheck disable=SC2053
		[[ $1 == $g ]] && return 0
	done
	return 1
}

run_tests() {
	# builtins only: no mktemp, sed or rm per scenario
	local t rc out=$TMPDIR/ctlite-scenario-$$.out line
	local start took
	for t in "$@"; do
		in_selection "$t" || continue
		start=$(now_us)
		set +e
		if [ -z "${ctlite_xtrace:-}" ]; then
			(set -e; "$t") >"$out" 2>&1
		else
			# ctlite_xtrace=1 on the guest's command line: every
			# command with the time it began, in the results'
			# xtrace-NAME.log, to see where a scenario's time goes
			(
				exec {XFD}>>"/run/results/xtrace-$t.log"
				BASH_XTRACEFD=$XFD PS4='+${EPOCHREALTIME} '
				set -ex
				"$t"
			) >"$out" 2>&1
		fi
		rc=$?
		set -e
		ctlite_unload >/dev/null 2>&1 || true
		took=$(( ($(now_us) - start) / 100000 ))
		if [ "$rc" = 0 ]; then
			echo "ok - $t"
			echo "  # took $((took / 10)).$((took % 10)) s"
			# figures a scenario reports, as TAP comments
			while IFS= read -r line; do
				[[ $line != "# "* ]] || echo "  $line"
			done <"$out"
		else
			echo "not ok - $t"
			while IFS= read -r line; do echo "  $line"; done <"$out"
		fi
	done
	: >"$out"
}

# in_ns NS COMMAND...: COMMAND in netns NS, entered by ctlite-peer (below);
# `ip netns exec` also remounts /sys, which no test reads, and took 0.7 s
# where this takes 0.23 s.  In the background, $! is a subshell's: where
# the pid must be COMMAND's, run "$PEER" -n NS exec COMMAND... instead.
in_ns() { "$PEER" -n "$1" exec "${@:2}"; }
in_a() { in_ns ct-a "$@"; }
in_b() { in_ns ct-b "$@"; }
# tests/peer/ctlite-peer (built static by make check) in ct-a or ct-b: it
# enters the namespace itself, and starts in 0.1 s where `ip netns exec`
# and python3 together took 2.2 s
PEER=$CTLITE_MODS/ctlite-peer
peer_a() { "$PEER" -n ct-a "$@"; }
peer_b() { "$PEER" -n ct-b "$@"; }
# ns_sysctl NS NAME[=VALUE]...: read or write sysctls in netns NS (a
# comma-separated list: each in turn), as sysctl -n and sysctl -qw do
ns_sysctl() { local ns=$1; shift; "$PEER" -n "$ns" sysctl "$@"; }

# Two namespaces joined by a veth pair: ct-a is 10.99.0.1 and fd99::1,
# ct-b is 10.99.0.2 and fd99::2.  Removed, with every background job the
# scenario started, when the scenario's subshell exits.  A process sleeps
# in each (NS_PID[ns]), so that its /proc/PID/net shows the namespace's
# files to builtins, without an `ip netns exec` per read.
declare -A NS_PID
netns_pair() {
	trap netns_cleanup EXIT
	ip -batch - <<-EOF
	netns add ct-a
	netns add ct-b
	link add veth-a netns ct-a type veth peer name veth-b netns ct-b
	EOF
	netns_side ct-a veth-a 1
	netns_side ct-b veth-b 2
	netns_holder ct-a
	netns_holder ct-b
}

# Start NS's sleeper and wait until it is in NS
netns_holder() {
	local i
	"$PEER" -n "$1" hold &
	NS_PID[$1]=$!
	# killed by netns_kill: no "Terminated" from the shell
	disown "${NS_PID[$1]}"
	for i in {1..100}; do
		[ "/proc/${NS_PID[$1]}/ns/net" -ef "/run/netns/$1" ] && return 0
		nap 0.05
	done
	die "no process in netns $1"
}

# /proc/net of netns NS ("" for this one), for builtins to read
ns_proc_net() {
	if [ -z "$1" ]; then
		echo /proc/net
	else
		echo "/proc/${NS_PID[$1]:?no sleeper in netns $1}/net"
	fi
}

# Addresses 10.99.0.HOST and fd99::HOST on DEV in NS, and links up
netns_side() {
	ip -n "$1" -batch - <<-EOF
	addr add 10.99.0.$3/24 dev $2
	addr add fd99::$3/64 dev $2 nodad
	link set lo up
	link set $2 up
	EOF
}

# Kill every process in netns NS (a background job's pid is often only the
# subshell that started it) and wait until none is left in it (a zombie is
# in no namespace)
netns_kill() {
	local pids pid i left
	[ -e "/run/netns/$1" ] || return 0
	# what `ip netns pids` does, with builtins
	pids=$(for pid in /proc/[0-9]*; do
		[ ! "$pid/ns/net" -ef "/run/netns/$1" ] || echo "${pid#/proc/}"
	done)
	[ -n "$pids" ] || return 0
	# shellcheck disable=SC2086
	kill $pids 2>/dev/null || true
	for i in {1..100}; do
		left=
		for pid in $pids; do
			[ "/proc/$pid/ns/net" -ef "/run/netns/$1" ] && left=$pid
		done
		[ -n "$left" ] || return 0
		nap 0.05
	done
}

netns_cleanup() {
	local pids
	pids=$(jobs -p)
	# ours to kill, but no "Terminated" line from the shell for each
	disown -a
	netns_kill ct-a
	netns_kill ct-b
	[ -z "$pids" ] || kill $pids 2>/dev/null || true
	ip -force -batch - 2>/dev/null <<-EOF || true
	netns del ct-a
	netns del ct-b
	EOF
}

# Wait (up to 20 s) until a socket listens on PORT in netns NS: PROTO tcp
# or udp (either family), tcp6 or udp6 (IPv6 only).  Its /proc/net line is
# in state LISTEN (0A) or unconnected UDP (07).
wait_listen() {
	local ns=$1 proto=$2 port=$3 dir i f laddr rest state=07 hex files
	dir=$(ns_proc_net "$ns")
	printf -v hex ':%04X' "$port"
	[ "${proto:0:3}" != tcp ] || state=0A
	files=("$dir/$proto")
	[ "${proto: -1}" = 6 ] || files+=("$dir/${proto}6")
	for i in {1..200}; do
		for f in "${files[@]}"; do
			while read -r _ laddr rest; do
				rest=${rest#* }
				[[ $laddr == *"$hex" && ${rest%% *} == "$state" ]] && return 0
			done <"$f"
		done
		nap 0.1
	done
	die "nothing listens on $proto port $port in $ns"
}

# proc_match FILE ERE: the lines of FILE that match the ERE, in the array
# MATCHED; with builtins, as most tables read here hold a few lines and a
# grep costs 0.3 s in the debug guest.  mapfile reads the file straight
# through, as grep does; a loop of `read` seeks back after each line, and
# a /proc file that changed meanwhile gives torn lines at an offset it
# seeks to.
proc_match() {
	local line lines
	MATCHED=()
	mapfile -t lines <"$1"
	for line in "${lines[@]}"; do
		[[ ! $line =~ $2 ]] || MATCHED+=("$line")
	done
}

# The /proc/net/ctlite lines of netns NS that match the ERE, as grep -E
# prints them (status 1 when none does); how many, with ct_count
ct_lines() {
	proc_match "$(ns_proc_net "$1")/ctlite" "$2"
	[ "${#MATCHED[@]}" != 0 ] || return 1
	printf '%s\n' "${MATCHED[@]}"
}
ct_count() {
	proc_match "$(ns_proc_net "$1")/ctlite" "$2"
	echo "${#MATCHED[@]}"
}
expect_entry() {
	ct_lines "$1" "$2" >/dev/null ||
		die "no entry /$2/ in $1; /proc/net/ctlite: $(in_ns "$1" cat /proc/net/ctlite)"
}

# Sum of one /proc/net/stat/ctlite column over CPUs, in netns NS ("" for
# this one); the file is in hex, as nf_conntrack's is
ct_stat() {
	local ns=$1 col=$2 header row i c=-1 sum=0
	{
		read -r -a header
		for i in "${!header[@]}"; do [ "${header[$i]}" != "$col" ] || c=$i; done
		[ "$c" -ge 0 ] || die "no column $col in /proc/net/stat/ctlite"
		while read -r -a row; do sum=$((sum + 16#${row[$c]})); done
	} <"$(ns_proc_net "$ns")/stat/ctlite"
	echo "$sum"
}

# Set net.ctlite.NAME=VALUE in both namespaces of the pair: timeouts and
# switches are per namespace, and every flow between them is tracked in each
ct_sysctl_pair() {
	# a namespace's timeout may not exceed the host's: the host's first
	[[ $1 != timeout_* ]] || echo "$2" >"/proc/sys/net/ctlite/$1"
	ns_sysctl ct-a,ct-b "net.ctlite.$1=$2"
}

# Entries of netns NS now: the stat file's first column (on every row)
ct_entries() {
	local header row
	{ read -r header; read -r row _; } <"$(ns_proc_net "$1")/stat/ctlite"
	echo $((16#$row))
}

# Entries of ct-a and ct-b together
ct_count_pair() { echo $(( $(ct_entries ct-a) + $(ct_entries ct-b) )); }
