#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot a built kernel under QEMU with the host's root read-only over 9p,
# run tests/vm/guest.sh in it, and judge the run from what the guest left in
# the results share and from the console log.  Prints every test's result
# and ends with "N passed, N failed"; exits 0 only if nothing failed.
#
#   tests/vm/run.sh KERNEL_DIR MODULE_DIR RUN_DIR
#
# Environment: CTLITE_TIMEOUT (seconds for the whole guest, default 2400),
# CTLITE_MEM (guest RAM, default 1G), CTLITE_ACCEL (kvm or tcg; default:
# kvm when tests/vm/accel.sh's probe shows it works), CTLITE_BOOT_LIMIT
# (seconds a boot may take to start the first test: 120 under KVM, 600
# under TCG), CTLITE_ONLY (comma-separated globs of test names; see guest.sh),
# CTLITE_GUEST (check, the default, demo, stress or bench: what the guest
# runs), CTLITE_BENCH (full or quick: the bench run's length),
# CTLITE_CMDLINE (more kernel parameters), CTLITE_QEMU_ARGS (more of
# QEMU's, split at blanks: make bench-tbprof's plugin), CTLITE_PIN (1:
# vCPU 0 gets a host CPU of its own; make bench sets it), CTLITE_ICOUNT (1: under TCG,
# the guest's clock counts instructions, one a nanosecond, so a rate the
# guest measures is a count of work that the host's speed cannot move;
# make bench's second boot), CTLITE_HOST_TAP (a file of TAP
# lines from checks run on the host, counted in the verdict).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kdir=$1 mods=$2 run=$3
timeout_s=${CTLITE_TIMEOUT:-2400}
mem=${CTLITE_MEM:-1G}
image=$kdir/arch/x86/boot/bzImage
[ -f "$image" ] || die "no kernel image at $image (make kernel)"
[ -f "$mods/ctlite.ko" ] || die "no ctlite.ko in $mods"

# KVM where it really works (tests/vm/accel.sh boots a guest to find out,
# once per machine boot), else TCG
accel_name=$("$CTLITE_TOP/tests/vm/accel.sh" "$image")
set_accel() {
	accel_name=$1
	case "$1" in
	kvm) accel=(-accel kvm -cpu host) ;;
	tcg) accel=(-accel tcg,thread=multi -cpu "${CTLITE_CPU:-max}") ;;
	esac
	# -icount: guest time is the instructions executed, 2^shift ns each,
	# and, while the vCPU sleeps, the host's time (sleep=off would jump
	# to the next timer, and so over the host's answer to an I/O: a
	# `timeout 30` fired before a program started).  One vCPU:
	# QEMU 7.2 runs several in turn on one thread under -icount, and a
	# 6.1 kernel hangs bringing up the second (the first spins waiting
	# for it, and the turn never passes)
	if [ "${CTLITE_ICOUNT:-0}" = 1 ]; then
		accel=(-accel tcg,thread=single -icount shift=0,sleep=on
			-cpu "${CTLITE_CPU:-max}")
		accel_name=tcg-icount
		cpus=1
	fi
}
cpus=2
set_accel "$accel_name"
# A boot that has not started the first test by then is taken for a hang
# (guest.sh creates results/tap.log first thing).  A debug kernel gets
# there in seconds under KVM, 20 s under TCG here and 80 s on hosts four
# times slower.
boot_limit_kvm=${CTLITE_BOOT_LIMIT:-120}
boot_limit_tcg=${CTLITE_BOOT_LIMIT:-600}

rm -rf "$run"
mkdir -p "$run/results"
console=$run/console.log
# "root=root" is the 9p tag "root" (init/do_mounts.c, mount_nodev_root();
# 6.1 also took "/dev/root", which it stripped to "root", but 6.12 does not)
cmdline="console=ttyS0 root=root rootfstype=9p"
cmdline+=" rootflags=trans=virtio,version=9p2000.L,msize=131072,cache=loose ro"
cmdline+=" init=$CTLITE_TOP/tests/vm/init.sh panic=-1 oops=panic panic_on_warn=1"
# ctlite's entry caches may be made to fail (failslab's cache filter, set
# from debugfs by the reliability tests); nothing fails until they ask
cmdline+=" slub_debug=A,ctlite_entry4,ctlite_entry6"
cmdline+=" ctlite_top=$CTLITE_TOP ctlite_mods=$mods ctlite_modroot=$kdir/modroot"
cmdline+=" ctlite_only=${CTLITE_ONLY:-*} ctlite_guest=${CTLITE_GUEST:-check}"
cmdline+=" ctlite_bench=${CTLITE_BENCH:-full} ctlite_cpus=$cpus"
# Benchmarks time with the TSC: the HPET the kernel picks under TCG is an
# MMIO read that waits for QEMU's global lock, which made rates swing by a
# third from one run to the next
[ "${CTLITE_GUEST:-check}" != bench ] || cmdline+=" clocksource=tsc tsc=reliable"
# anything else, for a run by hand
cmdline+=" ${CTLITE_CMDLINE:-}"

# Benchmarks: vCPU 0 (where pktgen and the receive path run) gets a host
# CPU of its own, and everything else of QEMU the other one, so the rate
# does not depend on where the host scheduler put which thread.  Needs 2
# host CPUs; QEMU names its threads (debug-threads) so they can be found.
pin_vcpu0() {
	local pid t comm i
	# QEMU itself, not the timeout that started it
	for i in $(seq 1 100); do
		for pid in $(pgrep -f -- "-serial file:$console"); do
			[ "$(cat /proc/"$pid"/comm 2>/dev/null)" = qemu-system-x86 ] && break 2
		done
		pid=
		sleep 0.1
	done
	[ -n "$pid" ] || return 0
	sleep 1
	for t in /proc/"$pid"/task/*; do
		comm=$(cat "$t/comm" 2>/dev/null) || continue
		if [ "$comm" = "CPU 0/TCG" ] || [ "$comm" = "CPU 0/KVM" ] ||
			[ "$comm" = "ALL CPUs/TCG" ]; then
			taskset -p -c 1 "${t##*/}" >/dev/null
		else
			taskset -p -c 0 "${t##*/}" >/dev/null
		fi
	done
}
pin=${CTLITE_PIN:-0}
[ "$(nproc)" -ge 2 ] || pin=0

# watchdog PID LIMIT: kill the guest (PID is its timeout, which passes
# the signal on to QEMU) if no test has started LIMIT seconds in
watchdog() {
	local i
	for ((i = 0; i < $2; i++)); do
		sleep 1
		[ ! -e "$run/results/tap.log" ] || return 0
		kill -0 "$1" 2>/dev/null || return 0
	done
	echo "no test had started ${2}s into the boot" >"$run/boot-hung"
	kill "$1" 2>/dev/null || true
}

boot() {
	local limit=$boot_limit_tcg qpid wpid
	[ "$accel_name" != kvm ] || limit=$boot_limit_kvm
	note "booting $(basename "$kdir") ($accel_name, $cpus vCPUs, $mem, up to ${timeout_s}s)"
	rm -f "$run/boot-hung"
	# there even if QEMU dies before it opens it
	: >"$console"
	start=$(date +%s)
	local qextra=()
	read -ra qextra <<<"${CTLITE_QEMU_ARGS:-}"
	[ "$pin" = 0 ] || pin_vcpu0 &
	timeout -k 10 "$timeout_s" qemu-system-x86_64 -name ctlite,debug-threads=on \
		-nodefaults -no-reboot -display none -machine q35 -smp "$cpus" -m "$mem" \
		"${accel[@]}" \
		-kernel "$image" -append "$cmdline" \
		-fsdev local,id=root,path=/,security_model=none,readonly=on,multidevs=remap \
		-device virtio-9p-pci,fsdev=root,mount_tag=root \
		-fsdev local,id=results,path="$run/results",security_model=none \
		-device virtio-9p-pci,fsdev=results,mount_tag=results \
		-serial file:"$console" -serial stdio "${qextra[@]}" </dev/null &
	qpid=$!
	# timeout puts QEMU in a process group of its own: pass an interrupt on
	trap 'kill "$qpid" 2>/dev/null; exit 130' INT TERM
	watchdog "$qpid" "$limit" &
	wpid=$!
	set +e
	wait "$qpid"
	qemu_rc=$?
	kill "$wpid" 2>/dev/null
	wait "$wpid" 2>/dev/null
	set -e
	trap - INT TERM
	elapsed=$(( $(date +%s) - start ))
}

# why_no_test: what went wrong with a boot in which no test started
why_no_test() {
	if [ -f "$run/boot-hung" ]; then
		cat "$run/boot-hung"
	else
		echo "QEMU exit status $qemu_rc"
	fi
}

boot
# A KVM boot that ends before the first test (QEMU's abort on an MSR it
# cannot set, a hang) has run none of ours: boot again under TCG, say so
# in one line, and tell later runs on this machine not to try KVM.
if [ ! -f "$run/results/tap.log" ] && [ "$accel_name" = kvm ]; then
	why=$(why_no_test)
	mv "$console" "$run/console.kvm.log"
	echo "# the KVM boot failed before any test ran ($why; $run/console.kvm.log); booting again under TCG"
	"$CTLITE_TOP/tests/vm/accel.sh" --tcg "a KVM boot failed before any test ran: $why"
	set_accel tcg
	boot
fi
# A kernel that dies (or hangs) before it starts init has not run a line
# of ours (the modules load later, from the test init).  Under TCG the
# debug kernel does that on rare boots (seen once: a KASAN report in an
# early interrupt during identify_cpu).  Boot once more, and keep the first
# console for a look; a second early death fails the run as usual.
if [ ! -f "$run/results/tap.log" ] &&
	{ [ -f "$run/boot-hung" ] || ! grep -q 'Run .* as init process' "$console"; }; then
	why=$(why_no_test)
	mv "$console" "$run/console.boot1.log"
	echo "# the kernel died while booting, before any test ran ($why; $run/console.boot1.log); booting again"
	boot
fi

tap=$run/results/tap.log
passed=0 failed=0
if [ -f "$tap" ]; then
	passed=$(grep -c '^ok ' "$tap" || true)
	failed=$(grep -c '^not ok ' "$tap" || true)
fi

if [ ! -f "$run/results/done" ]; then
	failed=$((failed + 1))
	if [ -f "$run/boot-hung" ]; then
		echo "not ok - guest started its tests ($(cat "$run/boot-hung"), twice)"
	elif [ "$qemu_rc" = 124 ] || [ "$qemu_rc" = 137 ]; then
		echo "not ok - guest finished within ${timeout_s}s (killed)"
	else
		echo "not ok - guest ran to the end (QEMU exit status $qemu_rc)"
	fi
	echo "#   last console lines:"
	tail -n 40 "$console" | sed 's/^/#   /'
fi
# The console holds everything the kernel said, even after a panic the
# guest could not report itself.
splat=$(grep -E -f "$CTLITE_TOP/tests/vm/splat-patterns" "$console" | head -n 20 || true)
if [ -n "$splat" ]; then
	failed=$((failed + 1))
	echo "not ok - console free of kernel reports"
	sed 's/^/#   /' <<<"$splat"
fi
if [ "$failed" != 0 ]; then
	echo "# guest console log: $console"
	echo "# guest results: $run/results"
fi
echo "# guest ran ${elapsed}s"
# checks the host ran before the boot (check.sh's packaging step), already
# printed, count in the verdict too
if [ -n "${CTLITE_HOST_TAP:-}" ]; then
	if [ -f "$CTLITE_HOST_TAP" ]; then
		passed=$((passed + $(grep -c '^ok ' "$CTLITE_HOST_TAP" || true)))
		failed=$((failed + $(grep -c '^not ok ' "$CTLITE_HOST_TAP" || true)))
	else
		failed=$((failed + 1))
		echo "not ok - host checks left their results in $CTLITE_HOST_TAP"
	fi
fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
