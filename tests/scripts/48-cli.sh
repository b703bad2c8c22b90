#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The operator's command, tools/ctlite, over the ctlite netlink family:
# every subcommand against known traffic between ct-a and ct-b, checked
# against /proc/net/ctlite and /proc/net/stat/ctlite; its errors and exit
# codes; the events a flow's life makes; top, status and metrics.  The command is built with
# AddressSanitizer and UBSan (make check), so a memory error fails here.
# Outputs that are formats (JSON, conntrack -L lines, Prometheus text) are
# parsed by tests/scripts/cli_check.py, not grepped.
. "$(dirname "$0")/lib.sh"

CTL=$CTLITE_MODS/ctlite
CHECK="python3 $(dirname "$0")/cli_check.py"
# LeakSanitizer's scan at exit costs a second in the debug guest (4,000
# page faults under KASAN): on for the first run of each subcommand
# (LEAKS=1 before the call), off for the repeats with other options
export ASAN_OPTIONS=detect_leaks=0:exitcode=99
export UBSAN_OPTIONS=halt_on_error=1:exitcode=99

# ctl NS ARGS...: the command in netns NS ("" for this one), run through
# AS (e.g. setpriv as another user) if set; a sanitizer report (exit 99)
# fails the scenario at once
AS=()
ctl() {
	local ns=$1 rc=0 asan=$ASAN_OPTIONS
	shift
	[ "${LEAKS:-0}" = 0 ] || asan=detect_leaks=1:exitcode=99
	if [ -n "$ns" ]; then
		ASAN_OPTIONS=$asan in_ns "$ns" "${AS[@]}" "$CTL" "$@" || rc=$?
	else
		ASAN_OPTIONS=$asan "${AS[@]}" "$CTL" "$@" || rc=$?
	fi
	[ "$rc" != 99 ] || die "ctlite $*: a sanitizer report (above)"
	return "$rc"
}

# expect_rc CODE NS ARGS...: the command exits CODE; its stderr is kept
# in $ERR for the caller to check the words
expect_rc() {
	local want=$1 rc=0 errf=$TMPDIR/cli-err.$$
	shift
	ctl "$@" >/dev/null 2>"$errf" || rc=$?
	ERR=$(<"$errf")
	[ "$rc" = "$want" ] || die "ctlite ${*:2}: exit $rc, not $want: $ERR"
	echo "# ctlite ${*:2} -> $rc: ${ERR%%$'\n'*}"
}

# The /proc/net/ctlite lines of NS without the seconds left (field 5),
# sorted: what `ctlite list -o extended` must print too
proc_lines() {
	awk '{ $5 = ""; print }' "$(ns_proc_net "$1")/ctlite" | sort
}

# Known traffic: 5 UDP flows and one TCP connection from ct-a to ct-b over
# IPv4, 2 UDP flows over IPv6; ct-b answers none of the UDP
known_traffic() {
	# nothing expires while a scenario looks (a command takes a second
	# or two in the debug guest)
	ct_sysctl_pair timeout_udp 600
	ct_sysctl_pair timeout_tcp_time_wait 600
	ct_sysctl_pair timeout_tcp_close 600
	peer_b tcp-server 10.99.0.2 80 60 &
	wait_listen ct-b tcp 80
	peer_a udp-send 10.99.0.2 9999 5 42000
	peer_a udp-send fd99::2 9999 2 43000
	peer_a tcp-connect 10.99.0.2 80 41000
	wait_for '[ "$(ct_entries ct-b)" -ge 8 ]' 10 >/dev/null ||
		die "ct-b holds $(ct_entries ct-b) entries, not 8"
}

cli_lists_counts_and_deletes() {
	local out n before line
	ctlite_load
	netns_pair
	known_traffic
	expect_eq "$(LEAKS=1 ctl ct-b count)" "$(ct_entries ct-b)" "ctlite count in ct-b"

	# the listing is /proc/net/ctlite's, line for line
	out=$(LEAKS=1 ctl ct-b list -o extended 2>/dev/null | awk '{ $5 = ""; print }' | sort)
	expect_eq "$out" "$(proc_lines ct-b)" "ctlite list -o extended against /proc/net/ctlite"

	# each filter attribute, against what the traffic made
	listed() { ctl ct-b list "$@" 2>/dev/null | wc -l; }
	expect_eq "$(listed -s 10.99.0.0/24 -p udp)" 5 "-s 10.99.0.0/24 -p udp"
	expect_eq "$(listed -d fd99::2)" 2 "-d fd99::2"
	expect_eq "$(listed -p udp --sport 42003)" 1 "-p udp --sport 42003"
	expect_eq "$(listed --dport 80 -u SEEN_REPLY,ASSURED)" 1 "--dport 80 -u SEEN_REPLY,ASSURED"
	expect_eq "$(listed -u UNREPLIED --state SYN_SENT,SYN_RECV)" 0 "-u UNREPLIED --state SYN_SENT,SYN_RECV"

	# formats for programs: parsed, and the same flows
	LEAKS=1 ctl ct-b list -o json >"$TMPDIR/list.json" 2>/dev/null
	ctl ct-b list -o conntrack >"$TMPDIR/list.conntrack" 2>/dev/null
	$CHECK list "$TMPDIR/list.json" "$TMPDIR/list.conntrack" 8

	# the host's admin lists every namespace, each line naming its own
	n=$(ctl "" list --netns all 2>/dev/null | grep -c ' netns=')
	[ "$n" -ge 16 ] || die "--netns all listed $n flows, not ct-a's and ct-b's 16"
	expect_eq "$(ctl "" list --netns "$(stat -L -c %i /run/netns/ct-b)" 2>/dev/null | wc -l)" 8 \
		"--netns of ct-b's inode"

	# counters: the same as the stat file
	before=$(ct_stat ct-b new)
	out=$(LEAKS=1 ctl ct-b stats --per-cpu)
	[[ $out == *" new=$before "* ]] || die "ctlite stats: no new=$before in: $out"
	[[ $out == *"entries=8 "* ]] || die "ctlite stats: not entries=8: $out"
	[ "$(grep -c '^cpu=' <<<"$out")" -ge "$(nproc)" ] || die "ctlite stats --per-cpu: $out"

	# who opened the flows, and Prometheus text a parser accepts
	out=$(LEAKS=1 ctl ct-b top)
	echo "# ${out%%$'\n'*}"
	grep -qE '^ +6 +75\.0%  10\.99\.0\.1$' <<<"$out" || die "ctlite top: 10.99.0.1 did not open 6 flows: $out"
	grep -qE '^ +2 +25\.0%  fd99::1$' <<<"$out" || die "ctlite top: fd99::1 did not open 2: $out"
	grep -qE '^ +7 +87\.5%  udp UNREPLIED$' <<<"$out" || die "ctlite top: not 7 unreplied UDP flows: $out"
	LEAKS=1 ctl ct-b metrics >"$TMPDIR/metrics.prom"
	$CHECK metrics "$TMPDIR/metrics.prom" "$(ct_entries ct-b)"

	# delete one flow: it goes, and its next packet makes a new entry
	LEAKS=1 expect_rc 0 ct-b delete -p udp --sport 42002
	[[ $ERR == *"1 flow entries have been deleted"* ]] || die "delete said: $ERR"
	! ct_lines ct-b 'sport=42002 ' >/dev/null || die "the deleted flow is still listed"
	peer_a udp-send 10.99.0.2 9999 1 42002
	wait_for 'ct_lines ct-b "sport=42002 " >/dev/null' 10 >/dev/null ||
		die "the deleted flow's next packet made no entry"
	expect_eq "$(ct_stat ct-b new)" $((before + 1)) "new entries after the flow came back"
	expect_rc 1 ct-b delete -p udp --sport 1
	expect_rc 0 ct-b delete -s fd99::1
	expect_eq "$(ctl ct-b list -f ipv6 2>/dev/null | wc -l)" 0 "IPv6 flows after delete -s fd99::1"

	# flush empties this namespace only
	LEAKS=1 expect_rc 0 ct-b flush
	expect_eq "$(ct_entries ct-b)" 0 "ct-b's entries after flush"
	[ "$(ct_entries ct-a)" -ge 8 ] || die "flushing ct-b took ct-a's flows"

	# the host's view: nothing to do, until the table is full
	out=$(LEAKS=1 ctl "" status)
	[[ $out == *"next step:  nothing to do"* ]] || die "ctlite status: $out"
	sysctl -qw net.ctlite.max="$(( $(ct_entries ct-a) + $(ct_entries ct-b) ))"
	out=$(ctl "" status)
	while IFS= read -r line; do echo "# $line"; done <<<"$out"
	[[ $out == *"nearly full"*"ctlite top"*"net.ctlite.max="* ]] || die "ctlite status when full: $out"
	# new flows now, early drop off: dropped in ct-a, the sender, and
	# all of them in the last minute (the module is younger)
	ct_sysctl_pair early_drop 0
	peer_a udp-send 10.99.0.2 9999 3 43000 2>/dev/null || true
	out=$(ctl ct-a status)
	n=$(ct_stat ct-a drop)
	[ "$n" -ge 3 ] || die "$n drops in ct-a, not the 3 new flows'"
	[[ $out == *"dropped:    $n new flows in the last minute, $n since the module was loaded"* ]] ||
		die "ctlite status after $n drops: $out"
	echo "# after the drops, in ct-a: $(grep '^dropped:' <<<"$out")"
}

cli_errors_say_what_and_exit_codes_tell() {
	expect_rc 3 "" list
	[[ $ERR == *"module is not loaded"* ]] || die "not loaded: $ERR"
	ctlite_load
	netns_pair
	expect_rc 2 "" frobnicate
	expect_rc 2 "" list -s 10.99.0.300
	expect_rc 2 "" delete
	[[ $ERR == *flush* ]] || die "delete without a filter does not point at flush: $ERR"
	# the kernel's own words come through
	expect_rc 5 "" list --netns 1
	[[ $ERR == *"no namespace with that inode number"* ]] || die "--netns 1: $ERR"
	expect_rc 4 ct-b list --netns all
	[[ $ERR == *"initial one"* ]] || die "--netns all in a container: $ERR"
	# a user without CAP_NET_ADMIN reads the counters and nothing else
	AS=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all)
	ctl "" count >/dev/null || die "an unprivileged count failed"
	expect_rc 4 "" list
	[[ $ERR == *"not permitted"* ]] || die "unprivileged list: $ERR"
	expect_rc 4 "" flush
	expect_rc 4 "" events -c 1
}

# listen NS FILE ARGS...: `ctlite events ARGS` in NS into FILE, in the
# background ($! is the command itself, which SIGTERM ends: a background
# job ignores SIGINT), returning once it has joined the group (it says so
# on stderr): a flow made before would not be heard
listen() {
	local ns=$1 file=$2
	shift 2
	# (-c ends it by returning: LeakSanitizer looks; SIGTERM by _exit)
	# The peer itself, not in_ns: $! must be the listener's pid for the
	# callers' kill -STOP, and a function in the background is a subshell
	if [ -n "$ns" ]; then
		ASAN_OPTIONS=detect_leaks=1:exitcode=99 "$PEER" -n "$ns" exec \
			"$CTL" events "$@" >"$file" 2>"$file.err" &
	else
		"$CTL" events "$@" >"$file" 2>"$file.err" &
	fi
	wait_for '[[ $(<"'"$file.err"'") == *listening* ]]' 20 >/dev/null ||
		die "ctlite events never listened: $(cat "$file.err")"
}

# Every event a flow's life makes reaches a listener in its namespace,
# with the reason it ended, in order; the host's listener, where no flow
# lives, hears nothing of theirs
cli_events_tell_new_assured_destroy() {
	local ev=$TMPDIR/events.json host=$TMPDIR/events-host.json pid pid_host
	ctlite_load
	netns_pair
	ct_sysctl_pair timeout_udp 3
	peer_b tcp-server 10.99.0.2 80 60 &
	peer_b tcp-server 10.99.0.2 81 60 &
	wait_listen ct-b tcp 81
	listen ct-b "$ev" -o json -c 10
	pid=$!
	listen "" "$host" -o json
	pid_host=$!
	# 1 NEW, 2 ASSURED, 3 DESTROY rst (rst_evict)
	peer_a tcp-rst 10.99.0.2 80 41000
	# 4 NEW, 5 ASSURED, 6 DESTROY delete
	peer_a tcp-connect 10.99.0.2 81 41001
	# (a filtered dump: on 6.12, the one scenario of this file that runs)
	expect_eq "$(ctl ct-b list -p tcp --sport 41001 2>/dev/null | wc -l)" 1 "flows listed for port 41001"
	ctl ct-b delete -p tcp --sport 41001 2>/dev/null
	# 7 NEW, 8 DESTROY expired
	peer_a udp-send 10.99.0.2 9999 1 42000
	wait_for '[ "$(ct_entries ct-b)" = 0 ]' 30 >/dev/null || die "the UDP flow never expired"
	# 9 NEW, 10 DESTROY flush: a flow that must outlive the flush's
	# start, which a slow guest has taken more than 3 s to reach
	ct_sysctl_pair timeout_udp 30
	peer_a udp-send 10.99.0.2 9999 1 42001
	ctl ct-b flush 2>/dev/null
	wait_for '! kill -0 '"$pid"' 2>/dev/null' 20 >/dev/null ||
		die "ctlite events heard $(wc -l <"$ev") of 10 events: $(cat "$ev")"
	wait "$pid" || die "ctlite events failed: $(cat "$ev.err")"
	kill -TERM "$pid_host"
	wait "$pid_host" || die "ctlite events in the host failed: $(cat "$host.err")"
	$CHECK events "$ev" "$host"
	echo "# ct-b's listener: $(tail -n 1 "$ev.err")"
}

# A listener that falls behind: stopped, with a 4 KiB buffer, while a
# flush destroys 100 flows.  What it did not get is counted lost, exactly,
# and it says so.  (Netlink's, not the kernel series': 6.1 only.)
cli_events_lost_are_counted() {
	local ev=$TMPDIR/events-lost.txt lost shown pid
	ctlite_load
	netns_pair
	ct_sysctl_pair timeout_udp 600
	peer_a udp-send 10.99.0.2 9999 100 43000
	wait_for '[ "$(ct_entries ct-b)" = 100 ]' 20 >/dev/null ||
		die "$(ct_entries ct-b) of 100 flows in ct-b"
	lost=$(ct_stat ct-b events_lost)
	listen ct-b "$ev" -b 4096
	pid=$!
	kill -STOP "$pid"
	ctl ct-b flush 2>/dev/null
	kill -CONT "$pid"
	nap 1
	kill -TERM "$pid"
	wait "$pid" || die "the slow listener failed: $(cat "$ev.err")"
	lost=$(( $(ct_stat ct-b events_lost) - lost ))
	shown=$(grep -c ' reason=flush' "$ev")
	echo "# a stopped listener with a 4 KiB buffer: $shown of 100 events shown, $lost counted lost"
	[ "$lost" -gt 0 ] || die "nothing lost: $shown events shown"
	expect_eq "$((shown + lost))" 100 "events shown and lost"
	grep -q "events were lost" "$ev.err" || die "the listener did not say: $(cat "$ev.err")"
}

run_tests \
	cli_lists_counts_and_deletes \
	cli_errors_say_what_and_exit_codes_tell \
	cli_events_tell_new_assured_destroy \
	cli_events_lost_are_counted
