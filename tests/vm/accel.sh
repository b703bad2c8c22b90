#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Which accelerator the test guests use: prints "kvm" or "tcg", and on
# stderr one line saying why.
#
#   tests/vm/accel.sh IMAGE     decide (probing KVM with IMAGE if need be)
#   tests/vm/accel.sh --tcg WHY record that KVM failed on this machine
#
# CTLITE_ACCEL=kvm or tcg forces one; auto (the default) trusts KVM only
# after it has run guest code.  A /dev/kvm can exist, QEMU can start a KVM
# machine and quit it, and still every boot aborts (QEMU's assertion on
# MSR 0x10a, IA32_ARCH_CAPABILITIES, on hosts that hide it) or hangs with
# no output.  So the probe boots IMAGE under KVM with no root file system
# and waits, within a bound, for the kernel to reach the end of its
# initcalls ("Freeing unused kernel image"): SMP, ACPI and the timers have
# run by then.  An abort, silence or a hang means TCG.
#
# The verdict is cached per machine boot (keyed on the host's boot_id and
# QEMU's version), so the probe costs seconds once, not per guest: under
# working KVM a debug kernel gets there in a few seconds; a hang costs the
# bound, once.  run.sh records a later KVM failure with --tcg.
#
# Environment: CTLITE_ACCEL, CTLITE_PROBE_TIMEOUT (seconds until the probe
# gives up, default 60; silence fails it at a third of that),
# CTLITE_KVM_DEV (the device to look for, /dev/kvm; for the harness's own
# tests), CTLITE_CACHE (where the verdict goes).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

qemu="qemu-system-x86_64"
kvm_dev=${CTLITE_KVM_DEV:-/dev/kvm}
bound=${CTLITE_PROBE_TIMEOUT:-60}
[[ $bound =~ ^[1-9][0-9]*$ ]] || die "CTLITE_PROBE_TIMEOUT must be a whole number of seconds"

# The cache file of this machine boot and this QEMU
verdict_file() {
	local boot ver
	boot=$(cat /proc/sys/kernel/random/boot_id 2>/dev/null || echo unknown)
	ver=$("$qemu" --version 2>/dev/null | head -n 1) || ver=none
	echo "$CTLITE_CACHE/accel/$(echo "$boot $ver" | sha256sum | cut -c1-16)"
}

# record VERDICT WHY: cache it (a failed write only costs a probe later)
record() {
	local f
	f=$(verdict_file)
	if mkdir -p "$(dirname "$f")" 2>/dev/null &&
		printf '%s %s\n' "$1" "$2" >"$f.$$" 2>/dev/null; then
		mv "$f.$$" "$f" 2>/dev/null || true
	fi
}

# say VERDICT WHY: the answer on stdout, the reason on stderr
say() {
	note "accelerator: $1 ($2; CTLITE_ACCEL=kvm or tcg forces one)"
	echo "$1"
}

# probe IMAGE: boot it under KVM; 0 if it got through its initcalls.
# Sets why.
probe() {
	local image=$1 dir pid rc="" waited=0 silent=$((bound / 3))
	[ "$silent" -ge 1 ] || silent=1
	dir=$(mktemp -d)
	# no root file system: the kernel panics after its initcalls, and
	# panic=-1 with -no-reboot ends QEMU there
	# (in a subshell that waits for it, so that an abort is told in
	# $dir/out, after QEMU's own words, not by this shell)
	(
		"$qemu" -nodefaults -no-reboot -display none -machine q35 -smp 2 -m 512M \
			-accel kvm -cpu host -kernel "$image" \
			-append "console=ttyS0 panic=-1 root=/dev/ctlite-probe-none" \
			-serial file:"$dir/console" </dev/null
		exit $?
	) >"$dir/out" 2>&1 &
	pid=$!
	while :; do
		if grep -qs 'Freeing unused kernel' "$dir/console"; then
			rc=0 why="KVM probe: the kernel booted"
			break
		fi
		if ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid" && rc=$? || rc=$?
			# it may have written the line just before it ended
			if grep -qs 'Freeing unused kernel' "$dir/console"; then
				rc=0 why="KVM probe: the kernel booted"
				break
			fi
			why="KVM probe: QEMU ended with status $rc before the kernel booted"
			[ ! -s "$dir/out" ] || why+=": $(grep -v '^$' "$dir/out" | head -n 1)"
			rc=1
			break
		fi
		if [ "$waited" -ge "$silent" ] && [ ! -s "$dir/console" ]; then
			why="KVM probe: no console output in ${silent}s (a hang)"
			rc=1
			break
		fi
		if [ "$waited" -ge "$bound" ]; then
			why="KVM probe: the kernel did not boot in ${bound}s"
			rc=1
			break
		fi
		sleep 1
		waited=$((waited + 1))
	done
	# QEMU first, then the subshell waiting for it
	pkill -KILL -P "$pid" 2>/dev/null || true
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	rm -rf "$dir"
	return "$rc"
}

if [ "${1:-}" = --tcg ]; then
	record tcg "${2:-a KVM boot failed}"
	exit 0
fi
image=${1:?usage: accel.sh IMAGE | accel.sh --tcg WHY}

case "${CTLITE_ACCEL:-auto}" in
kvm | tcg) say "$CTLITE_ACCEL" "set by CTLITE_ACCEL"; exit 0 ;;
auto) ;;
*) die "CTLITE_ACCEL must be kvm, tcg or auto, not '$CTLITE_ACCEL'" ;;
esac

if [ ! -e "$kvm_dev" ]; then
	say tcg "no $kvm_dev"
	exit 0
fi
if [ ! -r "$kvm_dev" ] || [ ! -w "$kvm_dev" ]; then
	say tcg "$kvm_dev is not readable and writable by $(id -un)"
	exit 0
fi

f=$(verdict_file)
if [ -s "$f" ]; then
	read -r verdict why <"$f"
	case "$verdict" in
	kvm | tcg) say "$verdict" "$why, cached in $f"; exit 0 ;;
	esac
fi

[ -f "$image" ] || die "no kernel image at $image to probe KVM with"
note "probing KVM: booting $image for at most ${bound}s"
why=
if probe "$image"; then verdict=kvm; else verdict=tcg; fi
record "$verdict" "$why"
say "$verdict" "$why"
