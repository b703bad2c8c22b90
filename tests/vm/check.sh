#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: everything from a fresh Debian 12 machine to a verdict.
# Installs packages, builds the debug kernel (once; it is cached), builds
# ctlite against it, checks make install, install-config and DKMS on the
# host (tests/vm/packaging.sh), boots it and runs the KUnit suites and
# guest scripts.  KERNEL=6.12 does all of it on Linux 6.12.
# `check.sh demo` (make demo) does the same set-up and boots the guest to
# tell scripts/demo.sh's story instead; `check.sh stress` (make stress)
# runs the long reliability run and prints its table; `check.sh bench
# [full|quick|icount]` (make bench, make bench-quick, make bench-icount)
# builds the non-debug kernel, runs tests/bench/bench.sh in it and writes
# the report (tests/bench/report.py); `check.sh bench tbprof` (make
# bench-tbprof) counts, in the icount guest, every instruction an
# established UDP packet, a TCP packet and a new flow cost in each kernel
# function (tests/bench/tbcount.c, a QEMU plugin) and prints each
# tracker's added count by function
# (tests/bench/tbprof.py).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

mode=${1:-check}
case "$mode" in
check | demo | stress | bench) ;;
*) die "usage: check.sh [check|demo|stress|bench [full|quick|icount|tbprof]]" ;;
esac

# build FLAVOUR: the guest kernel (cached) and ctlite against it; sets
# kdir and out
build() {
	kdir=$("$CTLITE_TOP/tests/vm/kernel.sh" build "$1")
	out=$CTLITE_TOP/build/$KERNEL-$1
	mkdir -p "$out"
	note "building ctlite against $(basename "$kdir")"
	"$CTLITE_TOP/tests/vm/modules.sh" "$kdir" "$out/modules" KCFLAGS=-Werror \
		>"$out.modules.log" 2>&1 ||
		{ cat "$out.modules.log" >&2; die "module build failed"; }
}

if [ "$mode" = bench ]; then
	length=${2:-full}
	case "$length" in full | icount | quick | tbprof) ;; *) die "bench is full, icount, quick or tbprof" ;; esac
	"$CTLITE_TOP/tests/vm/deps.sh" bench
	build bench
	# the iptables extension, for the firewall scenarios, and the
	# command, for the listing's time
	make -s -C "$CTLITE_TOP" tools/libxt_ctlite.so tools/ctlite
	mkdir -p "$out/modules/xtables"
	cp "$CTLITE_TOP/tools/libxt_ctlite.so" "$out/modules/xtables/"
	cp "$CTLITE_TOP/tools/ctlite" "$out/modules/"
	# the two-way TCP flow's client and server
	gcc -O2 -Wall -Wextra -Werror -o "$out/modules/ctlite-peer" \
		"$CTLITE_TOP/tests/peer/ctlite-peer.c"
	run=$out/$length
	rc=0
	if [ "$length" != quick ]; then timeout_s=3600; else timeout_s=900; fi
	icount=${CTLITE_ICOUNT:-0}
	[ "$length" != icount ] || icount=1
	# bench_guest LENGTH RUN: boot the bench guest for one run
	bench_guest() {
		CTLITE_GUEST=bench CTLITE_BENCH=$1 CTLITE_MEM=${CTLITE_MEM:-2G} \
			CTLITE_ICOUNT=$icount \
			CTLITE_PIN=${CTLITE_PIN:-1} \
			CTLITE_TIMEOUT=${CTLITE_TIMEOUT:-$timeout_s} \
			"$CTLITE_TOP/tests/vm/run.sh" "$kdir" "$out/modules" "$2" |
			tee "$2.log" || rc=$?
	}
	# tbprof_guest RUN: the per-packet traffic once more, each tracker's
	# between two calls of sync(2), at whose kernel function the QEMU
	# plugin dumps its counts (the guest kernel has no KASLR: System.map
	# gives the address), then the count by function (tbprof.py) to
	# RUN.txt and, as tables, to RUN/results/tbprof.md.  A boot of its
	# own: a run with the plugin loaded moved an -icount rate's baseline
	# by 200 instructions a packet
	tbprof_guest() {
		local mark
		mark=$(awk '$3 == "__x64_sys_sync" { print $1 }' "$kdir/System.map")
		[ -n "$mark" ] || die "no __x64_sys_sync in $kdir/System.map"
		gcc -O2 -Wall -Wextra -Werror -shared -fPIC -o "$out/tbcount.so" \
			"$CTLITE_TOP/tests/bench/tbcount.c"
		rm -rf "$1.dumps"
		mkdir -p "$1.dumps"
		icount=1
		CTLITE_QEMU_ARGS="-plugin $out/tbcount.so,out=$1.dumps/d,mark=$mark" \
			CTLITE_CMDLINE="bench_tbprof_only=1 ${CTLITE_CMDLINE:-}" \
			bench_guest icount "$1"
		[ -s "$1/results/tbprof.idx" ] || { rc=1; return; }
		python3 "$CTLITE_TOP/tests/bench/tbprof.py" "$1/results" "$1.dumps/d" \
			"$kdir/System.map" | tee "$1.txt" || rc=1
		python3 "$CTLITE_TOP/tests/bench/tbprof.py" "$1/results" "$1.dumps/d" \
			"$kdir/System.map" --markdown >"$1/results/tbprof.md" || rc=1
	}
	if [ "$length" = tbprof ]; then
		tbprof_guest "$run"
	else
		bench_guest "$length" "$run"
		# make bench-icount: where the instructions go, for its report
		if [ "$length" = icount ]; then
			tbprof_guest "$out/tbprof"
			cp "$out/tbprof/results/tbprof.md" "$run/results/" 2>/dev/null
		fi
		if [ -s "$run/results/bench.tsv" ]; then
			if [ "$length" != quick ]; then dest=$CTLITE_TOP/docs; else dest=$run; fi
			python3 "$CTLITE_TOP/tests/bench/report.py" "$run/results/bench.tsv" \
				"$dest" "$kdir/.config" || rc=1
		fi
	fi
	# the verdict stays the last line
	tail -n 1 "$run.log"
	exit "$rc"
fi

"$CTLITE_TOP/tests/vm/deps.sh" check
if [ "$mode" = check ] && [ "$KERNEL" != 6.1 ] && [ -z "${CTLITE_ONLY+set}" ]; then
	export CTLITE_ONLY=$SERIES_SELECTION
	note "on $KERNEL the guest runs what differs from 6.1: $CTLITE_ONLY (CTLITE_ONLY='*' runs everything)"
fi
build debug
# the packet fuzzer and the traffic peers run in the guest from the
# host's file system; the peer, which the scripts start hundreds of
# times, static (0.1 s to start in the debug guest, against 0.22 s)
gcc -O2 -Wall -Wextra -Werror -o "$out/modules/ctlite-fuzz" \
	"$CTLITE_TOP/tests/fuzz/ctlite-fuzz.c"
gcc -O2 -static -Wall -Wextra -Werror -o "$out/modules/ctlite-peer" \
	"$CTLITE_TOP/tests/peer/ctlite-peer.c"
# the iptables extension, where the guest's iptables is told to look
make -s -C "$CTLITE_TOP" TOOLS_CFLAGS="-O1 -g" tools/libxt_ctlite.so
# the ctlite command, with AddressSanitizer and UBSan: a memory error in
# it fails the test that ran it (48-cli.sh).  Their run-times linked in,
# not loaded with libstdc++ at each start: 2,100 page faults a run
# instead of 3,700, each a slow one in the debug guest
gcc -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
	-static-libasan -static-libubsan \
	-fno-omit-frame-pointer -Wall -Wextra -Werror -I"$CTLITE_TOP/include" \
	-o "$out/modules/ctlite" "$CTLITE_TOP/tools/ctlite.c" -lmnl
mkdir -p "$out/modules/xtables"
cp "$CTLITE_TOP/tools/libxt_ctlite.so" "$out/modules/xtables/"
if [ "$mode" = stress ]; then
	rc=0
	CTLITE_GUEST=stress CTLITE_TIMEOUT=${CTLITE_TIMEOUT:-5400} \
		"$CTLITE_TOP/tests/vm/run.sh" "$kdir" "$out/modules" "$out/stress" || rc=$?
	table=$out/stress/results/stress-table.md
	if [ -f "$table" ]; then
		echo "# stress run figures ($table):"
		cat "$table"
	fi
	exit "$rc"
fi
if [ "$mode" = demo ]; then
	CTLITE_GUEST=demo exec "$CTLITE_TOP/tests/vm/run.sh" "$kdir" "$out/modules" "$out/demo"
fi
# On the host, before the boot: the harness's own accelerator choice
# (tests/vm/harness.sh, a fake QEMU, seconds), and install and packaging
# (make install, install-config, DKMS), leaving a staged install for the
# guest's 70-install script.  Their TAP counts in the verdict.
host_tap=$out/host.tap
"$CTLITE_TOP/tests/vm/harness.sh" "$out/harness"
cp "$out/harness/harness.tap" "$host_tap"
if only_selects 70-install; then
	"$CTLITE_TOP/tests/vm/packaging.sh" "$kdir" "$out/modules" "$out/packaging"
	cat "$out/packaging/packaging.tap" >>"$host_tap"
fi
CTLITE_HOST_TAP=$host_tap exec "$CTLITE_TOP/tests/vm/run.sh" "$kdir" "$out/modules" "$out/run"
