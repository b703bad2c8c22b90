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
# Environment: CTLITE_TIMEOUT (seconds for the whole guest, default 1200),
# CTLITE_MEM (guest RAM, default 1G), CTLITE_ACCEL (kvm or tcg; default:
# kvm when a probe shows it works), CTLITE_ONLY (glob of test names),
# CTLITE_GUEST (check, the default, demo, stress or bench: what the guest
# runs), CTLITE_BENCH (full or quick: the bench run's length),
# CTLITE_CMDLINE (more kernel parameters), CTLITE_PIN (1: vCPU 0 gets a
# host CPU of its own; make bench sets it), CTLITE_HOST_TAP (a file of TAP
# lines from checks run on the host, counted in the verdict).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kdir=$1 mods=$2 run=$3
timeout_s=${CTLITE_TIMEOUT:-1200}
mem=${CTLITE_MEM:-1G}
image=$kdir/arch/x86/boot/bzImage
[ -f "$image" ] || die "no kernel image at $image (make kernel)"
[ -f "$mods/ctlite.ko" ] || die "no ctlite.ko in $mods"

# KVM where it really works: /dev/kvm can exist and still hang (nested or
# broken hosts), so ask QEMU to start a KVM machine and quit, with a bound.
kvm_works() {
	[ -w /dev/kvm ] || return 1
	echo quit | timeout 10 qemu-system-x86_64 -nodefaults -display none \
		-accel kvm -machine q35 -monitor stdio >/dev/null 2>&1
}
case "${CTLITE_ACCEL:-auto}" in
kvm) accel=(-accel kvm -cpu host) ;;
tcg) accel=(-accel tcg,thread=multi -cpu "${CTLITE_CPU:-max}") ;;
auto)
	if kvm_works; then accel=(-accel kvm -cpu host)
	else accel=(-accel tcg,thread=multi -cpu "${CTLITE_CPU:-max}"); fi ;;
*) die "CTLITE_ACCEL must be kvm, tcg or auto" ;;
esac

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
cmdline+=" ctlite_bench=${CTLITE_BENCH:-full}"
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
		if [ "$comm" = "CPU 0/TCG" ]; then
			taskset -p -c 1 "${t##*/}" >/dev/null
		else
			taskset -p -c 0 "${t##*/}" >/dev/null
		fi
	done
}
pin=${CTLITE_PIN:-0}
[ "$(nproc)" -ge 2 ] || pin=0

boot() {
	note "booting $(basename "$kdir") (${accel[1]%%,*}, 2 vCPUs, $mem, up to ${timeout_s}s)"
	start=$(date +%s)
	[ "$pin" = 0 ] || pin_vcpu0 &
	set +e
	timeout -k 10 "$timeout_s" qemu-system-x86_64 -name ctlite,debug-threads=on \
		-nodefaults -no-reboot -display none -machine q35 -smp 2 -m "$mem" \
		"${accel[@]}" \
		-kernel "$image" -append "$cmdline" \
		-fsdev local,id=root,path=/,security_model=none,readonly=on,multidevs=remap \
		-device virtio-9p-pci,fsdev=root,mount_tag=root \
		-fsdev local,id=results,path="$run/results",security_model=none \
		-device virtio-9p-pci,fsdev=results,mount_tag=results \
		-serial file:"$console" -serial stdio </dev/null
	qemu_rc=$?
	set -e
	elapsed=$(( $(date +%s) - start ))
}

boot
# A kernel that dies before it starts init has not run a line of ours (the
# modules load later, from the test init).  Under TCG the debug kernel does
# that on rare boots (seen once: a KASAN report in an early interrupt during
# identify_cpu).  Boot once more, and keep the first console for a look; a
# second early death fails the run as usual.
if [ ! -f "$run/results/tap.log" ] && ! grep -q 'Run .* as init process' "$console"; then
	mv "$console" "$run/console.boot1.log"
	echo "# the kernel died while booting, before any test ran ($run/console.boot1.log); booting again"
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
	if [ "$qemu_rc" = 124 ] || [ "$qemu_rc" = 137 ]; then
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
