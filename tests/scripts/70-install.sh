#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# What the host's packaging checks (tests/vm/packaging.sh) installed, used
# as a booted system uses it: modprobe finds the module in the staged
# /lib/modules with the staged modprobe.d's options and install line,
# sysctl.d's settings are applied at load and by systemd-sysctl; and the
# module DKMS built, loaded and tracking a flow.  (The guest's root is the
# host's, read-only: the staged /etc directories are bound over the
# system's in a mount namespace of the test's own.)
. "$(dirname "$0")/lib.sh"

PKG=${CTLITE_MODS%/modules}/packaging
STAGED=$PKG/root

staged() {
	[ -d "$STAGED/lib/modules/$(uname -r)" ] ||
		die "no staged install for $(uname -r) in $STAGED (check.sh runs tests/vm/packaging.sh before the guest)"
}

# The staged tree where the system looks: a private mount namespace with
# the staged /etc/modprobe.d, and SYSCTL_D as /etc/sysctl.d, runs "$@"
# there.  The modules stay where they were staged (the host's root, here
# read-only, may have no /lib/modules to bind over): MODPROBE_OPTIONS
# points every modprobe at them, the install line's too.
as_installed() {
	MODPROBE_OPTIONS="-d $STAGED" unshare -m sh -c '
		mount --bind "$1/etc/modprobe.d" /etc/modprobe.d &&
		mount --bind "$2" /etc/sysctl.d && shift 2 && exec "$@"' \
		_ "$STAGED" "$SYSCTL_D" "$@"
}

# The boot order: what modules-load.d names is loaded with modprobe.d's
# options (modprobe, as systemd-modules-load does), and the install line
# there applies sysctl.d's settings once the module is in; systemd-sysctl
# applies them at boot too
installed_files_configure_the_module_at_boot() {
	staged
	local opts max limit name
	opts=$(sed -n 's/^options ctlite //p' "$STAGED/etc/modprobe.d/ctlite.conf")
	max=$(sed -n 's/.*max=\([0-9]*\).*/\1/p' <<<"$opts")
	limit=$(sed -n 's/^net\.ctlite\.max *= *//p' "$STAGED/etc/sysctl.d/90-ctlite.conf")
	[ -n "$max" ] && [ -n "$limit" ] ||
		die "cannot read the examples: options '$opts', limit '$limit'"
	grep -q '^install ctlite ' "$STAGED/etc/modprobe.d/ctlite.conf" ||
		die "modprobe.d/ctlite.conf has no install line"
	echo "# modprobe.d: $opts; sysctl.d: max=$limit"
	# the staged sysctl.d, and a site's own setting beside it
	SYSCTL_D=$TMPDIR/ctlite-sysctl.d
	rm -rf "$SYSCTL_D"
	mkdir -p "$SYSCTL_D"
	cp "$STAGED/etc/sysctl.d/90-ctlite.conf" "$SYSCTL_D/"
	echo 'net.ctlite.timeout_udp = 17' >"$SYSCTL_D/91-site.conf"

	for name in $(grep -v '^#' "$STAGED/etc/modules-load.d/ctlite.conf"); do
		as_installed /sbin/modprobe "$name" || die "modprobe $name failed"
	done
	ctlite_loaded || die "modprobe from the staged tree did not load ctlite"
	# the module make install staged, not another
	expect_eq "$(cat /sys/module/ctlite/srcversion)" \
		"$(modinfo -b "$STAGED" -k "$(uname -r)" -F srcversion ctlite)" srcversion
	expect_eq "$(ctlite_param max)" "$max" "max from modprobe.d"
	if [[ $opts == *hashsize=* ]]; then
		expect_eq "hashsize=$(ctlite_param hashsize)" "$(grep -o 'hashsize=[0-9]*' <<<"$opts")" \
			"hashsize from modprobe.d"
	fi
	# what only the install line can have set: the module was not loaded
	# before it ran
	expect_eq "$(sysctl -n net.ctlite.timeout_udp)" 17 "sysctl.d's setting after modprobe"
	expect_eq "$(sysctl -n net.ctlite.max)" "$limit" "net.ctlite.max from sysctl.d"

	# a limit lowered since, as by hand, is set back by sysctl.d at boot
	sysctl -q -w net.ctlite.max=1000
	as_installed /lib/systemd/systemd-sysctl --prefix=/net/ctlite
	expect_eq "$(sysctl -n net.ctlite.max)" "$limit" "net.ctlite.max from systemd-sysctl"
	# and modprobe -r goes as it came
	as_installed /sbin/modprobe -r ctlite || die "modprobe -r ctlite failed"
	! ctlite_loaded || die "ctlite still loaded after modprobe -r"
	rm -rf "$SYSCTL_D"
}

dkms_built_module_loads_and_tracks() {
	[ -f "$PKG/dkms-ctlite.ko" ] || die "no $PKG/dkms-ctlite.ko (packaging.sh's DKMS check failed?)"
	kmsg_mark
	insmod "$PKG/dkms-ctlite.ko" hashsize=1024 max=1000
	ctlite_log | grep -qx 'ctlite: 1024 buckets, 1000 max, 64 bytes per entry (1 MiB at max)' ||
		die "no load line; ctlite logged: $(ctlite_log)"
	expect_eq "$(cat /sys/module/ctlite/version)" "$(modinfo -F version "$CTLITE_KO")" version
	netns_pair
	in_a ping -c 1 -W 5 10.99.0.2 >/dev/null
	expect_entry ct-a '^ipv4 +2 icmp +1 [0-9]+ src=10.99.0.1 dst=10.99.0.2 type=8 code=0 id=[0-9]+ *$'
}

run_tests \
	installed_files_configure_the_module_at_boot \
	dkms_built_module_loads_and_tracks
