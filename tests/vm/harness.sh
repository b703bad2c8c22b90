#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The harness's own choice of accelerator, on the host with no guest: a
# fake qemu-system-x86_64 first on PATH aborts as QEMU does on MSR 0x10a,
# hangs without a word, or boots; tests/vm/accel.sh must pick TCG for the
# first two and KVM for the third, within its bound, and cache it; run.sh
# must boot again under TCG, in one line, when a KVM boot dies or hangs
# before the first test.  Takes about 30 seconds.
#
#   tests/vm/harness.sh OUT
#
# Prints one TAP line per check and writes them to OUT/harness.tap too.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

out=$(realpath -m "$1")
tap=$out/harness.tap
rm -rf "$out"
mkdir -p "$out/bin"
: >"$tap"

fail() { echo "$*" >&2; exit 1; }

# The fake QEMU.  FAKE_QEMU says how it behaves under KVM: abort, hang or
# boot; kvm-boot-aborts and kvm-boot-hangs boot for the probe (no -fsdev)
# but not for a test run.  Under TCG it always boots.  A booted test run
# leaves one passing test and "done" in the results share, as guest.sh
# does.  Every start is logged to FAKE_LOG.
cat >"$out/bin/qemu-system-x86_64" <<'EOF'
#!/bin/bash
if [ "${1:-}" = --version ]; then echo "QEMU emulator version 0.0 (ctlite's fake)"; exit 0; fi
accel= console= results= run=probe
while [ $# -gt 0 ]; do
	case "$1" in
	-accel) accel=${2%%,*}; shift ;;
	-serial) case "$2" in file:*) console=${2#file:} ;; esac; shift ;;
	-fsdev) case "$2" in *id=results,*) results=${2#*path=}; results=${results%%,*}; run=boot ;; esac; shift ;;
	esac
	shift
done
echo "$run $accel" >>"$FAKE_LOG"
mode=boot
if [ "$accel" = kvm ]; then
	mode=$FAKE_QEMU
	case "$mode:$run" in
	kvm-boot-*:probe) mode=boot ;;
	kvm-boot-aborts:boot) mode=abort ;;
	kvm-boot-hangs:boot) mode=hang ;;
	esac
fi
case "$mode" in
abort)
	echo "qemu-system-x86_64: error: failed to set MSR 0x10a to 0x69" >&2
	exit 134 ;;
hang) exec sleep 31337 ;;
boot)
	{ echo "Linux version 6.1.0 (fake)"; echo "Freeing unused kernel image (initmem) memory: 1K"; } >"$console"
	if [ -n "$results" ]; then
		echo "Run /init as init process" >>"$console"
		echo "ok 1 - the fake guest's test" >"$results/tap.log"
		echo 1 >"$results/done"
		echo "ok 1 - the fake guest's test"
	else
		echo "Kernel panic - not syncing: VFS: Unable to mount root fs" >>"$console"
	fi ;;
esac
EOF
chmod +x "$out/bin/qemu-system-x86_64"

# A kernel tree and a module directory as run.sh wants them; what is in
# the files does not matter to the fake
mkdir -p "$out/kernel/arch/x86/boot" "$out/mods"
: >"$out/kernel/arch/x86/boot/bzImage"
: >"$out/mods/ctlite.ko"
image=$out/kernel/arch/x86/boot/bzImage

# fresh NAME: a KVM device, a cache and a log of QEMU's starts of its own
fresh() {
	dir=$out/$1
	mkdir -p "$dir"
	: >"$dir/kvm"
	export PATH=$out/bin:$PATH FAKE_LOG=$dir/qemu.log CTLITE_CACHE=$dir/cache \
		CTLITE_KVM_DEV=$dir/kvm CTLITE_PROBE_TIMEOUT=6
	unset CTLITE_ACCEL
	: >"$FAKE_LOG"
}
accel() { "$CTLITE_TOP/tests/vm/accel.sh" "$image"; }

no_kvm_device_means_tcg_without_a_probe() {
	fresh nodev
	rm "$dir/kvm"
	local v
	v=$(accel 2>"$dir/err")
	cat "$dir/err"
	[ "$v" = tcg ] || fail "verdict $v"
	grep -q "no $dir/kvm" "$dir/err" || fail "no reason given"
	[ ! -s "$FAKE_LOG" ] || fail "QEMU started: $(cat "$FAKE_LOG")"
}

qemu_that_aborts_under_kvm_means_tcg() {
	fresh abort
	local v
	v=$(FAKE_QEMU=abort accel 2>"$dir/err")
	cat "$dir/err"
	[ "$v" = tcg ] || fail "verdict $v"
	grep -q 'status 134 .*: qemu-system-x86_64: error: failed to set MSR 0x10a' "$dir/err" ||
		fail "the reason does not say how QEMU ended"
	grep -qx 'probe kvm' "$FAKE_LOG" || fail "no KVM probe ran: $(cat "$FAKE_LOG")"
}

qemu_that_hangs_under_kvm_means_tcg_within_the_bound() {
	fresh hang
	local v start took
	start=$SECONDS
	v=$(FAKE_QEMU=hang accel 2>"$dir/err")
	took=$((SECONDS - start))
	cat "$dir/err"
	echo "verdict in ${took}s"
	[ "$v" = tcg ] || fail "verdict $v"
	grep -q 'no console output in 2s (a hang)' "$dir/err" || fail "the reason does not say it hung"
	# silence gives up at a third of the bound (6 s)
	[ "$took" -le 5 ] || fail "took ${took}s"
	! pgrep -f "sleep 31337" >/dev/null || fail "the hung QEMU was left running"
}

qemu_that_boots_under_kvm_means_kvm_and_is_cached() {
	fresh boot
	local v
	v=$(FAKE_QEMU=boot accel 2>"$dir/err")
	cat "$dir/err"
	[ "$v" = kvm ] || fail "verdict $v"
	grep -q 'the kernel booted' "$dir/err" || fail "no reason given"
	# the next run on this machine boot trusts the verdict, probing nothing
	: >"$FAKE_LOG"
	v=$(FAKE_QEMU=abort accel 2>"$dir/err")
	cat "$dir/err"
	[ "$v" = kvm ] || fail "second verdict $v"
	grep -q 'cached in' "$dir/err" || fail "the second verdict does not say it was cached"
	[ ! -s "$FAKE_LOG" ] || fail "QEMU probed again: $(cat "$FAKE_LOG")"
}

ctlite_accel_forces_either_and_refuses_others() {
	fresh force
	local v
	v=$(CTLITE_ACCEL=tcg FAKE_QEMU=boot accel 2>/dev/null)
	[ "$v" = tcg ] || fail "CTLITE_ACCEL=tcg gave $v"
	v=$(CTLITE_ACCEL=kvm FAKE_QEMU=abort accel 2>/dev/null)
	[ "$v" = kvm ] || fail "CTLITE_ACCEL=kvm gave $v"
	[ ! -s "$FAKE_LOG" ] || fail "QEMU probed: $(cat "$FAKE_LOG")"
	! CTLITE_ACCEL=hvf accel 2>"$dir/err" || fail "CTLITE_ACCEL=hvf accepted"
	grep -q "CTLITE_ACCEL must be kvm, tcg or auto, not 'hvf'" "$dir/err" ||
		fail "no clear error: $(cat "$dir/err")"
}

# run_guest MODE: run.sh with the fake, up to its verdict
run_guest() {
	FAKE_QEMU=$1 CTLITE_BOOT_LIMIT=3 \
		"$CTLITE_TOP/tests/vm/run.sh" "$out/kernel" "$out/mods" "$dir/run" >"$dir/out" 2>&1 &&
		rc=0 || rc=$?
	cat "$dir/out"
}

# retried_under_tcg: the run passed on its TCG boot, told in one line,
# and the machine's verdict is TCG from now on
retried_under_tcg() {
	[ "$rc" = 0 ] || fail "run.sh failed ($rc)"
	tail -n 1 "$dir/out" | grep -qx '1 passed, 0 failed' || fail "verdict: $(tail -n 1 "$dir/out")"
	[ "$(grep -c 'booting again under TCG' "$dir/out")" = 1 ] || fail "no single line about the retry"
	grep -q "^# the KVM boot failed before any test ran ($1" "$dir/out" || fail "the line does not say why"
	[ "$(cat "$FAKE_LOG")" = $'probe kvm\nboot kvm\nboot tcg' ] ||
		fail "QEMU starts: $(cat "$FAKE_LOG")"
	[ "$(accel 2>/dev/null)" = tcg ] || fail "the KVM failure was not remembered"
}

kvm_boot_that_aborts_is_retried_under_tcg() {
	fresh retry-abort
	run_guest kvm-boot-aborts
	retried_under_tcg "QEMU exit status 134"
}

kvm_boot_that_hangs_is_retried_under_tcg() {
	fresh retry-hang
	run_guest kvm-boot-hangs
	retried_under_tcg "no test had started 3s into the boot"
	! pgrep -f "sleep 31337" >/dev/null || fail "the hung QEMU was left running"
}

note "checks of the harness's accelerator choice, with a fake QEMU"
host_check no_kvm_device_means_tcg_without_a_probe
host_check qemu_that_aborts_under_kvm_means_tcg
host_check qemu_that_hangs_under_kvm_means_tcg_within_the_bound
host_check qemu_that_boots_under_kvm_means_kvm_and_is_cached
host_check ctlite_accel_forces_either_and_refuses_others
host_check kvm_boot_that_aborts_is_retried_under_tcg
host_check kvm_boot_that_hangs_is_retried_under_tcg
